"""The amoCRM connect page: `GET /oauth/amocrm/start?ticket=…`, `GET /oauth/amocrm/callback` and
`POST /oauth/amocrm/confirm`.

The sidebar gets a short-lived signed ticket for its connection (`addon_api.connect_ticket`) and opens
the start page in a popup; the page's button goes to amoCRM's authorize page with a fresh `state`
(single-use, 15 minutes, bound to the connection in Redis). The `state` is also bound to the browser
that opened the start page: that page sets an HttpOnly, SameSite=Lax cookie (Secure over https) and the
state keeps only its hash — an authorize URL sent to someone else and finished in their browser arrives
without the cookie and binds nothing.

amoCRM redirects back with `code`, `state`, `referer` (the account host) and `client_id`. The callback
checks all of them before it sends anything anywhere — the referer only if it is a subdomain of an
allowed domain (no SSRF) — and then only *asks*: it shows which sheet (tab, spreadsheet, who set it up)
is about to be connected to which amoCRM account. Pressing Connect (a same-origin POST carrying a
one-time CSRF token, with the cookie again) exchanges the code, connects the account and binds the
connection — only if the connection still exists. Every failure gets its own page and changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from urllib.parse import urlencode

from flask import Blueprint, current_app, make_response, render_template, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from backend.amocrm import account as amo_account
from backend.amocrm.connect import ConnectError, allowed_host, connect
from backend.amocrm.errors import AmoError
from backend.amocrm.oauth import integration_by_client_id, integration_for_host, integrations
from backend.store import keys

log = logging.getLogger(__name__)

bp = Blueprint("oauth", __name__, template_folder="templates")

TICKET_MAX_AGE_S = 600
STATE_TTL_S = 900
BROWSER_COOKIE = "amo_connect_browser"
_COOKIE_PATH = "/oauth/amocrm/"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.extensions["services"].settings.secret_key, salt="amo-connect-ticket"
    )


def make_ticket(connection_id: str) -> str:
    return _serializer().dumps({"c": connection_id})


def _page(title: str, message: str, kind: str = "bad", status: int = 400, **extra):
    return render_template("oauth_page.html", title=title, message=message, kind=kind, **extra), status


def _browser_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _keys(state: str) -> tuple[str, str, str]:
    """The state's connection id, its browser's cookie hash, and (after the callback) the pending code."""
    return keys.oauth(state)


def _same_browser(stored: bytes | None) -> bool:
    cookie = request.cookies.get(BROWSER_COOKIE, "")
    if not stored or not cookie:
        return False
    return hmac.compare_digest(stored.decode(), _browser_hash(cookie))


def _forget(state: str) -> None:
    current_app.extensions["services"].redis.delete(*_keys(state))


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
    # One value per browser, kept across flows: two popups opened in one browser both stay valid.
    browser = request.cookies.get(BROWSER_COOKIE, "")
    if len(browser) != 43:
        browser = secrets.token_urlsafe(32)
    state = secrets.token_urlsafe(24)
    conn_key, browser_key, _ = _keys(state)
    pipe = svc.redis.pipeline(transaction=True)
    pipe.set(conn_key, connection_id, ex=STATE_TTL_S)
    pipe.set(browser_key, _browser_hash(browser), ex=STATE_TTL_S)
    pipe.execute()
    urls = {  # one button per integration: amoCRM's, and Kommo's when one is configured
        i.name: i.authorize_url
        + "?"
        + urlencode({"client_id": i.client_id, "state": state, "mode": "post_message"})
        for i in integrations(svc.settings)
    }
    body, status = _page(
        "Connect amoCRM",
        "Connect this sheet to your amoCRM (Kommo) account to keep its rows and your leads in sync.",
        kind="",
        status=200,
        authorize_url=urls["amocrm"],
        kommo_url=urls.get("kommo"),
    )
    response = make_response(body, status)
    response.set_cookie(
        BROWSER_COOKIE,
        browser,
        max_age=STATE_TTL_S,
        path=_COOKIE_PATH,
        httponly=True,
        samesite="Lax",  # sent on amoCRM's top-level redirect back, never on another site's POST
        secure=svc.settings.public_base_url.startswith("https://") or request.is_secure,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/oauth/amocrm/callback")
def callback():
    svc = current_app.extensions["services"]
    args = request.args
    state = args.get("state", "")
    conn_key, browser_key, pending_key = _keys(state)
    connection_id, browser = svc.redis.mget(conn_key, browser_key) if state else (None, None)
    if connection_id is None:
        return _page(
            "This sign-in link was already used or has expired", "Start again from the add-on's sidebar."
        )
    connection_id = connection_id.decode()
    if not _same_browser(browser):
        _forget(state)
        log.warning("connection %s: an amoCRM authorization came back to another browser", connection_id)
        return _page(
            "This sign-in was started in another browser",
            "Nothing was changed. Connect amoCRM only from your own sheet's sidebar: press Connect amoCRM "
            "there and finish in the window it opens. If someone sent you this link, ignore it.",
            status=403,
        )
    failure = _check_answer(svc, args)
    if failure:
        _forget(state)
        return failure
    host = allowed_host(args["referer"], svc.settings.amo_allowed_domains)
    conn = amo_account.tenants(svc).get(connection_id)
    if conn is None:
        _forget(state)
        return _page("Unknown sheet", "This sheet is not set up any more. Nothing was changed.")
    csrf = secrets.token_urlsafe(24)
    pipe = svc.redis.pipeline(transaction=True)
    pipe.hset(pending_key, mapping={"code": args["code"], "host": host, "csrf": csrf})
    pipe.expire(pending_key, STATE_TTL_S)
    pipe.execute()
    body, status = _page(
        "Connect this sheet to amoCRM?",
        "Check that this is your sheet. Only confirm if you pressed Connect amoCRM in its sidebar "
        "yourself: the sheet's editors will read and change leads and contacts of this amoCRM account.",
        kind="",
        status=200,
        confirm={
            "state": state,
            "csrf": csrf,
            "host": host,
            "tab": conn.sheet_title or f"tab {conn.sheet_id}",
            "spreadsheet_id": conn.spreadsheet_id,
            "spreadsheet_url": f"https://docs.google.com/spreadsheets/d/{conn.spreadsheet_id}/edit",
            "set_up_by": conn.created_by_email,
        },
    )
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _check_answer(svc, args):
    """amoCRM's answer, checked before anything is sent anywhere: a failure page, or None."""
    if args.get("error"):
        return _page(
            "amoCRM access was not allowed", "Nothing was changed. You can connect later from the sidebar."
        )
    integration = integration_by_client_id(svc.settings, args.get("client_id", ""))
    if integration is None:
        return _page(
            "Unexpected integration", "amoCRM answered for another integration. Nothing was changed."
        )
    if not args.get("code", ""):
        return _page("amoCRM sent no authorization", "Start again from the add-on's sidebar.")
    try:
        host = allowed_host(args.get("referer", ""), svc.settings.amo_allowed_domains)
        if integration_for_host(svc.settings, host) != integration:
            raise ConnectError("This account's domain is served by the other integration (amoCRM or Kommo).")
    except ConnectError as exc:
        return _page("Could not connect amoCRM", exc.detail + " Nothing was changed.")
    return None


