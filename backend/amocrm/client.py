"""The amoCRM API v4 client: one class owns the session, auth, base URL, timeouts, rate limit and retries.

How a response is treated is decided in one place, `classify()`:

| response                              | outcome      | what the client does                          |
|---------------------------------------|--------------|-----------------------------------------------|
| 2xx with a body                       | OK           | returns the JSON                              |
| 204 (empty result)                    | EMPTY        | returns None; never parses the empty body     |
| 401                                   | AUTH         | refreshes the token once and replays          |
| 429 (JSON `retry_after` or HTML page) | RATE_LIMITED | blocks the shared limiter, waits, retries     |
| 403 with an HTML body (after 429s)    | BANNED       | marks the account blocked, stops all its work |
| 500 / 502 / 503 / 504, timeouts       | RETRY        | backs off with jitter, retries (idempotent)   |
| other 4xx                             | FATAL        | raises with amoCRM's validation errors        |

Every request first takes a slot from the account's shared sliding-window limiter (7 req/s by default,
shared by every process), so 429s should not happen at all. A POST that creates entities is not
idempotent: after a timeout or 5xx it is NOT resent blindly — `AmbiguousWrite` tells the caller to look
for what may have been created (the executor does, by row key) before trying again.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urljoin

import requests
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from backend.amocrm.backoff import Retryable, retry_after, retry_after_or
from backend.amocrm.errors import (
    AmoAuthError,
    AmoBlocked,
    AmoError,
    AmoForbidden,
    AmoRateLimited,
    AmoUnavailable,
    AmoValidationError,
)
from backend.store.ratelimit import SlidingWindowLimiter

log = logging.getLogger(__name__)

_ID = re.compile(r"/\d+")
MAX_PAGE = 250  # entities per list page and per write (amoCRM's hard limit)
MAX_INLINE_WAIT_S = 15.0  # a longer Retry-After ends the job's attempt; RQ retries it later


class CallOutcome(StrEnum):
    OK = "ok"
    EMPTY = "empty"
    AUTH = "auth"
    RATE_LIMITED = "rate_limited"
    BANNED = "banned"
    RETRY = "retry"
    FATAL = "fatal"


def _is_json(resp: requests.Response) -> bool:
    return "json" in resp.headers.get("Content-Type", "")


def classify(resp: requests.Response) -> CallOutcome:
    s = resp.status_code
    if s == 204:
        return CallOutcome.EMPTY
    if 200 <= s < 300:
        return CallOutcome.OK
    if s == 401:
        return CallOutcome.AUTH
    if s == 429:
        return CallOutcome.RATE_LIMITED
    if s == 403 and not _is_json(resp):
        return CallOutcome.BANNED
    if s in (500, 502, 503, 504):
        return CallOutcome.RETRY
    return CallOutcome.FATAL


_WAIT = retry_after_or(wait_exponential_jitter(multiplier=0.5, max=8, jitter=0.5))


class _Retry(Retryable):
    def __init__(self, why: str, wait_s: float | None = None, rate_limited: bool = False):
        super().__init__(why, wait_s)
        self.rate_limited = rate_limited


class AmbiguousWrite(AmoUnavailable):
    """A create may or may not have been applied (timeout or 5xx after sending)."""


@dataclass
class CallStats:
    calls: int = 0
    by_endpoint: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    rate_limited: int = 0

    def count(self, method: str, path: str) -> None:
        self.calls += 1
        name = method + " " + _ID.sub("/{id}", path.split("?")[0])
        self.by_endpoint[name] = self.by_endpoint.get(name, 0) + 1


@dataclass
class AmoClient:
    base_url: str  # https://acme.amocrm.ru, or the sandbox's http://127.0.0.1:8801/acme.amocrm.ru
    token: Callable[[], str]  # a valid access token (refreshing ahead of expiry)
    refresh: Callable[[str], str]  # after a 401 with this token: refresh and return the new one
    limiter: SlidingWindowLimiter
    on_blocked: Callable[[str], None] = lambda reason: None
    is_blocked: Callable[[], str | None] = lambda: None
    timeout_s: float = 15.0
    max_attempts: int = 6
    session: requests.Session = field(default_factory=requests.Session)
    stats: CallStats = field(default_factory=CallStats)

    # --- one request ---------------------------------------------------------------------------------

    def request(
        self, method: str, path: str, *, params: Any = None, json: Any = None, idempotent: bool = True
    ):
        """Send one API call with retries; return parsed JSON, or None for 204."""
        blocked = self.is_blocked()
        if blocked:
            raise AmoBlocked(f"amoCRM blocked API access for this account: {blocked}")
        url = path if path.startswith("http") else self.base_url + path
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=_WAIT,
            retry=retry_if_exception_type(_Retry),
            reraise=False,
        )
        try:
            for attempt in retrying:
                with attempt:
                    if attempt.retry_state.attempt_number > 1:
                        self.stats.retries += 1
                    return self._send(method, url, params, json, idempotent)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            if isinstance(last, _Retry) and last.rate_limited:
                raise AmoRateLimited(
                    "amoCRM kept answering 429 Too Many Requests; will retry later"
                ) from None
            raise AmoUnavailable(
                f"amoCRM did not answer successfully after {self.max_attempts} attempts"
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, method: str, url: str, params: Any, json: Any, idempotent: bool, *, replay: bool = False):
        token = self.token()  # before the slot: a refresh must not eat into the reserved send time
        self.limiter.acquire()
        path = url[len(self.base_url) :] if url.startswith(self.base_url) else url
        self.stats.count(method, path)
        try:
            resp = self.session.request(
                method,
                url,
                params=params,
                json=json,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=self.timeout_s,
                allow_redirects=False,
            )
        except requests.ConnectionError as exc:  # nothing was sent (or the connection died before a reply)
            if isinstance(exc, requests.ConnectTimeout) or "refused" in str(exc).lower() or idempotent:
                raise _Retry("connection failed") from None
            raise AmbiguousWrite(
                f"{method} {path}: the connection broke; the write may have been applied"
            ) from None
        except requests.Timeout:
            if idempotent:
                raise _Retry("timeout") from None
            raise AmbiguousWrite(
                f"{method} {path}: amoCRM did not answer in time; it may have applied it"
            ) from None
        outcome = classify(resp)
        if outcome in (CallOutcome.OK, CallOutcome.EMPTY):
            return None if outcome is CallOutcome.EMPTY or not resp.content else resp.json()
        if outcome is CallOutcome.AUTH:
            if replay:
                raise AmoAuthError(
                    "amoCRM refused the access token even after a refresh; reconnect the account"
                )
            self.refresh(token)
            return self._send(method, url, params, json, idempotent, replay=True)
        if outcome is CallOutcome.RATE_LIMITED:
            self.stats.rate_limited += 1
            wait = retry_after(resp)
            wait = 1.0 if wait is None else wait
            self.limiter.block(wait)
            if wait > MAX_INLINE_WAIT_S:
                raise AmoRateLimited(f"amoCRM asked to wait {wait:.0f} s before the next request")
            raise _Retry("429", wait_s=wait, rate_limited=True)
        if outcome is CallOutcome.BANNED:
            reason = "403 Forbidden after too many requests"
            self.on_blocked(reason)
            raise AmoBlocked(f"amoCRM blocked API access for this account ({reason}); contact amoCRM support")
        if outcome is CallOutcome.RETRY:
            if not idempotent:
                raise AmbiguousWrite(
                    f"{method} {path}: amoCRM answered {resp.status_code}; it may have applied it"
                )
            raise _Retry(str(resp.status_code))
        raise _fatal(resp, method, path)

    # --- reads ---------------------------------------------------------------------------------------

    def get(self, path: str, params: Any = None) -> Any:
        return self.request("GET", path, params=params)

    def pages(self, path: str, key: str, params: dict | None = None) -> Iterator[dict]:
        """Every item of a paginated list, following `_links.next` (which must stay on this host)."""
        params = {"limit": MAX_PAGE, **(params or {})}
        url: str | None = self.base_url + path
        seen: set[str] = set()
        while url:
            data = self.request("GET", url, params=params)
            if not data:
                return
            yield from (data.get("_embedded") or {}).get(key, [])
            nxt = ((data.get("_links") or {}).get("next") or {}).get("href")
            if not nxt:
                return
            nxt = urljoin(url, nxt)
            if not nxt.startswith(self.base_url):
                raise AmoError(f"amoCRM pagination pointed outside the account: {nxt[:80]}")
            if nxt in seen:
                raise AmoError("amoCRM pagination repeated a page")
            seen.add(nxt)
            url, params = nxt, None

    def by_ids(self, entity: str, ids: list[int], with_: str | None = None) -> list[dict]:
        """Leads or contacts by id, 250 per call; verified client-side (unsupported filters are ignored
        silently by amoCRM, so anything not asked for is dropped)."""
        wanted = sorted(set(ids))
        found: list[dict] = []
        for chunk in batches(wanted):
            params: list[tuple[str, Any]] = [("filter[id][]", i) for i in chunk] + [("limit", MAX_PAGE)]
            if with_:
                params.append(("with", with_))
            data = self.request("GET", f"/api/v4/{entity}", params=params)
            items = (data or {}).get("_embedded", {}).get(entity, [])
            allowed = set(chunk)
            found.extend(i for i in items if i.get("id") in allowed)
        return found

    # --- writes --------------------------------------------------------------------------------------

    def update(self, entity: str, items: list[dict]) -> list[dict]:
        """PATCH a list in batches of 250; a 504 halves the batch (amoCRM: retry smaller)."""
        results: list[dict] = []
        pending = list(batches(items))
        while pending:
            batch = pending.pop(0)
            try:
                data = self.request("PATCH", f"/api/v4/{entity}", json=batch, idempotent=True)
            except AmoUnavailable:
                if len(batch) > 1:
                    half = len(batch) // 2
                    pending[:0] = [batch[:half], batch[half:]]
                    continue
                raise
            results.extend((data or {}).get("_embedded", {}).get(entity, []))
        return results

    def link(self, entity: str, links: list[dict]) -> None:
        """Mass link, e.g. leads -> contacts: [{entity_id, to_entity_id, to_entity_type, metadata}]."""
        for chunk in batches(links):
            self.request("POST", f"/api/v4/{entity}/link", json=chunk, idempotent=True)


def batches(items: list, size: int = MAX_PAGE) -> Iterator[list]:
    """`items` in lists of at most one amoCRM page (itertools.batched needs Python 3.12; we run 3.11)."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _fatal(resp: requests.Response, method: str, path: str) -> AmoError:
    body: dict = {}
    if _is_json(resp):
        try:
            body = resp.json() or {}
        except ValueError:
            body = {}
    detail = body.get("detail") or body.get("hint") or resp.reason or "error"
    if resp.status_code == 403:
        return AmoForbidden(f"amoCRM refused {method} {path}: {detail}")
    if resp.status_code in (400, 422):
        problems = [e for v in body.get("validation-errors") or [] for e in v.get("errors") or []]
        return AmoValidationError(f"amoCRM refused {method} {path}: {detail}", problems, resp.status_code)
    return AmoError(f"amoCRM answered {resp.status_code} to {method} {path}: {detail}")
