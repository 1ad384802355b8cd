"""amoCRM OAuth: the code exchange, and access tokens refreshed single-flight per account.

Refresh tokens rotate and are single-use (amoCRM keeps the predecessor valid only until the successor is
first used), so two processes refreshing at once burn the grant. `TokenManager.refresh()`:
1. takes a Redis lock per account;
2. re-reads the stored pair — another process may have refreshed while we waited: use theirs;
3. calls amoCRM, and persists the new pair *before* anyone uses it;
4. on "Token has been revoked"/invalid, tries the previous refresh token once (the way back after a
   crash between amoCRM's answer and our write), then marks the account `needs_reconnect` — no loops.
Tokens are refreshed ahead of `exp`; `refresh_idle()` (a scheduled job) keeps idle grants alive.

Only amoCRM's own refusals end a grant (`classify`): a 400 whose `hint` names a revoked, expired or
invalid code or token, and a 401 "Client authentication failed" (docs/amocrm.md, "Token endpoint
answers"). A 429, a 5xx, the nginx ban page, a timeout or anything else unexpected says nothing about the
grant: the call is retried with backoff and, if amoCRM stays busy, raises `TokenEndpointBusy` (the job
retries later) and the account's connections say "amoCRM is busy" until a refresh succeeds. Retrying
with the same refresh token is safe: amoCRM keeps it valid until its successor is first used.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import redis
import requests
from google.auth import jwt
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from backend.amocrm.backoff import Retryable, retry_after, retry_after_or
from backend.amocrm.errors import AmoAuthError, AmoUnavailable
from backend.store import locks
from backend.store.tokens import NEEDS_RECONNECT, OK, TokenSet, TokenStore

log = logging.getLogger(__name__)

REFRESH_AHEAD_S = 3600  # refresh when less than an hour of the 24 h access token is left
IDLE_REFRESH_AFTER_S = 14 * 86400  # the keep-alive job refreshes grants idle for two weeks (lapse: 90 days)
BUSY_MESSAGE = "amoCRM is busy and did not renew access yet; syncing resumes by itself, nothing to do."
MAX_WAIT_S = 10.0  # the longest Retry-After honoured inside one call; longer ends the job's attempt

# The `hint`s amoCRM gives when it refuses a code or a refresh token for good (reference §1.4:
# "Authorization code has expired/has been revoked", "Cannot decrypt the authorization code",
# "Token has been revoked", "Token has expired", "Invalid refresh token").
_REFUSAL_HINT = re.compile(r"revoked|expired|invalid refresh token|cannot decrypt", re.IGNORECASE)


KOMMO_DOMAINS = ("kommo.com", "amocrm.com")  # amocrm.com: Kommo accounts made before the rename


@dataclass(frozen=True)
class Integration:
    """One amoCRM/Kommo integration: what the authorize page, the token endpoint and the revoked-access
    hook need to know about it."""

    name: str  # "amocrm" | "kommo"
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    authorize_url: str


def integrations(settings) -> list[Integration]:
    """The configured integrations, amoCRM's first."""
    s = settings
    out = [
        Integration("amocrm", s.amo_client_id, s.amo_client_secret, s.amo_redirect_uri, s.amo_authorize_url)
    ]
    if s.kommo_client_id:
        out.append(
            Integration(
                "kommo", s.kommo_client_id, s.kommo_client_secret, s.amo_redirect_uri, s.kommo_authorize_url
            )
        )
    return out


def integration_for_host(settings, host: str) -> Integration:
    """The integration that serves the account at `host`: Kommo's for Kommo domains when there is one."""
    found = integrations(settings)
    kommo = next((i for i in found if i.name == "kommo"), None)
    if kommo and any(host == d or host.endswith("." + d) for d in KOMMO_DOMAINS):
        return kommo
    return found[0]


def integration_by_client_id(settings, client_id: str) -> Integration | None:
    return next((i for i in integrations(settings) if i.client_id == client_id), None)


