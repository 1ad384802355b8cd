"""OAuth bookkeeping: authorization codes, grants, JWT-shaped access tokens, rotating refresh tokens.

The rules (reference §1.4–§1.6):
- a code lives 20 minutes and works once; a second use answers "Authorization code has been revoked";
- an access token is a JWT (HS256 here, RS256 at amoCRM; nobody may verify the signature but us) with
  `aud, jti, iat, nbf, exp, sub, grant_type, account_id, base_domain, version, scopes, hash_uuid,
  api_domain`, living `Integration.access_ttl` (24 h);
- a refresh token lives `Integration.refresh_ttl` (3 months) and rotates: using R returns a new pair
  (R'); R keeps working until R' (or any other child of R) is first used. Using a child revokes its
  parent and its siblings, so a lost refresh response can be replayed with R, but two refreshers that
  both succeed end with one of them revoked ("Token has been revoked");
- revoking a grant (admin, "the admin disabled the integration") revokes its access and refresh tokens.

Pure functions of `State` and `now`; must not import flask.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import dataclass

from sandbox.amocrm.state import Account, Integration, State

CODE_TTL = 20 * 60
SCOPES = ["crm", "files", "files_delete", "notifications", "push_notifications"]


class OAuthError(Exception):
    """A token-endpoint failure; `hint` is the string amoCRM puts in the body's `hint`."""

    def __init__(self, hint: str, status: int = 400):
        super().__init__(hint)
        self.hint = hint
        self.status = status


class Unauthorized(Exception):
    """A Bearer token that does not open this account now (→ 401 problem+json)."""


@dataclass(frozen=True)
class Caller:
    """Who an API request acts as."""

    client_id: str
    account_id: int
    user_id: int
    grant_id: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _opaque() -> str:
    # Real codes and refresh tokens are long encrypted blobs starting with "def50200".
    return "def50200" + secrets.token_hex(64)


def api_domain(account: Account) -> str:
    return "api-b.kommo.com" if account.is_kommo else "api-b.amocrm.ru"


def make_jwt(key: str, claims: dict, jti: str) -> str:
    header = {"typ": "JWT", "alg": "HS256", "jti": jti}
    signing_input = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())
    sig = hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64(sig)


def read_jwt(key: str, token: str) -> dict | None:
    """The claims of a token we signed, or None for anything else."""
    try:
        head, body, sig = token.split(".")
        expected = hmac.new(key.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(sig)):
            return None
        return json.loads(_unb64(body))
    except (ValueError, json.JSONDecodeError):
        return None


# ---- codes -------------------------------------------------------------------------------------------
def issue_code(state: State, client_id: str, account: Account, user_id: int, now: int) -> str:
    code = _opaque()
    state.oauth.codes[code] = {
        "client_id": client_id,
        "account_id": account.id,
        "user_id": user_id,
        "issued_at": now,
        "used": False,
    }
    return code


def _check_client(integration: Integration | None, secret: str, redirect_uri: str | None) -> Integration:
    if integration is None or not hmac.compare_digest(integration.client_secret, secret or ""):
        raise OAuthError("Client authentication failed", 401)
    if redirect_uri and redirect_uri != integration.redirect_uri:
        raise OAuthError("Redirect URI is not the one registered for the integration")
    return integration


def exchange_code(state: State, form: dict, account: Account, now: int) -> dict:
    integration = _check_client(
        state.integrations.get(form.get("client_id", "")),
        form.get("client_secret", ""),
        form.get("redirect_uri"),
    )
    entry = state.oauth.codes.get(form.get("code") or "")
    if entry is None or entry["client_id"] != integration.client_id or entry["account_id"] != account.id:
        raise OAuthError("Cannot decrypt the authorization code")
    if entry["used"]:
        raise OAuthError("Authorization code has been revoked")
    if now >= entry["issued_at"] + CODE_TTL:
        raise OAuthError("Authorization code has expired")
    entry["used"] = True
    grant_id = uuid.uuid4().hex
    state.oauth.grants[grant_id] = {
        "client_id": integration.client_id,
        "account_id": account.id,
        "user_id": entry["user_id"],
        "revoked": False,
        "created_at": now,
    }
    return _token_pair(
        state, integration, account, grant_id, now, parent=None, grant_type="authorization_code"
    )


