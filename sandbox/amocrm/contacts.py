"""`/api/v4/contacts`: list with `query` search, get one, batch create, batch and single update
(reference §4). Same write rules as leads (arrays ≤250, 405 for an array on `/{id}`, no DELETE).

`query` is a case-insensitive substring match over the name, first and last name and every custom
field value as stored: a phone stored as `+79995551122` is found by `9995551122` or `5551`, not by
`8 999 555` (amoCRM matches stored strings, reference §4.2). An exact id matches too. No hits: 204.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request

from sandbox.amocrm import custom_fields, entities, listing, responses
from sandbox.amocrm.changes import outbox
from sandbox.amocrm.runtime import current
from sandbox.amocrm.state import Account
from sandbox.amocrm.validation import (
    Problems,
    batch_items,
    check_batch,
    check_str,
    check_timestamp,
    check_user,
    is_int,
    request_id_of,
    tag_names,
)

bp = Blueprint("amo_contacts", __name__, url_prefix="/<host>/api/v4")

_PUBLIC = (
    "id",
    "name",
    "first_name",
    "last_name",
    "responsible_user_id",
    "group_id",
    "created_by",
    "updated_by",
    "created_at",
    "updated_at",
    "closest_task_at",
    "is_deleted",
    "is_unsorted",
)


def render(
    account: Account, contact: dict, with_: set[str] = frozenset(), links: dict[int, list[dict]] | None = None
) -> dict:
    """The API shape of a contact; `links` (Account.links_by("contact_id")) is for whole pages."""
    out: dict[str, Any] = {k: contact[k] for k in _PUBLIC}
    out["custom_fields_values"] = custom_fields.render_values(
        account, "contacts", contact["custom_fields_values"]
    )
    out["account_id"] = account.id
    out["_links"] = responses.self_link(account.host, f"/api/v4/contacts/{contact['id']}")
    embedded: dict[str, Any] = {
        "tags": [{"id": t["id"], "name": t["name"], "color": None} for t in contact["tags"]],
        "companies": [],
    }
    if "leads" in with_:
        embedded["leads"] = [
            {"id": lid, "_links": responses.self_link(account.host, f"/api/v4/leads/{lid}")}
            for lid in (
                [ln["lead_id"] for ln in links.get(contact["id"], [])]
                if links is not None
                else account.lead_ids_of(contact["id"])
            )
            if lid in account.leads and not account.leads[lid]["is_deleted"]
        ]
    out["_embedded"] = embedded
    return out


FILTERS = {
    "id": lambda c, v: c["id"] in listing.as_ints(v),
    "name": lambda c, v: c["name"] in listing.as_list(v),
    "created_at": lambda c, v: listing.in_range(c["created_at"], v),
    "updated_at": lambda c, v: listing.in_range(c["updated_at"], v),
    "closest_task_at": lambda c, v: listing.in_range(c["closest_task_at"], v),
    "responsible_user_id": lambda c, v: c["responsible_user_id"] in listing.as_ints(v),
    "created_by": lambda c, v: c["created_by"] in listing.as_ints(v),
    "updated_by": lambda c, v: c["updated_by"] in listing.as_ints(v),
}


def matches_query(contact: dict, query: str) -> bool:
    q = query.lower()
    texts = [contact["name"], contact["first_name"], contact["last_name"]]
    texts += custom_fields.searchable(contact["custom_fields_values"])
    return query == str(contact["id"]) or any(q in t.lower() for t in texts)


@bp.get("/contacts")
def list_contacts(host: str):
    account: Account = g.account
    with_ = listing.with_params()
    deleted = "only_deleted" in with_  # the PHP library's ContactModel offers it (CanReturnDeletedInterface)
    contacts = [c for c in account.contacts.values() if c["is_deleted"] == deleted]
    contacts = listing.apply_filters(contacts, listing.parse_brackets(request.args, "filter"), FILTERS)
    query = request.args.get("query", "").strip()
    if query:
        contacts = [c for c in contacts if matches_query(c, query)]
    contacts = listing.apply_order(contacts, ("updated_at", "id"))
    if deleted:
        return listing.page_response("contacts", contacts, listing.deleted_stub, "/api/v4/contacts")
    links = account.links_by("contact_id") if "leads" in with_ else None
    return listing.page_response(
        "contacts", contacts, lambda c: render(account, c, with_, links), "/api/v4/contacts"
    )


@bp.get("/contacts/<int:contact_id>")
def get_contact(host: str, contact_id: int):
    contact = g.account.contacts.get(contact_id)
    if contact is None or contact["is_deleted"]:
        return responses.no_content()
    return responses.hal(render(g.account, contact, listing.with_params()))


def parse(account: Account, item: Any, p: Problems, prefix: str = "") -> dict:
    """A validated contact payload → the data `entities.create_contact/update_contact` apply."""
    if not isinstance(item, dict):
        p.wrong_type(prefix.rstrip("."), "object")
        return {}
    sub = Problems(p.request_id)
    data: dict[str, Any] = {}
    for key in ("name", "first_name", "last_name"):
        check_str(item, key, sub)
        if isinstance(item.get(key), str):
            data[key] = item[key]
    for key in ("responsible_user_id", "created_by", "updated_by"):
        check_user(account, item, key, sub, allow_zero=key != "responsible_user_id")
        if is_int(item.get(key)):
            data[key] = item[key]
    for key in ("created_at", "updated_at"):
        check_timestamp(item, key, sub)
        if is_int(item.get(key)):
            data[key] = item[key]
    if item.get("custom_fields_values") is not None:
        data["cf"] = custom_fields.normalize(account, "contacts", item["custom_fields_values"], sub)
    tags = tag_names(item, sub, account)
    if tags is not None:
        data["tags"] = tags
    for err in sub.errors:  # complex requests nest contacts: paths start with _embedded.contacts.0.
        p.errors.append({**err, "path": prefix + err["path"]})
    return data


@bp.post("/contacts")
def create_contacts(host: str):
    emu, account = current(), g.account
    items = batch_items(responses.json_body())
    problems = [Problems(request_id_of(item, i)) for i, item in enumerate(items)]
    parsed = [parse(account, item, p) for item, p in zip(items, problems, strict=True)]
    check_batch(problems)
    out = []
    for data, p in zip(parsed, problems, strict=True):
        contact = entities.create_contact(emu.state, account, data, g.caller.user_id, emu.now(), outbox())
        out.append(
            {
                "id": contact["id"],
                "request_id": p.request_id,
                "_links": responses.self_link(host, f"/api/v4/contacts/{contact['id']}"),
            }
        )
    return responses.hal(
        {"_links": responses.self_link(host, "/api/v4/contacts"), "_embedded": {"contacts": out}}
    )


def _update(items: list[Any]) -> list[dict]:
    emu, account = current(), g.account
    problems = [Problems(request_id_of(item, i)) for i, item in enumerate(items)]
    targets = []
    for item, p in zip(items, problems, strict=True):
        cid = item.get("id") if isinstance(item, dict) else None
        contact = account.contacts.get(cid) if is_int(cid) else None
        if contact is None or contact["is_deleted"]:
            p.add("NotFound" if is_int(cid) else "FieldMissing", "id")
        targets.append(contact)
    parsed = [
        parse(account, item, p) if c else {} for item, p, c in zip(items, problems, targets, strict=True)
    ]
    check_batch(problems)
    now = emu.now()
    return [
        entities.update_contact(emu.state, account, c, data, g.caller.user_id, now, outbox())
        for c, data in zip(targets, parsed, strict=True)
    ]


def _brief(host: str, contact: dict) -> dict:
    return {
        "id": contact["id"],
        "name": contact["name"],
        "updated_at": contact["updated_at"],
        "_links": responses.self_link(host, f"/api/v4/contacts/{contact['id']}"),
    }


@bp.patch("/contacts")
def update_contacts(host: str):
    contacts = _update(batch_items(responses.json_body()))
    return responses.hal(
        {
            "_links": responses.self_link(host, "/api/v4/contacts"),
            "_embedded": {"contacts": [_brief(host, c) for c in contacts]},
        }
    )


@bp.patch("/contacts/<int:contact_id>")
def update_contact(host: str, contact_id: int):
    body = responses.json_body()
    if isinstance(body, list):
        return responses.problem(405, "Method Not Allowed")
    if not isinstance(body, dict):
        raise responses.bad_request("Request data must be an object")
    contact = g.account.contacts.get(contact_id)
    if contact is None or contact["is_deleted"]:
        return responses.problem(404, f"Contact {contact_id} not found")
    (contact,) = _update([{**body, "id": contact_id}])
    return responses.hal(_brief(host, contact))
