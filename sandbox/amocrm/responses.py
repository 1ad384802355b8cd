"""Response shapes amoCRM uses: HAL JSON on success, problem+json on errors, 204 with an empty body,
the validation-errors envelope, and the HTML pages the gateway sends (429 variant, nginx 403 ban).

`ApiError` lets code deep in a handler abort with a ready response; the app turns it back into one.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, request

HAL = "application/hal+json"
PROBLEM = "application/problem+json"

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "ErrInternalServer",
    502: "Bad Gateway",
    504: "Gateway Timeout",
}


class ApiError(Exception):
    def __init__(self, response: Response):
        super().__init__(response.status)
        self.response = response


def json_response(body: Any, status: int, mimetype: str) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=mimetype)


def hal(body: Any, status: int = 200) -> Response:
    return json_response(body, status, HAL)


def problem(status: int, detail: str, **extra: Any) -> Response:
    body = {
        "title": _TITLES.get(status, "Error"),
        "type": f"https://httpstatus.es/{status}",
        "status": status,
    }
    body["detail"] = detail
    body.update(extra)
    return json_response(body, status, PROBLEM)


def no_content() -> Response:
    """204 with nothing at all: no body and no Content-Type (amoCRM's empty list, miss and unlink)."""
    resp = Response(status=204)
    resp.headers.pop("Content-Type", None)
    return resp


def validation_failed(groups: list[dict]) -> Response:
    """`groups` = [{"request_id": "0", "errors": [{"code", "path", "detail"}]}] (reference §7)."""
    return problem(400, "Request validation failed", **{"validation-errors": groups})


def bad_request(detail: str) -> ApiError:
    return ApiError(problem(400, detail))


def html(status: int, body: str, **headers: str) -> Response:
    resp = Response(body, status=status, mimetype="text/html")
    resp.headers.update(headers)
    return resp


NGINX_403 = (
    "<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n"
    "<center><h1>403 Forbidden</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


def nginx_page(status: int) -> str:
    title = f"{status} {_TITLES.get(status, 'Error')}"
    return NGINX_403.replace("403 Forbidden", title)


def base_url() -> str:
    """The emulator's own origin as the client reached it, e.g. http://127.0.0.1:8801."""
    return request.host_url.rstrip("/")


def account_url(host: str, path: str = "") -> str:
    """An absolute URL on this emulator for an account path, e.g. …/acme.amocrm.ru/api/v4/leads/1."""
    return f"{base_url()}/{host}{path}"


def self_link(host: str, path: str) -> dict:
    return {"self": {"href": account_url(host, path)}}


def json_body() -> Any:
    """The parsed JSON body, or an ApiError shaped like amoCRM's answers to unreadable bodies."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise bad_request("Request data can not be empty")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("Request body is not valid JSON") from None
