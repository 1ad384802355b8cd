"""Manager actions: what a person does in the amoCRM UI, under `/_sandbox/accounts/<host>/manager/`.

They go through the same validation and `entities` functions as the API, so they bump `updated_at`,
record events and fire webhooks, with `modified_user_id` = the acting user (`user_id` in the body or
query; default the account's first non-admin user, i.e. the seeded manager). Invalid input answers the
API's validation-errors 400.

- `POST   …/manager/leads`                 create a lead (optional `contact_id` to attach)
- `PATCH  …/manager/leads/<id>`            change name, price, status/pipeline, responsible, fields
- `DELETE …/manager/leads/<id>`            delete (to the trash)
- `POST   …/manager/leads/<id>/merge`      `{"merge_id": other}`: other is merged into <id>
- `POST   …/manager/contacts`, `PATCH|DELETE …/manager/contacts/<id>`
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from sandbox.amocrm import contacts, entities, leads
from sandbox.amocrm.admin import AdminError, account_or_404, body
from sandbox.amocrm.changes import outbox
from sandbox.amocrm.runtime import current
from sandbox.amocrm.state import Account
from sandbox.amocrm.validation import Problems, check_batch

bp = Blueprint("amo_manager", __name__, url_prefix="/_sandbox/accounts/<host>/manager")


def _setup(host: str) -> tuple[Account, int, dict]:
    account = account_or_404(host)
    g.account = account  # so the request's changes are published to this account's webhooks
    data = body()
    user_id = data.pop("user_id", None) or request.args.get("user_id", type=int)
    if user_id is None:
        user_id = next((u["id"] for u in account.users.values() if not u["rights"]["is_admin"]), None)
        user_id = user_id or account.admin_user_id()
    if user_id not in account.users:
        raise AdminError(f"no user {user_id} in {host}")
    return account, user_id, data


def _lead(account: Account, lead_id: int) -> dict:
    lead = account.leads.get(lead_id)
    if lead is None or lead["is_deleted"]:
        raise AdminError(f"no lead {lead_id}", 404)
    return lead


def _contact(account: Account, contact_id: int) -> dict:
    contact = account.contacts.get(contact_id)
    if contact is None or contact["is_deleted"]:
        raise AdminError(f"no contact {contact_id}", 404)
    return contact


@bp.post("/leads")
def create_lead(host: str):
    emu = current()
    account, user_id, data = _setup(host)
    contact_id = data.pop("contact_id", None)
    contact = _contact(account, contact_id) if contact_id else None
    p = Problems("0")
    parsed = leads.parse(account, data, p)
    check_batch([p])
    lead = entities.create_lead(emu.state, account, parsed, user_id, emu.now(), outbox())
    if contact:
        entities.link(account, lead["id"], contact["id"], True)
    return jsonify(leads.render(account, lead, {"contacts"})), 201


@bp.patch("/leads/<int:lead_id>")
def update_lead(host: str, lead_id: int):
    emu = current()
    account, user_id, data = _setup(host)
    lead = _lead(account, lead_id)
    p = Problems("0")
    parsed = leads.parse(account, data, p, lead)
    check_batch([p])
    entities.update_lead(emu.state, account, lead, parsed, user_id, emu.now(), outbox())
    return jsonify(leads.render(account, lead, {"contacts"}))


@bp.delete("/leads/<int:lead_id>")
def delete_lead(host: str, lead_id: int):
    emu = current()
    account, user_id, _ = _setup(host)
    entities.delete_lead(account, _lead(account, lead_id), user_id, emu.now(), outbox())
    return jsonify({"deleted": lead_id})


@bp.post("/leads/<int:lead_id>/merge")
def merge_leads(host: str, lead_id: int):
    emu = current()
    account, user_id, data = _setup(host)
    keep, gone = _lead(account, lead_id), _lead(account, int(data.get("merge_id", 0)))
    if keep is gone:
        raise AdminError("cannot merge a lead into itself")
    entities.merge_leads(emu.state, account, keep, gone, user_id, emu.now(), outbox())
    return jsonify(leads.render(account, keep, {"contacts"}))


@bp.post("/contacts")
def create_contact(host: str):
    emu = current()
    account, user_id, data = _setup(host)
    p = Problems("0")
    parsed = contacts.parse(account, data, p)
    check_batch([p])
    contact = entities.create_contact(emu.state, account, parsed, user_id, emu.now(), outbox())
    return jsonify(contacts.render(account, contact, {"leads"})), 201


@bp.patch("/contacts/<int:contact_id>")
def update_contact(host: str, contact_id: int):
    emu = current()
    account, user_id, data = _setup(host)
    contact = _contact(account, contact_id)
    p = Problems("0")
    parsed = contacts.parse(account, data, p)
    check_batch([p])
    entities.update_contact(emu.state, account, contact, parsed, user_id, emu.now(), outbox())
    return jsonify(contacts.render(account, contact, {"leads"}))


@bp.delete("/contacts/<int:contact_id>")
def delete_contact(host: str, contact_id: int):
    emu = current()
    account, user_id, _ = _setup(host)
    entities.delete_contact(account, _contact(account, contact_id), user_id, emu.now(), outbox())
    return jsonify({"deleted": contact_id})