class OAuthRejected(Exception):
    """amoCRM's token endpoint refused the request (bad/expired/revoked code or refresh token)."""

    def __init__(self, status: int, hint: str):
        super().__init__(f"{status}: {hint}")
        self.status = status
        self.hint = hint


class TokenEndpointBusy(AmoUnavailable):
    """amoCRM's token endpoint kept answering something other than tokens or a refusal (429, 5xx, the
    ban page, timeouts) through every retry. Says nothing about the grant; try again later."""


class Answer(StrEnum):
    TOKENS = "tokens"
    REFUSED = "refused"  # the grant is gone: reconnect
    BUSY = "busy"  # anything else: retry with backoff


def classify(status: int, body: object) -> Answer:
    """The token endpoint's answer as one of three outcomes; `body` is the parsed JSON or None."""
    data = body if isinstance(body, dict) else None
    if status == 200 and data and data.get("access_token") and data.get("refresh_token"):
        return Answer.TOKENS
    if data is None:  # an HTML page (ban, gateway error) or nothing at all
        return Answer.BUSY
    hint = str(data.get("hint") or "")
    if status in (400, 401) and _REFUSAL_HINT.search(hint):  # "Status is 400, sometimes 401" (§1.4)
        return Answer.REFUSED
    if status == 401 and "client authentication" in hint.lower():
        return Answer.REFUSED
    return Answer.BUSY


def _json_or_none(resp: requests.Response) -> object:
    if "json" not in resp.headers.get("Content-Type", ""):
        return None
    try:
        return resp.json()
    except ValueError:
        return None


class _Busy(Retryable):
    pass


def jwt_claims(token: str) -> dict:
    """The payload of a JWT-shaped access token, without verifying it (amoCRM signs it with a key we do
    not hold; we only read `exp` and `account_id`). Anything that is not a JWT has no claims."""
    try:
        return dict(jwt.decode(token, verify=False))
    except ValueError:  # google.auth's MalformedError is a ValueError
        return {}


@dataclass
class OAuthClient:
    client_id: str
    client_secret: str
    redirect_uri: str
    base_url_template: str  # https://{host}
    timeout_s: float = 15.0
    session: requests.Session | None = None
    attempts: int = 4  # about 1 + 2 + 4 s of backoff between them
    backoff_s: float = 1.0

    def _post(self, host: str, body: dict) -> dict:
        """One grant request, retried while amoCRM is busy; tokens, `OAuthRejected` or `TokenEndpointBusy`."""
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=retry_after_or(
                wait_exponential_jitter(multiplier=self.backoff_s, max=8, jitter=self.backoff_s / 2),
                MAX_WAIT_S,
            ),
            retry=retry_if_exception_type(_Busy),
            reraise=True,
        )
        try:
            return retrying(self._post_once, host, body)
        except _Busy as exc:
            raise TokenEndpointBusy(f"amoCRM's token endpoint is busy ({exc.why})") from None

    def _post_once(self, host: str, body: dict) -> dict:
        url = self.base_url_template.format(host=host) + "/oauth2/access_token"
        http = self.session or requests
        try:
            resp = http.post(url, json=body, timeout=self.timeout_s, allow_redirects=False)
        except requests.RequestException as exc:
            raise _Busy(f"unreachable: {type(exc).__name__}") from None
        data = _json_or_none(resp)
        answer = classify(resp.status_code, data)
        if answer is Answer.TOKENS:
            return data
        hint = str(data.get("hint") or data.get("detail") or "") if isinstance(data, dict) else ""
        if answer is Answer.REFUSED:
            raise OAuthRejected(resp.status_code, hint or resp.reason)
        log.warning("amoCRM token endpoint: answered %s (%s), retrying", resp.status_code, hint[:80])
        raise _Busy(f"HTTP {resp.status_code}", retry_after(resp) if resp.status_code == 429 else None)

    def exchange_code(self, host: str, code: str) -> dict:
        return self._post(host, self._body("authorization_code", code=code))

    def refresh(self, host: str, refresh_token: str) -> dict:
        return self._post(host, self._body("refresh_token", refresh_token=refresh_token))

    def _body(self, grant: str, **extra: str) -> dict:
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "grant_type": grant,
            "redirect_uri": self.redirect_uri,
            **extra,
        }


