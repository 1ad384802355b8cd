"""Who is calling, and may they touch this spreadsheet.

| request carries                          | principal                                               |
|------------------------------------------|---------------------------------------------------------|
| no Authorization header                  | the anonymous principal (`--anonymous-principal`, by    |
|                                          | default the backend's service account); if that is set  |
|                                          | to "" → 403 "The request is missing a valid API key."   |
| `Authorization: Bearer <token>` minted   | the e-mail (and project) the token was minted for       |
| by `/_sandbox/access-token`              |                                                         |
| any other bearer token, or an expired one| 401 UNAUTHENTICATED                                     |

google-api-python-client with AnonymousCredentials sends no Authorization header, so a backend built
that way acts as its service account. Access tokens expire on the virtual clock (default 3600 s).
A spreadsheet's owner and editors may read and write; viewers may read; anyone else gets 403
"The caller does not have permission" on every call to it.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass

from sandbox.clock import Clock
from sandbox.sheets.errors import missing_credentials, permission_denied, unauthenticated
from sandbox.sheets.model import Principal, Spreadsheet

DEFAULT_ANONYMOUS_PRINCIPAL = "sync@sandbox-project.iam.gserviceaccount.com"
DEFAULT_PROJECT = "sandbox-project"


@dataclass(frozen=True)
class AccessToken:
    principal: Principal
    expires_at: float


class AccessTokens:
    def __init__(self, clock: Clock):
        self.clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, AccessToken] = {}

    def mint(self, email: str, project: str, expires_in: float = 3600) -> tuple[str, float]:
        token = "ya29.sandbox-" + secrets.token_urlsafe(32)  # shaped like a Google access token
        expires_at = self.clock.now() + expires_in
        with self._lock:
            self._tokens[token] = AccessToken(Principal(email, project), expires_at)
        return token, expires_at

    def resolve(self, token: str) -> Principal | None:
        with self._lock:
            found = self._tokens.get(token)
        if found is None or found.expires_at <= self.clock.now():
            return None
        return found.principal

    def reset(self) -> None:
        with self._lock:
            self._tokens.clear()

    def to_json(self) -> dict:
        with self._lock:
            return {
                t: {"email": a.principal.email, "project": a.principal.project, "expires_at": a.expires_at}
                for t, a in self._tokens.items()
            }

    def load_json(self, data: dict) -> None:
        with self._lock:
            for token, a in data.items():
                self._tokens[token] = AccessToken(Principal(a["email"], a["project"]), a["expires_at"])


def principal_of(authorization: str | None, tokens: AccessTokens, anonymous: Principal | None) -> Principal:
    if not authorization:
        if anonymous is None:
            raise missing_credentials()
        return anonymous
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthenticated()
    principal = tokens.resolve(token.strip())
    if principal is None:
        raise unauthenticated()
    return principal


def check_access(ss: Spreadsheet, principal: Principal, *, write: bool) -> None:
    allowed = ss.can_write(principal.email) if write else ss.can_read(principal.email)
    if not allowed:
        raise permission_denied()
