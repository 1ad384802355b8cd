"""The `/_sandbox/` admin API (JSON): reset, accounts, users, pipelines, custom fields, integrations,
grants, the virtual clock, fault knobs, counters, and read-only views of entities and deliveries.

Not part of amoCRM: nothing here is counted, rate limited or authenticated. Manager actions (a person
editing in the amoCRM UI) are in manager.py. Every endpoint is listed in README.md.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from flask import Blueprint, current_app, jsonify, request

from sandbox.amocrm import contacts, leads, oauth, seed, tokens, webhooks
from sandbox.amocrm.runtime import current
from sandbox.amocrm.state import Account, Integration
from sandbox.clock import add_clock_routes

bp = Blueprint("amo_admin", __name__, url_prefix="/_sandbox")


class AdminError(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@bp.app_errorhandler(AdminError)  # manager.py raises it too
def _admin_error(exc: AdminError):
    return jsonify({"error": str(exc)}), exc.status


@bp.errorhandler(ValueError)
def _value_error(exc: ValueError):
    return jsonify({"error": str(exc)}), 400


def body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def account_or_404(host: str) -> Account:
    account = current().state.account(host)
    if account is None:
        raise AdminError(f"no account {host}", 404)
    return account


def integration_or_404(client_id: str) -> Integration:
    integration = current().state.integrations.get(client_id)
    if integration is None:
        raise AdminError(f"no integration {client_id}", 404)
    return integration


@bp.get("/")
def index():
    rules = sorted(
        f"{','.join(sorted(r.methods - {'HEAD', 'OPTIONS'}))} {r.rule}"
        for r in current_app.url_map.iter_rules()
        if r.rule.startswith("/_sandbox")
    )
    return jsonify({"endpoints": rules})


@bp.post("/reset")
def reset():
    current().reset()
    return jsonify({"ok": True})


@bp.post("/save")
def save():
    emu = current()
    if emu.state_file is None:
        raise AdminError("started without --state")
    emu.save()
    return jsonify({"saved": str(emu.state_file)})


# ---- clock, faults, limits, counters ----------------------------------------------------------------------
add_clock_routes(bp, lambda: current().clock, lambda seconds: current().advance(seconds), body)


@bp.get("/faults")
def get_faults():
    return jsonify(current().knobs.to_json())


@bp.post("/faults")
def set_faults():
    emu = current()
    emu.knobs.update(body())
    return jsonify(emu.knobs.to_json())


@bp.post("/limits/reset")
def reset_limits():
    host = body().get("host")
    current().limiter.reset(host.lower() if host else None)
    return jsonify({"ok": True})


@bp.get("/limits")
def get_limits():
    emu = current()
    return jsonify({"banned": sorted(emu.limiter.banned)})


@bp.get("/counters")
def counters():
    return jsonify(current().counters.to_json())


@bp.post("/counters/reset")
def reset_counters():
    current().counters.reset()
    return jsonify({"ok": True})


# ---- accounts and their configuration ---------------------------------------------------------------------
def _summary(account: Account) -> dict:
    return {
        "id": account.id,
        "host": account.host,
        "name": account.name,
        "subdomain": account.subdomain,
        "users": list(account.users.values()),
        "pipelines": list(account.pipelines.values()),
        "custom_fields": {k: list(v.values()) for k, v in account.custom_fields.items()},
    }


@bp.get("/accounts")
def list_accounts():
    return jsonify([_summary(a) for a in current().state.accounts.values()])


@bp.post("/accounts")
def create_account():
    emu, data = current(), body()
    host = str(data.get("host", "")).lower()
    if not host.endswith((".amocrm.ru", ".kommo.com", ".amocrm.com")) or host.count(".") < 2:
        raise AdminError("host must look like <subdomain>.amocrm.ru or <subdomain>.kommo.com")
    if emu.state.account(host):
        raise AdminError(f"account {host} exists", 409)
    account = seed.add_account(
        emu.state,
        host,
        data.get("name") or host.split(".")[0].title(),
        emu.now(),
        seed=data.get("seed", True),
    )
    return jsonify(_summary(account)), 201


@bp.get("/accounts/<host>")
def get_account(host: str):
    return jsonify(_summary(account_or_404(host)))


@bp.post("/accounts/<host>/users")
def create_user(host: str):
    account, data = account_or_404(host), body()
    name = data.get("name") or "New user"
    email = data.get("email") or f"{uuid.uuid4().hex[:8]}@{account.subdomain}.example"
    return jsonify(
        seed.add_user(current().state, account, name, email, is_admin=bool(data.get("is_admin")))
    ), 201


@bp.post("/accounts/<host>/pipelines")
def create_pipeline(host: str):
    account, data = account_or_404(host), body()
    if len(account.pipelines) >= 50:
        raise AdminError("50 pipelines per account at most")
    stages = data.get("stages")
    pipeline = seed.add_pipeline(
        current().state,
        account,
        data.get("name") or "Pipeline",
        stages=stages,
        is_main=bool(data.get("is_main")),
    )
    return jsonify(pipeline), 201


@bp.post("/accounts/<host>/custom_fields")
def create_custom_field(host: str):
    account, data = account_or_404(host), body()
    entity = data.get("entity", "leads")
    if entity not in account.custom_fields:
        raise AdminError("entity must be leads or contacts")
    cf = seed.add_custom_field(
        current().state, account, entity, data.get("name") or "Field", data.get("type", "text"),
        code=data.get("code"), enums=data.get("enums"),
    )  # fmt: skip
    return jsonify(cf), 201


# ---- integrations and grants ---------------------------------------------------------------------------
@bp.get("/integrations")
def list_integrations():
    return jsonify([vars(i) for i in current().state.integrations.values()])


_INTEGRATION_KNOBS = (
    "name",
    "redirect_uri",
    "revoke_hook_url",
    "duplicate_control",
    "access_ttl",
    "refresh_ttl",
)


@bp.post("/integrations")
def create_integration():
    data = body()
    integration = Integration(
        client_id=data.get("client_id") or str(uuid.uuid4()),
        client_secret=data.get("client_secret") or uuid.uuid4().hex + uuid.uuid4().hex,
        redirect_uri=data.get("redirect_uri") or seed.DEFAULT_REDIRECT_URI,
    )
    for key in _INTEGRATION_KNOBS:
        if key in data:
            setattr(integration, key, data[key])
    current().state.integrations[integration.client_id] = integration
    return jsonify(vars(integration)), 201


@bp.patch("/integrations/<client_id>")
def update_integration(client_id: str):
    integration, data = integration_or_404(client_id), body()
    for key in _INTEGRATION_KNOBS:
        if key in data:
            setattr(integration, key, data[key])
    if data.get("client_secret"):  # a new secret revokes every grant (reference §1.5)
        integration.client_secret = data["client_secret"]
        for account in current().state.accounts.values():
            tokens.revoke_grants(current().state, client_id, account)
    return jsonify(vars(integration))


@bp.post("/integrations/<client_id>/revoke")
def revoke(client_id: str):
    emu, integration = current(), integration_or_404(client_id)
    account = account_or_404(body().get("host", seed.DEFAULT_HOST))
    return jsonify({"revoked_grants": oauth.revoke(emu, integration, account)})


@bp.post("/integrations/<client_id>/codes")
def issue_code(client_id: str):
    """An authorization code without the authorize page (the page is the faithful way)."""
    emu, integration, data = current(), integration_or_404(client_id), body()
    account = account_or_404(data.get("host", seed.DEFAULT_HOST))
    user_id = data.get("user_id") or account.admin_user_id()
    return jsonify({"code": tokens.issue_code(emu.state, integration.client_id, account, user_id, emu.now())})


@bp.post("/integrations/<client_id>/long_lived_token")
def long_lived_token(client_id: str):
    emu, integration, data = current(), integration_or_404(client_id), body()
    account = account_or_404(data.get("host", seed.DEFAULT_HOST))
    ttl = int(data.get("ttl", 365 * 86_400))
    if not 86_400 <= ttl <= 5 * 365 * 86_400:
        raise AdminError("a long-lived token lives 1 day to 5 years")
    user_id = data.get("user_id") or account.admin_user_id()
    return jsonify(
        {"access_token": tokens.long_lived(emu.state, integration, account, user_id, emu.now(), ttl)}
    )


@bp.get("/hook_calls")
def hook_calls():
    return jsonify(current().dispatcher.hook_calls)


# ---- read-only entity views (no pagination, deleted ones included) ---------------------------------------
@bp.get("/accounts/<host>/leads")
def admin_leads(host: str):
    account = account_or_404(host)
    return jsonify([leads.render(account, x, {"contacts"}) for x in sorted(account.leads.values(), key=_id)])


@bp.get("/accounts/<host>/contacts")
def admin_contacts(host: str):
    account = account_or_404(host)
    return jsonify(
        [contacts.render(account, x, {"leads"}) for x in sorted(account.contacts.values(), key=_id)]
    )


@bp.get("/accounts/<host>/events")
def admin_events(host: str):
    return jsonify(account_or_404(host).events)


@bp.get("/accounts/<host>/webhooks")
def admin_webhooks(host: str):
    return jsonify([webhooks.render(h) for h in account_or_404(host).webhooks.values()])


@bp.get("/accounts/<host>/webhook_deliveries")
def deliveries(host: str):
    host = account_or_404(host).host
    return jsonify([d.to_json() for d in current().dispatcher.deliveries if d.host == host])


@bp.post("/webhooks/drain")
def drain_webhooks():
    """Wait (up to `timeout` s) until no delivery is due now or in flight."""
    emu = current()
    deadline = time.monotonic() + float(body().get("timeout", 10))
    while time.monotonic() < deadline:
        with emu.lock:
            if emu.dispatcher.idle():
                return jsonify({"idle": True})
        time.sleep(0.01)
    return jsonify({"idle": False}), 504


def _id(item: dict) -> int:
    return item["id"]