@bp.post("/oauth/amocrm/confirm")
def confirm():
    svc = current_app.extensions["services"]
    state = request.form.get("state", "")
    conn_key, browser_key, pending_key = _keys(state)
    if not state:
        return _page("This sign-in link was already used or has expired", "Start again from the sidebar.")
    pipe = svc.redis.pipeline(transaction=True)  # single use: read and delete in one step
    pipe.get(conn_key)
    pipe.get(browser_key)
    pipe.hgetall(pending_key)
    pipe.delete(conn_key, browser_key, pending_key)
    connection_id, browser, pending, _ = pipe.execute()
    if connection_id is None or not pending:
        return _page(
            "This sign-in link was already used or has expired", "Start again from the add-on's sidebar."
        )
    pending = {k.decode(): v.decode() for k, v in pending.items()}
    if not _same_browser(browser) or not hmac.compare_digest(
        pending["csrf"].encode(), request.form.get("csrf", "").encode()
    ):
        return _page(
            "This confirmation is not valid", "Nothing was changed. Start again from the sidebar.", status=403
        )
    connection_id = connection_id.decode()
    if request.form.get("decision") != "connect":
        return _page("Nothing was connected", "You can connect later from the sidebar.", kind="", status=200)
    t = amo_account.tenants(svc)
    if t.get(connection_id) is None:
        return _page("Unknown sheet", "This sheet is not set up any more. Nothing was changed.")
    try:
        account = connect(svc, pending["host"], pending["code"])
    except ConnectError as exc:
        return _page("Could not connect amoCRM", exc.detail + " Nothing was changed.")
    except AmoError as exc:
        log.warning("connection %s: connecting amoCRM failed: %s", connection_id, exc.detail)
        return _page(
            "amoCRM did not answer", "Please try again in a minute. Nothing was changed.", status=502
        )
    if not t.bind_account(connection_id, account.id):
        log.warning("connection %s: disconnected before its amoCRM sign-in finished", connection_id)
        return _page(
            "This sheet was disconnected meanwhile",
            "The sheet was disconnected while amoCRM was asking; it was not connected. Set it up again "
            "from the sidebar.",
            status=409,
        )
    log.info("connection %s: connected to amo account %s (%s)", connection_id, account.id, account.host)
    return _page(
        f"Connected to {account.host}",
        "You can close this window and return to the sheet.",
        kind="ok",
        status=200,
        post_message={"type": "amo-sync-connected", "host": account.host},
    )
