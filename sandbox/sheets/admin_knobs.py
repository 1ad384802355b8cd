"""The `/_sandbox/` knobs: faults, quotas, call counters, the virtual clock, CORS, and minting access
and ID tokens. Same blueprint conventions as admin.py (JSON in and out, Google's error shape); kept apart
so admin.py stays about spreadsheets.
"""

from __future__ import annotations

from flask import jsonify, request

from sandbox.clock import add_clock_routes
from sandbox.sheets.admin import blueprint
from sandbox.sheets.admin import state as _state  # one accessor for both admin blueprints
from sandbox.sheets.errors import bad_request

bp = blueprint("sheets_knobs", __name__)


def _body() -> dict:
    body = request.get_json(silent=True)
    if body is not None and not isinstance(body, dict):
        raise bad_request("The body must be a JSON object.")
    return body or {}


@bp.route("/faults", methods=["GET", "POST", "DELETE"])
def faults():
    """POST {status: 429|500|503, count, latency_ms, methods: [method ids]}; DELETE clears."""
    st = _state()
    if request.method == "POST":
        body = _body()
        st.faults.configure(
            body.get("status"), int(body.get("count", 1)), int(body.get("latency_ms", 0)), body.get("methods")
        )
    elif request.method == "DELETE":
        st.faults.reset()
    return jsonify(st.faults.snapshot())


@bp.route("/quotas", methods=["GET", "POST"])
def quota_settings():
    """POST any of read_per_user, read_per_project, write_per_user, write_per_project, enabled."""
    st = _state()
    if request.method == "POST":
        st.quotas.configure(**_body())
    return jsonify(st.quotas.snapshot())


@bp.get("/counters")
def counters():
    return jsonify(_state().counters.snapshot())


@bp.route("/counters/reset", methods=["POST"])
def reset_counters():
    _state().counters.reset()
    return jsonify(_state().counters.snapshot())


add_clock_routes(bp, lambda: _state().clock, lambda seconds: _state().clock.advance(seconds), _body)


@bp.route("/cors", methods=["GET", "POST"])
def cors():
    st = _state()
    if request.method == "POST":
        st.cors = bool(_body().get("enabled", True))
    return jsonify({"enabled": st.cors})


@bp.post("/access-token")
def access_token():
    """Body: {email, project?, expires_in?}. Use it as `Authorization: Bearer <access_token>`."""
    st = _state()
    body = _body()
    if not body.get("email"):
        raise bad_request("email is required.")
    expires_in = float(body.get("expires_in", 3600))
    token, expires_at = st.tokens.mint(str(body["email"]), str(body.get("project") or st.project), expires_in)
    return jsonify(
        {"access_token": token, "token_type": "Bearer", "expires_in": expires_in, "expires_at": expires_at}
    )


@bp.post("/id-token")
def id_token():
    """Body: {email, aud, sub?, expires_in?, issued_at?, email_verified?, claims?}."""
    body = _body()
    if not body.get("email") or not body.get("aud"):
        raise bad_request("email and aud are required.")
    token, claims = _state().issuer.mint(
        email=str(body["email"]),
        aud=str(body["aud"]),
        sub=body.get("sub"),
        expires_in=float(body.get("expires_in", 3600)),
        issued_at=body.get("issued_at"),
        email_verified=bool(body.get("email_verified", True)),
        extra=body.get("claims"),
    )
    return jsonify({"id_token": token, "claims": claims})
