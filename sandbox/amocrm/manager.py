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

from collections.abc import Callable
from functools import partial

from flask import Blueprint, Response, g, jsonify, request

from sandbox.amocrm import contacts, entities, leads
from sandbox.amocrm.admin import AdminError, account_or_404, body
from sandbox.amocrm.changes import outbox
from sandbox.amocrm.entity_routes import EntityKind
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


def _found(kind: EntityKind, account: Account, entity_id: int) -> dict:
    entity = kind.store(account).get(entity_id)
    if entity is None or entity["is_deleted"]:
        raise AdminError(f"no {kind.singular} {entity_id}", 404)
    return entity


def _apply(kind: EntityKind, account: Account, user_id: int, data: dict, entity: dict | None = None) -> dict:
    """Create (no `entity`) or update one entity from the body, validated as the API validates it."""
    emu = current()
    p = Problems("0")
    parsed = kind.parse(account, data, p, entity)
    check_batch([p])
    if entity is None:
        return kind.create(emu.state, account, parsed, user_id, emu.now(), outbox())
    return kind.update(emu.state, account, entity, parsed, user_id, emu.now(), outbox())


def _shown(kind: EntityKind, account: Account, entity: dict) -> Response:
    return jsonify(kind.render(account, entity, {kind.linked}, None))


def _update(kind: EntityKind, host: str, entity_id: int) -> Response:
    account, user_id, data = _setup(host)
    return _shown(kind, account, _apply(kind, account, user_id, data, _found(kind, account, entity_id)))


def _delete(kind: EntityKind, host: str, entity_id: int, delete: Callable[..., None]) -> Response:
    account, user_id, _ = _setup(host)
    delete(account, _found(kind, account, entity_id), user_id, current().now(), outbox())
    return jsonify({"deleted": entity_id})


@bp.post("/leads")
def create_lead(host: str):
    account, user_id, data = _setup(host)
    contact_id = data.pop("contact_id", None)
    contact = _found(contacts.KIND, account, contact_id) if contact_id else None
    lead = _apply(leads.KIND, account, user_id, data)
    if contact:
        entities.link(account, lead["id"], contact["id"], True)
    return _shown(leads.KIND, account, lead), 201


@bp.post("/leads/<int:lead_id>/merge")
def merge_leads(host: str, lead_id: int):
    emu = current()
    account, user_id, data = _setup(host)
    keep = _found(leads.KIND, account, lead_id)
    gone = _found(leads.KIND, account, int(data.get("merge_id", 0)))
    if keep is gone:
        raise AdminError("cannot merge a lead into itself")
    entities.merge_leads(emu.state, account, keep, gone, user_id, emu.now(), outbox())
    return _shown(leads.KIND, account, keep)


@bp.post("/contacts")
def create_contact(host: str):
    account, user_id, data = _setup(host)
    return _shown(contacts.KIND, account, _apply(contacts.KIND, account, user_id, data)), 201


def _add_change_routes(kind: EntityKind, delete: Callable[..., None]) -> None:
    """PATCH and DELETE `…/manager/<plural>/<id>`, as endpoints update_<singular> and delete_<singular>."""
    one = f"/{kind.plural}/<int:entity_id>"
    bp.add_url_rule(one, f"update_{kind.singular}", partial(_update, kind), methods=["PATCH"])
    bp.add_url_rule(one, f"delete_{kind.singular}", partial(_delete, kind, delete=delete), methods=["DELETE"])


_add_change_routes(leads.KIND, entities.delete_lead)
_add_change_routes(contacts.KIND, entities.delete_contact)
