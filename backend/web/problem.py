"""application/problem+json responses (RFC 9457) and the app-wide error handlers.

Owns: `problem()`, the single way any part of the web layer answers with an error, and
`init_app()`, which makes every error — ours, werkzeug's 404/405/413, and unexpected exceptions —
come out in that shape. A 500 never carries a stack trace or exception text; the trace goes to the log.
"""

from __future__ import annotations

import logging
import math
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

from backend.errors import AppError, Code

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

_CODE_BY_STATUS = {
    400: Code.BAD_REQUEST,
    404: Code.NOT_FOUND,
    405: Code.METHOD_NOT_ALLOWED,
    413: Code.PAYLOAD_TOO_LARGE,
    415: Code.UNSUPPORTED_MEDIA_TYPE,
    500: Code.INTERNAL,
    503: Code.UNAVAILABLE,
}

_DETAIL_BY_STATUS = {
    404: "There is nothing at {path}. Check the address.",
    405: "{method} is not allowed on {path}.",
    413: "The request body is larger than this endpoint accepts.",
    500: "Something went wrong on our side. The error was logged; please try again.",
}


def problem(status: int, detail: str, code: Code | str | None = None, **extra: Any) -> Response:
    code = code or _CODE_BY_STATUS.get(status, Code.HTTP_ERROR)
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": str(code),
        **extra,
    }
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)


def init_app(app: Flask) -> None:
    @app.errorhandler(AppError)
    def _app_error(exc: AppError) -> Response:
        if exc.status >= 500:
            log.error("request %s %s failed: %s", request.method, request.path, exc.detail)
        response = problem(exc.status, exc.detail, exc.code, **exc.extra)
        if (after := getattr(exc, "retry_after_s", None)) is not None:
            response.headers["Retry-After"] = str(max(1, math.ceil(after)))
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        template = _DETAIL_BY_STATUS.get(status)
        detail = template.format(path=request.path, method=request.method) if template else exc.description
        response = problem(status, detail)
        if status == 405 and exc.valid_methods:  # type: ignore[attr-defined]
            response.headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("request %s %s failed with an unexpected error", request.method, request.path)
        return problem(500, _DETAIL_BY_STATUS[500])
