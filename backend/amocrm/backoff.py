"""How the amoCRM adapters wait between attempts (tenacity): what amoCRM said when it said it (the 429
body's `retry_after`, or a Retry-After header), else exponential backoff with jitter. Shared by the API
client (client.py) and the token endpoint (oauth.py)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import requests
from tenacity import RetryCallState


class Retryable(Exception):
    """An answer worth another attempt; `wait_s` is how long amoCRM asked us to wait, if it asked."""

    def __init__(self, why: str, wait_s: float | None = None):
        super().__init__(why)
        self.why = why
        self.wait_s = wait_s


def retry_after(resp: requests.Response) -> float | None:
    """Seconds to wait from `retry_after` in a JSON body or a Retry-After header; None if neither."""
    if "json" in resp.headers.get("Content-Type", ""):
        try:
            value = resp.json().get("retry_after")
            if value is not None:
                return max(0.0, float(value))
        except (ValueError, TypeError, AttributeError):
            pass
    header = resp.headers.get("Retry-After")
    if header and re.fullmatch(r"\d+(\.\d+)?", header.strip()):
        return float(header)
    return None


def retry_after_or(
    backoff: Callable[[RetryCallState], float], cap_s: float = math.inf
) -> Callable[[RetryCallState], float]:
    """A tenacity `wait`: the last `Retryable`'s own wait (at most `cap_s`), else `backoff`."""

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, Retryable) and exc.wait_s is not None:
            return min(exc.wait_s, cap_s)
        return backoff(state)

    return wait
