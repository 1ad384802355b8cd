"""Who is calling: the request signature (every /api/v1/connections/<id> call) and the Google ID token
(calls that change ownership). Used by `addon_api` as a before-request hook and by its views.
"""

from __future__ import annotations

from flask import current_app, g, request

from backend.amocrm import account as amo_account
from backend.errors import AppError, Code
from backend.security import google_identity, signing
from backend.store.connections import Account

ID_TOKEN_HEADER = "X-Google-Id-Token"  # noqa: S105  (a header name)


def check_signature() -> None:
    """Refuse (401) any connection call that is not signed by that connection's secret."""
    connection_id = (request.view_args or {}).get("connection_id")
    if connection_id is None:
        return  # register endpoints: authenticated by the Google ID token instead
    svc = current_app.extensions["services"]
    tenants = amo_account.tenants(svc)
    key_id = signing.verify(
        request.method,
        _signed_url(),
        dict(request.headers),
        request.get_data(cache=True),
        secret_for=tenants.secret,
        redis_client=svc.redis,
        max_skew_s=svc.settings.signature_max_age_s,
    )
    if key_id != connection_id:
        raise signing.SignatureRejected(
            "This sheet's key does not open that connection.", status=403, code=Code.FORBIDDEN
        )
    conn = tenants.get(connection_id)
    if conn is None:
        raise AppError("This sheet is not set up any more; press Set up.", code=Code.NOT_FOUND, status=404)
    g.connection = conn


def _signed_url() -> str:
    """The URL exactly as the client sent it: re-encoding it (werkzeug decodes the path) would change
    `@path`/`@query` and break signatures over percent-escapes. gunicorn and werkzeug keep the raw target."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if raw and raw.startswith("/"):
        return request.host_url.rstrip("/") + raw
    return request.url


def google_user() -> google_identity.GoogleUser:
    s = current_app.extensions["services"].settings
    return google_identity.verify(
        request.headers.get(ID_TOKEN_HEADER, ""),
        audiences=s.google_oauth_client_ids,
        issuers=s.google_id_token_issuers,
        certs_url=s.google_certs_url,
    )


def account_of(connection_id: str) -> Account:
    svc = current_app.extensions["services"]
    tenants = amo_account.tenants(svc)
    conn = getattr(g, "connection", None) or tenants.get(connection_id)
    account = tenants.account(conn.account_id) if conn and conn.account_id else None
    if account is None:
        raise AppError("Connect amoCRM first.", code=Code.NOT_CONNECTED, status=409)
    if account.blocked:
        raise AppError(
            f"amoCRM blocked API access for this account: {account.blocked}",
            code=Code.AMO_BLOCKED,
            status=409,
        )
    return account
