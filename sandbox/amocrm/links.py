"""Links between leads and contacts (reference §3.7): `POST /{leads|contacts}/{id}/link|unlink`,
`GET /{leads|contacts}/{id}/links`, and the mass forms `POST /{leads|contacts}/link|unlink` whose items
carry `entity_id`.

Bodies are arrays of `{"to_entity_id", "to_entity_type", "metadata": {"is_main"|"main_contact"}}`; only
lead ↔ contact links are modelled (companies and catalog elements answer NotSupportedChoice). Linking
is idempotent; a lead's first contact becomes its main one. Unlink answers 204.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request

from sandbox.amocrm import entities, listing, responses
from sandbox.amocrm.state import Account
from sandbox.amocrm.validation import Problems, batch_items, check_batch, is_int, request_id_of

bp = Blueprint("amo_links", __name__, url_prefix="/<host>/api/v4")

OTHER = {"leads": "contacts", "contacts": "leads"}


def _render(account: Account, entity: str, link: dict) -> dict:
    lead_side = entity == "leads"
    return {
        "entity_id": link["lead_id"] if lead_side else link["contact_id"],
        "entity_type": entity,
        "to_entity_id": link["contact_id"] if lead_side else link["lead_id"],
        "to_entity_type": OTHER[entity],
        "metadata": {"main_contact": link["is_main"]},
    }


def _live(account: Account, entity: str, entity_id: Any) -> bool:
    store = account.leads if entity == "leads" else account.contacts
    return is_int(entity_id) and entity_id in store and not store[entity_id]["is_deleted"]


def _parse(
    account: Account, entity: str, items: list, fixed_id: int | None
) -> list[tuple[int, int, bool | None]]:
    """Validated (lead_id, contact_id, is_main) triples; raises the validation-errors 400."""
    problems, out = [], []
    for i, item in enumerate(items):
        p = Problems(request_id_of(item, i))
        problems.append(p)
        if not isinstance(item, dict):
            p.wrong_type("", "object")
            continue
        entity_id = fixed_id if fixed_id is not None else item.get("entity_id")
        if not _live(account, entity, entity_id):
            p.add("NotFound", "entity_id")
        if item.get("to_entity_type") != OTHER[entity]:
            p.add("NotSupportedChoice", "to_entity_type")
        elif not _live(account, OTHER[entity], item.get("to_entity_id")):
            p.add("NotFound", "to_entity_id")
        meta = item.get("metadata") or {}
        main = meta.get("is_main", meta.get("main_contact")) if isinstance(meta, dict) else None
        if not p.errors:
            pair = (
                (entity_id, item["to_entity_id"]) if entity == "leads" else (item["to_entity_id"], entity_id)
            )
            out.append((*pair, main))
    check_batch(problems)
    return out


def _link(entity: str, fixed_id: int | None):
    account: Account = g.account
    triples = _parse(account, entity, batch_items(responses.json_body()), fixed_id)
    done = [
        _render(account, entity, entities.link(account, lead_id, cid, main)) for lead_id, cid, main in triples
    ]
    path = f"/api/v4/{entity}" + (f"/{fixed_id}/link" if fixed_id is not None else "/link")
    return responses.hal(
        {
            "_total_items": len(done),
            "_links": responses.self_link(account.host, path),
            "_embedded": {"links": done},
        }
    )


def _unlink(entity: str, fixed_id: int | None):
    account: Account = g.account
    for lead_id, cid, _ in _parse(account, entity, batch_items(responses.json_body()), fixed_id):
        entities.unlink(account, lead_id, cid)
    return responses.no_content()


def _missing(entity: str, entity_id: int):
    if _live(g.account, entity, entity_id):
        return None
    return responses.problem(404, f"{entity[:-1].capitalize()} {entity_id} not found")


@bp.post("/<any(leads, contacts):entity>/<int:entity_id>/link")
def link_one(host: str, entity: str, entity_id: int):
    return _missing(entity, entity_id) or _link(entity, entity_id)


@bp.post("/<any(leads, contacts):entity>/<int:entity_id>/unlink")
def unlink_one(host: str, entity: str, entity_id: int):
    return _missing(entity, entity_id) or _unlink(entity, entity_id)


@bp.post("/<any(leads, contacts):entity>/link")
def link_many(host: str, entity: str):
    return _link(entity, None)


@bp.post("/<any(leads, contacts):entity>/unlink")
def unlink_many(host: str, entity: str):
    return _unlink(entity, None)


@bp.get("/<any(leads, contacts):entity>/<int:entity_id>/links")
def list_links(host: str, entity: str, entity_id: int):
    account: Account = g.account
    if not _live(account, entity, entity_id):
        return responses.no_content()
    wanted = listing.as_list(listing.parse_brackets(request.args, "filter").get("to_entity_type", []))
    key = "lead_id" if entity == "leads" else "contact_id"
    other_store = account.contacts if entity == "leads" else account.leads
    other_key = "contact_id" if entity == "leads" else "lead_id"
    found = [
        _render(account, entity, ln)
        for ln in account.links
        if ln[key] == entity_id and not other_store[ln[other_key]]["is_deleted"]
    ]
    if wanted and OTHER[entity] not in wanted:
        found = []
    if not found:
        return responses.no_content()
    return responses.hal(
        {
            "_total_items": len(found),
            "_links": responses.self_link(host, f"/api/v4/{entity}/{entity_id}/links"),
            "_embedded": {"links": found},
        }
    )