def token_set(data: dict, now: float, used_refresh: str = "") -> TokenSet:
    exp = jwt_claims(data["access_token"]).get("exp")
    expires_at = float(exp) if exp else now + float(data.get("expires_in", 86400))
    return TokenSet(data["access_token"], data["refresh_token"], expires_at, now, used_refresh)


@dataclass
class TokenManager:
    client: redis.Redis
    store: TokenStore
    oauth: OAuthClient
    account_id: int
    host: str
    clock: Callable[[], float] = time.time
    lock_ttl_s: float = 30.0  # a process killed mid-refresh frees the lock this fast
    on_busy: Callable[[str], None] | None = None  # tells the account's connections "amoCRM is busy"
    on_renewed: Callable[[], None] | None = None  # … and that it is over

    def _current(self) -> TokenSet:
        tokens = self.store.get(self.account_id)
        if tokens is None:
            raise AmoAuthError("this amoCRM account is not connected")
        if tokens.status != OK:
            why = tokens.reason or tokens.status
            raise AmoAuthError(f"amoCRM access was lost ({why}); reconnect the account")
        return tokens

    def access_token(self) -> str:
        tokens = self._current()
        if tokens.expires_at - self.clock() < REFRESH_AHEAD_S:
            return self.refresh(tokens.access)
        return tokens.access

    def refresh(self, stale_access: str, *, force: bool = False) -> str:
        """Refresh unless someone already did; return a usable access token."""
        with locks.hold(
            self.client, locks.account_lock_name(self.account_id), ttl_s=self.lock_ttl_s, wait_s=60
        ):
            tokens = self._current()
            if (
                not force
                and tokens.access != stale_access
                and tokens.expires_at - self.clock() >= REFRESH_AHEAD_S
            ):
                return tokens.access  # another process refreshed while we waited for the lock
            for candidate in dict.fromkeys(t for t in (tokens.refresh, tokens.previous_refresh) if t):
                try:
                    data = self.oauth.refresh(self.host, candidate)
                except OAuthRejected as exc:
                    log.warning("amo account %s: refresh token refused (%s)", self.account_id, exc.hint)
                    continue
                except TokenEndpointBusy as exc:  # says nothing about the grant: keep it, try later
                    log.warning("amo account %s: refresh postponed: %s", self.account_id, exc.detail)
                    self.store.note_busy(self.account_id, BUSY_MESSAGE)
                    if self.on_busy:
                        self.on_busy(BUSY_MESSAGE)
                    raise
                new = token_set(data, self.clock(), used_refresh=candidate)
                self.store.put(self.account_id, new)  # persisted before anyone uses it
                log.info("amo account %s: tokens refreshed", self.account_id)
                if tokens.busy and self.on_renewed:
                    self.on_renewed()
                return new.access
            self.mark_needs_reconnect("amoCRM refused the refresh token (revoked or expired)")
            raise AmoAuthError("amoCRM refused the refresh token; reconnect the account from the sidebar")

    def mark_needs_reconnect(self, reason: str) -> None:
        self.store.mark(self.account_id, NEEDS_RECONNECT, reason)
        log.warning("amo account %s: needs reconnect: %s", self.account_id, reason)

    def refresh_if_idle(self, now: float | None = None, idle_s: float = IDLE_REFRESH_AFTER_S) -> bool:
        tokens = self.store.get(self.account_id)
        if tokens is None or tokens.status != OK or (now or self.clock()) - tokens.refreshed_at < idle_s:
            return False
        self.refresh(tokens.access, force=True)
        return True
