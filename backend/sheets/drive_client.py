"""The Drive API v3 client the backend's three Drive calls share (who may edit a spreadsheet, its version,
the service account giving up its access): one service per endpoint, and per call an authorized http
with the scopes that call needs. `endpoint` is the Sheets emulator's root in the sandbox, else ""."""

from __future__ import annotations

import functools
from typing import Any

import google.auth
import google_auth_httplib2
import httplib2
from google.auth.credentials import AnonymousCredentials

from backend.sheets.discovery import offline_service


@functools.cache
def service(endpoint: str) -> Any:
    """Drive v3 (sheets/discovery.py); every request is executed with `authorized_http`."""
    # an api_endpoint replaces Drive's whole base URL (https://www.googleapis.com/drive/v3/)
    return offline_service("drive", "v3", endpoint.rstrip("/") + "/drive/v3/" if endpoint else None)


@functools.cache
def _credentials(endpoint: str, scopes: tuple[str, ...]) -> Any:
    if endpoint:  # the sandbox emulator: anonymous calls act as the service account
        return AnonymousCredentials()
    credentials, _ = google.auth.default(scopes=list(scopes))
    return credentials


def authorized_http(endpoint: str, scopes: tuple[str, ...], timeout_s: float | None = None) -> Any:
    """Raises google.auth's GoogleAuthError when production has no credentials."""
    return google_auth_httplib2.AuthorizedHttp(
        _credentials(endpoint, scopes), http=httplib2.Http(timeout=timeout_s)
    )
