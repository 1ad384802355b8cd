"""Every runtime knob in one place, with its default: rate limiting, forced failures, HTML error bodies,
webhook faults, filter behaviour. `POST /_sandbox/faults` sets any subset; `reset` restores these.

Forced responses are a queue: `{"force": {"status": 504, "count": 2}}` makes the next two `/api/v4`
calls answer 504, `{"force": {"delay": 3, "count": 1}}` makes the next one wait 3 s and then answer
normally (a slow amoCRM). `"on": "oauth2"` in an item queues it for the token endpoint
(`/oauth2/access_token`) instead; `{"force": []}` drops every response still queued. Knobs are not
persisted with `--state`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass, field, fields
from typing import Any

FORCIBLE = (429, 500, 502, 503, 504)


@dataclass
class Knobs:
    # Limits (reference §2.1).
    rate_limit: bool = True
    rps: float = 7.0  # per account, 1-second sliding window
    # the token endpoint counted in the same window: Kommo says "7 requests per second for IP", which
    # would take in /oauth2 too, but no source says so outright (UNCONFIRMED), hence off by default
    token_rate_limit: bool = False
    ban_after: int = 10  # consecutive 429s before every request gets the nginx 403 page
    retry_after: int | None = None  # the 429 body's retry_after; None = seconds until the window frees
    html_errors: bool = False  # 429 and forced 5xx as HTML pages (no Retry-After header), as gateways do
    # Forced responses, consumed one per /api/v4 request: ("status", 504) or ("delay", 3.0).
    forced: deque = field(default_factory=deque)
    forced_oauth2: deque = field(default_factory=deque)  # the same, for the token endpoint
    # Webhooks (reference §6.3).
    webhook_timeout: float = 2.0
    webhook_retry_ladder: list[float] = field(default_factory=lambda: [300.0, 900.0, 900.0, 3600.0])
    webhook_delay: float = 0.0  # virtual seconds added before each delivery's first attempt
    webhook_drop: int = 0  # the next N deliveries are never sent
    webhook_duplicate: int = 0  # the next N deliveries are sent twice
    webhook_reorder: bool = False  # deliveries due together go newest first
    webhooks_unavailable: bool = False  # POST /api/v4/webhooks answers 403: a plan without API webhooks
    # Filters (reference §3.2): amoCRM silently ignores filters the account does not support.
    ignore_filters: bool = False  # every filter[...] ignored: an account without API filtering
    strict_filters: bool = False  # unknown filter keys answer 400 instead of being ignored

    def update(self, data: dict[str, Any]) -> None:
        names = {f.name for f in fields(self)} - {"forced", "forced_oauth2"}
        unknown = set(data) - names - {"force"}
        if unknown:
            raise ValueError(f"unknown knobs: {sorted(unknown)}")
        for name in names & set(data):
            setattr(self, name, _coerce(name, getattr(type(self)(), name), data[name]))
        force = data.get("force")
        if force == []:  # drop what is still queued: a test's leftovers must not fail the next one's calls
            self.forced.clear()
            self.forced_oauth2.clear()
        elif force:
            for item in force if isinstance(force, list) else [force]:
                self._queue(item)

    def _queue(self, item: dict[str, Any]) -> None:
        count = int(item.get("count", 1))
        if item.get("on", "api") not in ("api", "oauth2"):
            raise ValueError("force `on` must be api or oauth2")
        queue = self.forced_oauth2 if item.get("on") == "oauth2" else self.forced
        if "status" in item:
            status = int(item["status"])
            if status not in FORCIBLE:
                raise ValueError(f"force status must be one of {FORCIBLE}")
            queue.extend([("status", status)] * count)
        elif "delay" in item:
            queue.extend([("delay", float(item["delay"]))] * count)
        else:
            raise ValueError("force needs a status or a delay")

    def next_forced(self, kind: str = "api") -> tuple[str, float] | None:
        queue = self.forced_oauth2 if kind == "oauth2" else self.forced
        return queue.popleft() if queue else None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["forced"] = [list(item) for item in self.forced]
        data["forced_oauth2"] = [list(item) for item in self.forced_oauth2]
        return data


def _coerce(name: str, default: Any, value: Any) -> Any:
    """A knob value of its default's type, so a bad admin call fails there and not in a request."""
    try:
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise TypeError
            return value
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
        if isinstance(default, list):
            return [float(v) for v in value]
        return None if value is None else int(value)  # retry_after: int | None
    except (TypeError, ValueError):
        raise ValueError(f"bad value for {name}: {value!r}") from None
