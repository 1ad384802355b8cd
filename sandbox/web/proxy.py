"""`/proxy/<target>/<path>`: the page's one way out, for what Apps Script does from Google's servers.

UrlFetchApp and SpreadsheetApp do not run in the user's browser, so no CORS applies to them. The page
runs the doubles in the browser instead, and sends their HTTP through this same-origin reverse proxy:
`backend` is what the add-on's UrlFetchApp reaches (only `/api/v1/…`, the add-on's API), `sheets` is the
Sheets emulator's `/_sandbox/…` (SpreadsheetApp's script access, the ID-token issuer, the grid's view).
Requests go on byte for byte — method, body, the signature headers — so the backend verifies exactly
what the add-on signed. Nothing else is reachable through it.
"""

from __future__ import annotations

import requests
from flask import Blueprint, Response, abort, current_app, request

bp = Blueprint("proxy", __name__)

ALLOWED_PREFIX = {"backend": "api/v1/", "sheets": "_sandbox/"}
# Hop-by-hop and transport headers are the proxy's own business (RFC 9110 §7.6.1).
SKIP = frozenset(
    "host connection keep-alive transfer-encoding content-length content-encoding accept-encoding te "
    "trailer upgrade proxy-authorization cookie origin referer".split()
)

_session = requests.Session()
_session.trust_env = False  # loopback only: never a proxy from the environment


@bp.route("/proxy/<target>/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def forward(target: str, rest: str):
    base = current_app.config["PROXY_TARGETS"].get(target)
    if base is None or not rest.startswith(ALLOWED_PREFIX[target]):
        abort(404)
    url = f"{base}/{rest}"
    query = request.query_string.decode()
    headers = {k: v for k, v in request.headers.items() if k.lower() not in SKIP}
    try:
        answer = _session.request(
            request.method,
            url + (f"?{query}" if query else ""),
            data=request.get_data(),
            headers=headers,
            allow_redirects=False,
            timeout=60,
        )
    except requests.RequestException as exc:
        return Response(f"{target} unreachable: {type(exc).__name__}", status=502, mimetype="text/plain")
    out = [(k, v) for k, v in answer.headers.items() if k.lower() not in SKIP]
    return Response(answer.content, status=answer.status_code, headers=out)
