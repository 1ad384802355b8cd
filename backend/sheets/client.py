"""The Sheets API v4 client: google-api-python-client with the service account's credentials (ADC on
Cloud Run), or anonymous credentials against the sandbox emulator when SHEETS_API_ENDPOINT is set.

It owns quotas and retries for every Sheets call: reads and writes each take a slot from a shared
per-minute sliding window in Redis, paced to a sixth per 10 s (the service account is one "user" for
Google's 60/min quota, shared by every process), and 429/500/503 are retried by tenacity with
exponential backoff and jitter, honouring Retry-After. Everything else raises `SheetsError` with
Google's message. Calls are counted per method. A web request's client (`build(web_share=…)`) never
sleeps on that shared window: it takes a slot now or raises `SheetsBusy` (429 with Retry-After), and
each connection's web requests may spend only a share of the minute — one tenant's flood cannot stall
the others.

The discovery-built resource tree is made once per process (`api_resources`; sheets/discovery.py keeps
its docstrings small). It only *builds* requests; each client executes them
over its own authorized httplib2 connection, which is not thread-safe — so build one client per job or
thread.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import google.auth
import google_auth_httplib2
import httplib2
import redis
from google.auth.credentials import AnonymousCredentials
from googleapiclient.errors import HttpError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from backend.errors import AppError, Code
from backend.sheets.discovery import offline_service
from backend.store import keys
from backend.store.ratelimit import SlidingWindowLimiter

log = logging.getLogger(__name__)

SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]
RETRY_STATUSES = {429, 500, 502, 503, 504}


class SheetsError(AppError, status=502, code=Code.HTTP_ERROR):
    def __init__(self, detail: str, http_status: int = 0):
        super().__init__(detail)
        self.http_status = http_status


class SheetsAccessDenied(SheetsError, status=403, code=Code.FORBIDDEN):
    """403: the spreadsheet is not shared with the service account (the add-on's Set up shares it)."""


class SheetsBusy(SheetsError, status=429, code=Code.RATE_LIMITED):
    """A web request's Sheets call found no free slot of the shared quota (or Google said 429/5xx): the
    request is answered at once with Retry-After instead of waiting for one."""

    def __init__(self, detail: str, retry_after_s: float, status: int = 429):
        super().__init__(detail, status)
        self.status = status
        self.retry_after_s = max(1, math.ceil(retry_after_s))
        self.extra = {"retry_after": self.retry_after_s}


@dataclass(frozen=True)
class _Resources:
    """The parts of the Sheets API resource tree the client uses (they build requests, never send)."""

    spreadsheets: Any
    values: Any
    metadata: Any


@functools.cache
def api_resources(endpoint: str) -> _Resources:
    service = offline_service("sheets", "v4", endpoint or None)  # requests go through the client's own `http`
    spreadsheets = service.spreadsheets()
    return _Resources(spreadsheets, spreadsheets.values(), spreadsheets.developerMetadata())


def _per_minute(client: redis.Redis, name: str, limit: int) -> SlidingWindowLimiter:
    """Google's per-minute quota, spent at most a sixth per 10 s (see store/ratelimit.py)."""
    return SlidingWindowLimiter(
        client, name, limit, window_s=60.0, margin_s=1.0, pace_limit=max(1, limit // 6), pace_window_s=10.0
    )


WEB_SHARE_DIVISOR = 4


def _share(client: redis.Redis, name: str, limit: int) -> SlidingWindowLimiter:
    """One key's share of a per-minute quota for web requests (a quarter of it)."""
    return SlidingWindowLimiter(client, name, max(1, limit // WEB_SHARE_DIVISOR), window_s=60.0, margin_s=1.0)


@dataclass
class SheetsClient:
    api: _Resources
    http: Any  # an authorized httplib2 connection of this client
    read_limiter: SlidingWindowLimiter
    write_limiter: SlidingWindowLimiter
    max_attempts: int = 6
    sleep: Callable[[float], None] = time.sleep
    calls: dict[str, int] = field(default_factory=dict)
    # Web requests never wait on the quota every tenant shares: a slot now or `SheetsBusy` (None: wait
    # for the slot, as jobs do). Their calls also take a slot of the caller's own share of the quota.
    now_or_never: bool = False
    read_share: SlidingWindowLimiter | None = None
    write_share: SlidingWindowLimiter | None = None

    @classmethod
    def build(
        cls,
        *,
        endpoint: str,
        client: redis.Redis,
        reads_per_minute: int,
        writes_per_minute: int,
        web_share: str = "",
    ) -> SheetsClient:
        """`web_share` (a connection id, or another key of who is asking) makes a web request's client:
        it never waits, and spends at most 1/`WEB_SHARE_DIVISOR` of each minute's quota per key."""
        if endpoint:  # the sandbox emulator: anonymous calls act as the service account
            credentials = AnonymousCredentials()
        else:  # production: the Cloud Run service account through Application Default Credentials
            credentials, _ = google.auth.default(scopes=SCOPES)
        shares = {}
        if web_share:
            shares = {
                "now_or_never": True,
                "read_share": _share(client, keys.sheets_web_limiter("read", web_share), reads_per_minute),
                "write_share": _share(client, keys.sheets_web_limiter("write", web_share), writes_per_minute),
            }
        return cls(
            api_resources(endpoint),
            google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http()),
            _per_minute(client, keys.sheets_limiter("read"), reads_per_minute),
            _per_minute(client, keys.sheets_limiter("write"), writes_per_minute),
            **shares,
        )

    # --- one call ------------------------------------------------------------------------------------

    def _take_slot(self, limiter: SlidingWindowLimiter, share: SlidingWindowLimiter | None) -> None:
        if not self.now_or_never:
            limiter.acquire()
            return
        for lim, whose in ((share, "this sheet's share of"), (limiter, "")):
            if lim is None:
                continue
            ok, wait = lim.try_reserve(0.0)
            if not ok:
                raise SheetsBusy(
                    f"Google Sheets is busy ({whose or 'all of'} the minute's quota is spent); "
                    f"try again in {max(1, math.ceil(wait))} s.",
                    wait,
                )

    def _execute(self, name: str, request: Any, *, write: bool) -> Any:
        limiter = self.write_limiter if write else self.read_limiter
        share = self.write_share if write else self.read_share

        def before_sleep(state: RetryCallState) -> None:
            # A 429 holds every process's next call; a web request answers busy instead of sleeping.
            status, wait = _status(state.outcome.exception()), state.upcoming_sleep
            if status == 429:
                limiter.block(wait)
            if self.now_or_never:
                raise SheetsBusy(
                    "Google Sheets asked us to slow down; try again shortly.",
                    wait,
                    429 if status == 429 else 503,
                )
            log.warning(
                "sheets %s: %s, retrying in %.1f s (attempt %d)", name, status, wait, state.attempt_number
            )

        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=_wait,
            retry=retry_if_exception(lambda exc: _status(exc) in RETRY_STATUSES),
            before_sleep=before_sleep,
            sleep=self.sleep,
            reraise=True,
        )
        try:
            return retrying(self._execute_once, name, request, limiter, share)
        except HttpError as exc:
            raise _error(exc, name) from None

    def _execute_once(
        self, name: str, request: Any, limiter: SlidingWindowLimiter, share: SlidingWindowLimiter | None
    ) -> Any:
        self._take_slot(limiter, share)
        self.calls[name] = self.calls.get(name, 0) + 1
        return request.execute(http=self.http, num_retries=0)

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    # --- reads ---------------------------------------------------------------------------------------

    def get(self, spreadsheet_id: str, fields: str) -> dict:
        req = self.api.spreadsheets.get(spreadsheetId=spreadsheet_id, fields=fields)
        return self._execute("spreadsheets.get", req, write=False)

    def batch_get(self, spreadsheet_id: str, ranges: Sequence[str]) -> list[list[list[Any]]]:
        req = self.api.values.batchGet(
            spreadsheetId=spreadsheet_id,
            ranges=list(ranges),
            valueRenderOption="UNFORMATTED_VALUE",
            dateTimeRenderOption="SERIAL_NUMBER",
            majorDimension="ROWS",
        )
        data = self._execute("spreadsheets.values.batchGet", req, write=False)
        return [vr.get("values", []) for vr in data.get("valueRanges", [])]

    def batch_get_by_filter(
        self, spreadsheet_id: str, data_filters: list[dict], major: str = "COLUMNS"
    ) -> list[dict]:
        req = self.api.values.batchGetByDataFilter(
            spreadsheetId=spreadsheet_id,
            body={
                "dataFilters": data_filters,
                "majorDimension": major,
                "valueRenderOption": "UNFORMATTED_VALUE",
                "dateTimeRenderOption": "SERIAL_NUMBER",
            },
        )
        data = self._execute("spreadsheets.values.batchGetByDataFilter", req, write=False)
        return data.get("valueRanges", [])

    def search_metadata(self, spreadsheet_id: str, lookups: list[dict]) -> list[dict]:
        req = self.api.metadata.search(
            spreadsheetId=spreadsheet_id,
            body={"dataFilters": [{"developerMetadataLookup": lk} for lk in lookups]},
        )
        data = self._execute("spreadsheets.developerMetadata.search", req, write=False)
        return [m["developerMetadata"] for m in data.get("matchedDeveloperMetadata", [])]

    # --- writes --------------------------------------------------------------------------------------

    def update_values(self, spreadsheet_id: str, data: list[dict], *, input_option: str = "RAW") -> dict:
        if not data:
            return {}
        req = self.api.values.batchUpdate(
            spreadsheetId=spreadsheet_id, body={"valueInputOption": input_option, "data": data}
        )
        return self._execute("spreadsheets.values.batchUpdate", req, write=True)

    def batch_update(self, spreadsheet_id: str, requests: list[dict]) -> list[dict]:
        if not requests:
            return []
        req = self.api.spreadsheets.batchUpdate(spreadsheetId=spreadsheet_id, body={"requests": requests})
        return self._execute("spreadsheets.batchUpdate", req, write=True).get("replies", [])


def _status(exc: BaseException | None) -> int:
    return int(exc.resp.status) if isinstance(exc, HttpError) else 0


# 2^attempt seconds (at most 32) plus up to one of jitter, unless Google said Retry-After.
_BACKOFF = wait_exponential(multiplier=2, max=32) + wait_random(0, 1)


def _wait(state: RetryCallState) -> float:
    return _retry_after(state.outcome.exception()) or _BACKOFF(state)


def _retry_after(exc: HttpError) -> float | None:
    value = exc.resp.get("retry-after") if hasattr(exc.resp, "get") else None
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _error(exc: HttpError, name: str) -> SheetsError:
    status = int(exc.resp.status)
    try:
        message = exc.error_details if isinstance(exc.error_details, str) else exc._get_reason()
    except Exception:
        message = str(exc)
    if status == 403:
        return SheetsAccessDenied(
            "The spreadsheet is not shared with the sync's service account; open the add-on, press Set up.",
            status,
        )
    if status == 404:
        return SheetsError("The spreadsheet was not found (deleted, or the link is wrong).", status)
    return SheetsError(f"Google Sheets refused {name}: {message}", status)
