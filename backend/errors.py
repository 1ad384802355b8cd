"""The project's base exception and the closed list of error codes clients see.

Owns: `Code` (every `code` member an HTTP problem may carry; the add-on turns each into a sentence, so
the list is closed and exported to `addon/` by a test-checked file) and `AppError`, the base of every
exception the service raises on purpose. Web handlers render an AppError as application/problem+json.
"""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    BAD_REQUEST = "bad_request"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    INTERNAL = "internal_error"
    UNAVAILABLE = "unavailable"
    HTTP_ERROR = "http_error"  # any other HTTP status werkzeug raises
    SIGNATURE_INVALID = "signature_invalid"
    ID_TOKEN_INVALID = "id_token_invalid"  # noqa: S105  (an error code, not a password)
    FORBIDDEN = "forbidden"
    PROOF_FAILED = "proof_failed"
    NOT_CONNECTED = "not_connected"
    NEEDS_RECONNECT = "needs_reconnect"
    AMO_BLOCKED = "amo_blocked"
    MAPPING_INVALID = "mapping_invalid"
    CONFLICT = "conflict"
    RATE_LIMITED = "rate_limited"


class AppError(Exception):
    """A failure we expected and can explain. `detail` is shown to people: no secrets, no internals."""

    status = 500
    code: Code = Code.INTERNAL

    def __init_subclass__(cls, *, status: int | None = None, code: Code | None = None, **kw) -> None:
        """A subclass names its HTTP status and code in its header: `class NotFound(AppError, status=404,
        code=Code.NOT_FOUND)`; what it leaves out it inherits."""
        super().__init_subclass__(**kw)
        if status is not None:
            cls.status = status
        if code is not None:
            cls.code = code

    def __init__(self, detail: str, *, code: Code | None = None, status: int | None = None, **extra):
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.extra = extra


class BadRequest(AppError, status=400, code=Code.BAD_REQUEST):
    pass


class NotFound(AppError, status=404, code=Code.NOT_FOUND):
    pass
