"""The amoCRM connect page: `GET /oauth/amocrm/start?ticket=…` and `GET /oauth/amocrm/callback`.

The sidebar gets a short-lived signed ticket for its connection (`addon_api.connect_ticket`) and opens
the start page in a popup; the page's button goes to amoCRM's authorize page with a fresh `state`
(single-use, 15 minutes, bound to the connection in Redis). amoCRM redirects back with `code`, `state`,
`referer` (the account host) and `client_id`. The callback checks all of them before it sends anything
anywhere — the referer only if it is a subdomain of an allowed domain (no SSRF) — then connects the
account, binds the connection and tells the opener. Every failure gets its own page and changes nothing.
"""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlencode

from flask import Blueprint, current_app, render_template, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from backend.amocrm import account as amo_account
from backend.amocrm.connect import ConnectError, allowed_host, connect
from backend.amocrm.errors import AmoError
from backend.amocrm.oauth import integration_by_client_id, integration_for_host, integrations

log = logging.getLogger(__name__)

bp = Blueprint("oauth", __name__, template_folder="templates")

TICKET_MAX_AGE_S = 600
STATE_TTL_S = 900


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.extensions["services"].settings.secret_key, salt="amo-connect-ticket"
    )


def make_ticket(connection_id: str) -> str:
    return _serializer().dumps({"c": connection_id})


def _page(title: str, message: str, kind: str = "bad", status: int = 400, **extra):
    return render_template("oauth_page.html", title=title, message=message, kind=kind, **extra), status


@bp.get("/oauth/amocrm/start")
def start():
    svc = current_app.extensions["services"]
    try:
        data = _serializer().loads(request.args.get("ticket", ""), max_age=TICKET_MAX_AGE_S)
    except SignatureExpired:
        return _page("This link has expired", "Open the add-on's sidebar and press Connect amoCRM again.")
    except BadSignature:
        return _page("This link is not valid", "Open the add-on's sidebar and press Connect amoCRM again.")
    connection_id = data["c"]
    if amo_account.tenants(svc).get(connection_id) is None:
        return _page("Unknown sheet", "This sheet is not set up any more. Open the add-on and press Set up.")
    state = secrets.token_urlsafe(24)
    svc.redis.set(f"oauth-state:{state}", connection_id, ex=STATE_TTL_S)
    urls = {  # one button per integration: amoCRM's, and Kommo's when one is configured
        i.name: i.authorize_url
        + "?"
        + urlencode({"client_id": i.client_id, "state": state, "mode": "post_message"})
        for i in integrations(svc.settings)
    }
    return _page(
        "Connect amoCRM",
        "Connect this sheet to your amoCRM (Kommo) account to keep its rows and your leads in sync.",
        kind="",
        status=200,
        authorize_url=urls["amocrm"],
        kommo_url=urls.get("kommo"),
    )


@bp.get("/oauth/amocrm/callback")
def callback():
    svc = current_app.extensions["services"]
    args = request.args
    state = args.get("state", "")
    connection_id = svc.redis.getdel(f"oauth-state:{state}") if state else None
    if connection_id is None:
        return _page(
            "This sign-in link was already used or has expired", "Start again from the add-on's sidebar."
        )
    connection_id = connection_id.decode()
    if args.get("error"):
        return _page(
            "amoCRM access was not allowed", "Nothing was changed. You can connect later from the sidebar."
        )
    integration = integration_by_client_id(svc.settings, args.get("client_id", ""))
    if integration is None:
        return _page(
            "Unexpected integration", "amoCRM answered for another integration. Nothing was changed."
        )
    code = args.get("code", "")
    if not code:
        return _page("amoCRM sent no authorization", "Start again from the add-on's sidebar.")
    try:
        host = allowed_host(args.get("referer", ""), svc.settings.amo_allowed_domains)
        if integration_for_host(svc.settings, host) != integration:
            raise ConnectError("This account's domain is served by the other integration (amoCRM or Kommo).")
        account = connect(svc, host, code)
    except ConnectError as exc:
        return _page("Could not connect amoCRM", exc.detail + " Nothing was changed.")
    except AmoError as exc:
        log.warning("connection %s: connecting amoCRM failed: %s", connection_id, exc.detail)
        return _page(
            "amoCRM did not answer", "Please try again in a minute. Nothing was changed.", status=502
        )
    amo_account.tenants(svc).bind_account(connection_id, account.id)
    log.info("connection %s: connected to amo account %s (%s)", connection_id, account.id, account.host)
    return _page(
        f"Connected to {account.host}",
        "You can close this window and return to the sheet.",
        kind="ok",
        status=200,
        post_message={"type": "amo-sync-connected", "host": account.host},
    )