def refresh(state: State, form: dict, account: Account, now: int) -> dict:
    integration = _check_client(
        state.integrations.get(form.get("client_id", "")),
        form.get("client_secret", ""),
        form.get("redirect_uri"),
    )
    token = form.get("refresh_token") or ""
    entry = state.oauth.refresh_tokens.get(token)
    if entry is None:
        raise OAuthError("Invalid refresh token")
    grant = state.oauth.grants[entry["grant_id"]]
    if grant["client_id"] != integration.client_id or grant["account_id"] != account.id:
        raise OAuthError("Invalid refresh token")
    if entry["revoked"] or grant["revoked"]:
        raise OAuthError("Token has been revoked")
    if now >= entry["expires_at"]:
        raise OAuthError("Token has expired")
    # First use of this token retires its predecessor and any other successor of that predecessor.
    parent = entry["parent"]
    if parent is not None:
        state.oauth.refresh_tokens[parent]["revoked"] = True
        for other in state.oauth.refresh_tokens.values():
            if other["parent"] == parent and other is not entry:
                other["revoked"] = True
    entry["used_at"] = entry.get("used_at") or now
    return _token_pair(
        state, integration, account, entry["grant_id"], now, parent=token, grant_type="refresh_token"
    )


def _token_pair(
    state: State,
    integration: Integration,
    account: Account,
    grant_id: str,
    now: int,
    *,
    parent: str | None,
    grant_type: str,
) -> dict:
    access = issue_access(state, integration, account, grant_id, now, integration.access_ttl, grant_type)
    refresh_token = _opaque()
    state.oauth.refresh_tokens[refresh_token] = {
        "grant_id": grant_id,
        "issued_at": now,
        "expires_at": now + integration.refresh_ttl,
        "parent": parent,
        "revoked": False,
        "used_at": None,
    }
    return {
        "token_type": "Bearer",
        "expires_in": integration.access_ttl,
        "access_token": access,
        "refresh_token": refresh_token,
    }


def issue_access(
    state: State,
    integration: Integration,
    account: Account,
    grant_id: str,
    now: int,
    ttl: int,
    grant_type: str,
) -> str:
    grant = state.oauth.grants[grant_id]
    jti = uuid.uuid4().hex
    claims = {
        "aud": integration.client_id,
        "jti": jti,
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        "sub": str(grant["user_id"]),
        "grant_type": grant_type,
        "account_id": account.id,
        "base_domain": account.base_domain,
        "version": 2,
        "scopes": SCOPES,
        "hash_uuid": uuid.uuid4().hex,
        "api_domain": api_domain(account),
    }
    state.oauth.access_tokens[jti] = {"grant_id": grant_id, "expires_at": now + ttl}
    return make_jwt(state.signing_key, claims, jti)


def long_lived(
    state: State, integration: Integration, account: Account, user_id: int, now: int, ttl: int
) -> str:
    """A private integration's long-lived token: an access token with no refresh token (1 day–5 years)."""
    grant_id = uuid.uuid4().hex
    state.oauth.grants[grant_id] = {
        "client_id": integration.client_id,
        "account_id": account.id,
        "user_id": user_id,
        "revoked": False,
        "created_at": now,
    }
    return issue_access(state, integration, account, grant_id, now, ttl, "long_lived")


def authenticate(state: State, authorization: str | None, account: Account, now: int) -> Caller:
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthorized("Authorization header is missing or is not a Bearer token")
    claims = read_jwt(state.signing_key, authorization[len("Bearer ") :].strip())
    entry = state.oauth.access_tokens.get(claims["jti"]) if claims else None
    if claims is None or entry is None:
        raise Unauthorized("The access token is malformed or was not issued by this server")
    grant = state.oauth.grants[entry["grant_id"]]
    if grant["revoked"]:
        raise Unauthorized("The access token has been revoked")
    if now >= claims["exp"]:
        raise Unauthorized("The access token has expired")
    if claims["account_id"] != account.id:
        raise Unauthorized("The access token belongs to another account")
    return Caller(grant["client_id"], account.id, grant["user_id"], entry["grant_id"])


def revoke_grants(state: State, client_id: str, account: Account) -> int:
    """Revoke every grant of this integration in this account; returns how many were live."""
    count = 0
    for grant in state.oauth.grants.values():
        if grant["client_id"] == client_id and grant["account_id"] == account.id and not grant["revoked"]:
            grant["revoked"] = True
            count += 1
    return count


def revoke_signature(client_id: str, account_id: int, secret: str) -> str:
    """The access-revoked hook's `signature`: hex HMAC-SHA256 of "{client_id}|{account_id}" (§1.6)."""
    return hmac.new(secret.encode(), f"{client_id}|{account_id}".encode(), hashlib.sha256).hexdigest()
