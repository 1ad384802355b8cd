"""Google's error shape for the emulated API: `{"error": {"code", "message", "status"}}`.

Owns the one exception every module raises (`ApiError`) and the constructors for the errors Google
returns with fixed wording (404 entity not found, 403 caller lacks permission, 401 bad credentials,
400 unparsable range). Imports nothing from the rest of the package.
"""

from __future__ import annotations

from typing import Any

STATUS_BY_CODE = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
}


class ApiError(Exception):
    """An error answered to the caller in Google's JSON error shape."""

    def __init__(self, code: int, message: str, status: str | None = None, details: list | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or STATUS_BY_CODE.get(code, "UNKNOWN")
        self.details = details or []

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            error["details"] = self.details
        return {"error": error}

    def prefixed(self, prefix: str) -> ApiError:
        """The same error reported for one element of a batch, e.g. `Invalid requests[1].deleteSheet: …`."""
        return ApiError(self.code, f"{prefix}: {self.message}", self.status, self.details)


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def not_found() -> ApiError:
    return ApiError(404, "Requested entity was not found.")


def permission_denied() -> ApiError:
    return ApiError(403, "The caller does not have permission")


def unauthenticated() -> ApiError:
    return ApiError(
        401,
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
        "or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project.",
    )


def missing_credentials() -> ApiError:
    # What Google answers a call that carries neither a token nor an API key.
    return ApiError(403, "The request is missing a valid API key.")


def unparsable_range(text: str) -> ApiError:
    return ApiError(400, f"Unable to parse range: {text}")


def not_emulated(what: str) -> ApiError:
    return ApiError(501, f"The Sheets sandbox does not emulate {what}.")
