"""Verify the add-on user's Google ID token (`ScriptApp.getIdentityToken()`), with google-auth.

The audience must be one of GOOGLE_OAUTH_CLIENT_IDS (the add-on's OAuth client) and the issuer Google's;
signature and expiry are checked by `google.auth.jwt.decode` against Google's published certificates
(fetched from GOOGLE_CERTS_URL and cached for an hour — the sandbox serves its own there). A token
whose key is not among them makes one refetch (Google rotates keys) and then none for five minutes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import requests
from cachetools import TTLCache
from google.auth import exceptions as google_exceptions
from google.auth import jwt

from backend.errors import AppError, Code

_certs: TTLCache = TTLCache(maxsize=8, ttl=3600)
REFETCH_AFTER_S = 300
_refetched: TTLCache = TTLCache(maxsize=8, ttl=REFETCH_AFTER_S)  # cache misses too: url -> refetched
_lock = threading.Lock()


class IdTokenRejected(AppError, status=401, code=Code.ID_TOKEN_INVALID):
    pass


@dataclass(frozen=True)
class GoogleUser:
    sub: str
    email: str


def _fetch_certs(url: str) -> dict[str, str]:
    with _lock:
        if url in _certs:
            return _certs[url]
    resp = requests.get(url, timeout=10)
    resp.raise_for_status()
    certs = resp.json()
    with _lock:
        _certs[url] = certs
        _refetched[url] = True  # certificates this fresh are not refetched for an unknown `kid`
    return certs


def verify(token: str, *, audiences: tuple[str, ...], issuers: tuple[str, ...], certs_url: str) -> GoogleUser:
    if not token:
        raise IdTokenRejected("This action needs your Google sign-in; reopen the add-on and try again.")
    try:
        certs = _fetch_certs(certs_url)
    except (requests.RequestException, ValueError):
        raise IdTokenRejected(
            "Google's sign-in certificates could not be fetched; try again in a minute."
        ) from None
    try:
        try:
            claims = jwt.decode(token, certs=certs, audience=list(audiences), clock_skew_in_seconds=10)
        except ValueError as exc:
            if "not found" not in str(exc).lower():
                raise
            # Perhaps a key Google rotated in since we cached the certificates: fetch them again — at
            # most once per REFETCH_AFTER_S, or a made-up `kid` in every request would refetch them.
            with _lock:
                if certs_url in _refetched:
                    raise
                _refetched[certs_url] = True
                _certs.pop(certs_url, None)
            claims = jwt.decode(
                token, certs=_fetch_certs(certs_url), audience=list(audiences), clock_skew_in_seconds=10
            )
    except (ValueError, requests.RequestException, google_exceptions.GoogleAuthError) as exc:
        reason = (
            "it has expired"
            if "expired" in str(exc).lower()
            else "it is not for this add-on or not signed by Google"
        )
        raise IdTokenRejected(f"Your Google sign-in was refused ({reason}).") from None
    if claims.get("iss") not in issuers:
        raise IdTokenRejected("Your Google sign-in was refused (wrong issuer).")
    if not claims.get("sub"):
        raise IdTokenRejected("Your Google sign-in has no user id.")
    return GoogleUser(str(claims["sub"]), str(claims.get("email", "")))
