"""The per-account request rate limit and the ban it escalates to, plus the API call counters.

amoCRM allows 7 requests per second (reference §2.1). Going over answers 429; a client that keeps
going over gets blocked: every request then answers a bare nginx 403 page until support lifts it (here:
`POST /_sandbox/limits/reset`). The window is a 1-second sliding window on the virtual clock, so
advancing the clock also empties it. Rejected requests do not occupy the window (a client that backs
off recovers after one second); any admitted request resets the consecutive-429 count.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds until the window has room again


class RateLimiter:
    def __init__(self) -> None:
        self._windows: dict[str, deque[float]] = {}
        self._consecutive: Counter[str] = Counter()
        self.banned: set[str] = set()

    def admit(self, host: str, now: float, rps: float) -> Verdict:
        window = self._windows.setdefault(host, deque())
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= rps:
            self._consecutive[host] += 1
            wait = window[int(len(window) - rps)] + 1.0 - now if rps >= 1 else 1.0
            return Verdict(False, max(1, math.ceil(wait)))
        window.append(now)
        self._consecutive[host] = 0
        return Verdict(True)

    def strikes(self, host: str) -> int:
        return self._consecutive[host]

    def ban(self, host: str) -> None:
        self.banned.add(host)

    def reset(self, host: str | None = None) -> None:
        if host is None:
            self._windows.clear()
            self._consecutive.clear()
            self.banned.clear()
        else:
            self._windows.pop(host, None)
            self._consecutive.pop(host, None)
            self.banned.discard(host)


class Counters:
    """Calls to `/api/v4` and `/oauth2` (never admin calls): total, per endpoint, account and status."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.total = 0
        self.by_endpoint: Counter[str] = Counter()
        self.by_account: Counter[str] = Counter()
        self.by_status: Counter[str] = Counter()
        self.by_account_endpoint: dict[str, Counter[str]] = {}

    def count(self, host: str, endpoint: str) -> None:
        self.total += 1
        self.by_endpoint[endpoint] += 1
        self.by_account[host] += 1
        self.by_account_endpoint.setdefault(host, Counter())[endpoint] += 1

    def status(self, code: int) -> None:
        self.by_status[str(code)] += 1

    def to_json(self) -> dict:
        return {
            "total": self.total,
            "by_endpoint": dict(self.by_endpoint),
            "by_account": dict(self.by_account),
            "by_status": dict(self.by_status),
            "by_account_endpoint": {h: dict(c) for h, c in self.by_account_endpoint.items()},
        }
