"""OAuth 2.0 over HTTP (reference §1): the authorize page, the token endpoint, the revoked-access hook.

- `GET /oauth?client_id=…&state=…&mode=…` shows an account picker with Allow / Deny (the real page is
  `https://www.amocrm.ru/oauth`); the form posts back to `/oauth`, which redirects to the integration's
  registered redirect URI with `code, state, referer=<host>, platform, client_id` or with
  `error=access_denied`. `state` is left out when it was not sent. `mode=popup` answers a page that
  redirects the opener and closes itself; otherwise (`post_message`, or no mode) a 302.
- `POST /<host>/oauth2/access_token` takes JSON or form bodies for the `authorization_code` and
  `refresh_token` grants (rules in tokens.py); errors carry amoCRM's `hint` strings.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, redirect, render_template, request

from sandbox.amocrm import responses, tokens
from sandbox.amocrm.runtime import Emulator, current
from sandbox.amocrm.state import Account, Integration

bp = Blueprint("amo_oauth", __name__)

REVOKE_USER_AGENT = "amoService-oAuth-Code-Sender/1.0"


def _integration_page_error(client_id: str) -> Response:
    return responses.html(400, f"<h1>Integration not found</h1><p>No integration with id {client_id!r}.</p>")


@bp.get("/oauth")
def authorize_page():
    emu = current()
    client_id = request.args.get("client_id", "")
    integration = emu.state.integrations.get(client_id)
    if integration is None:
        return _integration_page_error(client_id)
    return render_template(
        "amocrm/authorize.html",
        integration=integration,
        accounts=sorted(emu.state.accounts.values(), key=lambda a: a.host),
        state=request.args.get("state"),
        mode=request.args.get("mode", ""),
    )


@bp.post("/oauth")
def authorize_decision():
    emu = current()
    form = request.form
    integration = emu.state.integrations.get(form.get("client_id", ""))
    if integration is None:
        return _integration_page_error(form.get("client_id", ""))
    account = emu.state.account(form.get("account", ""))
    params: dict[str, str] = {}
    if form.get("decision") == "allow":
        if account is None:
            return responses.html(400, "<h1>Choose an account</h1>")
        user_id = int(form["user_id"]) if form.get("user_id", "").isdigit() else account.admin_user_id()
        if user_id not in account.users:
            user_id = account.admin_user_id()
        params["code"] = tokens.issue_code(emu.state, integration.client_id, account, user_id, emu.now())
        if "state" in form:  # echoed unchanged; absent when the client sent none
            params["state"] = form["state"]
        params["referer"] = account.host
        params["platform"] = "2" if account.is_kommo else "1"
        params["client_id"] = integration.client_id
    else:
        params["error"] = "access_denied"
        params["client_id"] = integration.client_id
        if "state" in form:
            params["state"] = form["state"]
    uri = integration.redirect_uri
    target = uri + ("&" if "?" in uri else "?") + urlencode(params)
    if form.get("mode") == "popup":
        return render_template("amocrm/popup.html", target=target)
    return redirect(target, code=302)


def oauth_error(account: Account | None, hint: str, status: int = 400) -> Response:
    kommo = account is not None and account.is_kommo
    return responses.json_response(
        {
            "hint": hint,
            "title": "Bad request" if kommo else "Некорректный запрос",
            "type": "https://developers.amocrm.ru/v3/errors/OAuthProblemJson",
            "status": status,
            "detail": "Some parameters are missing or invalid"
            if kommo
            else "В запросе отсутствует ряд параметров или параметры невалидны",
        },
        status,
        responses.PROBLEM,
    )


@bp.post("/<host>/oauth2/access_token")
def access_token(host: str):
    emu = current()
    account = emu.state.account(host)
    if account is None:
        return responses.problem(404, f"Account {host} not found")
    if request.is_json:
        body = request.get_json(silent=True)
        form = body if isinstance(body, dict) else {}
    else:
        form = request.form.to_dict()
    form = {k: str(v) if v is not None else "" for k, v in form.items()}
    grant = form.get("grant_type")
    try:
        if grant == "authorization_code":
            if not form.get("code"):
                return oauth_error(account, "Check the `code` parameter")
            pair = tokens.exchange_code(emu.state, form, account, emu.now())
        elif grant == "refresh_token":
            if not form.get("refresh_token"):
                return oauth_error(account, "Check the `refresh_token` parameter")
            pair = tokens.refresh(emu.state, form, account, emu.now())
        else:
            return oauth_error(
                account, "The authorization grant type is not supported by the authorization server."
            )
    except tokens.OAuthError as exc:
        return oauth_error(account, exc.hint, exc.status)
    resp = responses.json_response(pair, 200, "application/json")
    resp.headers["Cache-Control"] = "no-store"
    return resp


def revoke(emu: Emulator, integration: Integration, account: Account) -> int:
    """What an admin disabling the integration does: revoke its grants, then send the signed GET hook
    (`client_uuid, account_id, signature`, reference §1.6) if the integration has a hook URL."""
    count = tokens.revoke_grants(emu.state, integration.client_id, account)
    if integration.revoke_hook_url:
        signature = tokens.revoke_signature(integration.client_id, account.id, integration.client_secret)
        params = {"client_uuid": integration.client_id, "account_id": str(account.id), "signature": signature}
        emu.dispatcher.call_hook(integration.revoke_hook_url, params, REVOKE_USER_AGENT)
    return count
