"""amoCRM OAuth: the code exchange, and access tokens refreshed single-flight per account.

Refresh tokens rotate and are single-use (amoCRM keeps the predecessor valid only until the successor is
first used), so two processes refreshing at once burn the grant. `TokenManager.refresh()`:
1. takes a Redis lock per account;
2. re-reads the stored pair — another process may have refreshed while we waited: use theirs;
3. calls amoCRM, and persists the new pair *before* anyone uses it;
4. on "Token has been revoked"/invalid, tries the previous refresh token once (the way back after a
   crash between amoCRM's answer and our write), then marks the account `needs_reconnect` — no loops.
Tokens are refreshed ahead of `exp`; `refresh_idle()` (a scheduled job) keeps idle grants alive.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
import requests

from backend.amocrm.errors import AmoAuthError, AmoUnavailable
from backend.store import locks
from backend.store.tokens import NEEDS_RECONNECT, OK, TokenSet, TokenStore

log = logging.getLogger(__name__)

REFRESH_AHEAD_S = 3600  # refresh when less than an hour of the 24 h access token is left
IDLE_REFRESH_AFTER_S = 14 * 86400  # the keep-alive job refreshes grants idle for two weeks (lapse: 90 days)


class OAuthRejected(Exception):
    """amoCRM's token endpoint refused the request (bad/expired/revoked code or refresh token)."""

    def __init__(self, status: int, hint: str):
        super().__init__(f"{status}: {hint}")
        self.status = status
        self.hint = hint


def jwt_claims(token: str) -> dict:
    """The payload of a JWT-shaped access token, without verifying it (amoCRM signs it, we only read exp)."""
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}


@dataclass
class OAuthClient:
    client_id: str
    client_secret: str
    redirect_uri: str
    base_url_template: str  # https://{host}
    timeout_s: float = 15.0
    session: requests.Session | None = None

    def _post(self, host: str, body: dict) -> dict:
        url = self.base_url_template.format(host=host) + "/oauth2/access_token"
        http = self.session or requests
        try:
            resp = http.post(url, json=body, timeout=self.timeout_s, allow_redirects=False)
        except requests.RequestException as exc:
            raise AmoUnavailable(f"amoCRM's token endpoint is unreachable ({type(exc).__name__})") from None
        if resp.status_code >= 500 or resp.status_code == 429:  # 429: the per-IP rate limit, not a refusal
            raise AmoUnavailable(f"amoCRM's token endpoint answered {resp.status_code}")
        if resp.status_code != 200:
            try:
                data = resp.json()
            except ValueError:
                data = {}
            raise OAuthRejected(resp.status_code, str(data.get("hint") or data.get("detail") or resp.reason))
        data = resp.json()
        if not data.get("access_token") or not data.get("refresh_token"):
            raise AmoUnavailable("amoCRM's token endpoint answered without tokens")
        return data

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

    def _current(self) -> TokenSet:
        ts = self.store.get(self.account_id)
        if ts is None:
            raise AmoAuthError("this amoCRM account is not connected")
        if ts.status != OK:
            raise AmoAuthError(f"amoCRM access was lost ({ts.reason or ts.status}); reconnect the account")
        return ts

    def access_token(self) -> str:
        ts = self._current()
        if ts.expires_at - self.clock() < REFRESH_AHEAD_S:
            return self.refresh(ts.access)
        return ts.access

    def refresh(self, stale_access: str, *, force: bool = False) -> str:
        """Refresh unless someone already did; return a usable access token."""
        with locks.hold(
            self.client, locks.account_lock_name(self.account_id), ttl_s=self.lock_ttl_s, wait_s=60
        ):
            ts = self._current()
            if not force and ts.access != stale_access and ts.expires_at - self.clock() >= REFRESH_AHEAD_S:
                return ts.access  # another process refreshed while we waited for the lock
            for candidate in dict.fromkeys(t for t in (ts.refresh, ts.previous_refresh) if t):
                try:
                    data = self.oauth.refresh(self.host, candidate)
                except OAuthRejected as exc:
                    log.warning("amo account %s: refresh token refused (%s)", self.account_id, exc.hint)
                    continue
                new = token_set(data, self.clock(), used_refresh=candidate)
                self.store.put(self.account_id, new)  # persisted before anyone uses it
                log.info("amo account %s: tokens refreshed", self.account_id)
                return new.access
            self.mark_needs_reconnect("amoCRM refused the refresh token (revoked or expired)")
            raise AmoAuthError("amoCRM refused the refresh token; reconnect the account from the sidebar")

    def mark_needs_reconnect(self, reason: str) -> None:
        self.store.mark(self.account_id, NEEDS_RECONNECT, reason)
        log.warning("amo account %s: needs reconnect: %s", self.account_id, reason)

    def refresh_if_idle(self, now: float | None = None, idle_s: float = IDLE_REFRESH_AFTER_S) -> bool:
        ts = self.store.get(self.account_id)
        if ts is None or ts.status != OK or (now or self.clock()) - ts.refreshed_at < idle_s:
            return False
        self.refresh(ts.access, force=True)
        return True
