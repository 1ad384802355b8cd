"""Exceptions of the amoCRM adapter, named after the condition (all are AppErrors)."""

from __future__ import annotations

from backend.errors import AppError, Code


class AmoError(AppError, status=502, code=Code.HTTP_ERROR):
    pass


class AmoUnavailable(AmoError, status=503, code=Code.UNAVAILABLE):
    """amoCRM kept failing (5xx, timeouts) after every retry; the job retries later."""


class AmoRateLimited(AmoError, status=503, code=Code.RATE_LIMITED):
    """Still 429 after the retries allowed; the job retries later."""


class AmoBlocked(AmoError, status=503, code=Code.AMO_BLOCKED):
    """403 after 429s: amoCRM blocked API access for the account. Stop all work for it."""


class AmoForbidden(AmoError, status=403, code=Code.FORBIDDEN):
    pass


class AmoAuthError(AmoError, status=409, code=Code.NEEDS_RECONNECT):
    """The access token is refused even after a refresh: the account must be reconnected."""


class AmoValidationError(AmoError, status=422, code=Code.BAD_REQUEST):
    """amoCRM refused the request's content (400/422): `problems` lists each field error."""

    def __init__(self, detail: str, problems: list[dict] | None = None, status_code: int = 400):
        super().__init__(detail)
        self.problems = problems or []
        self.status_code = status_code
