"""`/api/v4/contacts`: list with `query` search, get one, batch create, batch and single update
(reference §4). What differs from leads: the payload rules, the render and the filters; the routes and
write rules are the shared ones in entity_routes.py (arrays ≤250, 405 for an array on `/{id}`, no DELETE).

`query` is a case-insensitive substring match over the name, first and last name and every custom
field value as stored: a phone stored as `+79995551122` is found by `9995551122` or `5551`, not by
`8 999 555` (amoCRM matches stored strings, reference §4.2). An exact id matches too. No hits: 204.
"""

from __future__ import annotations

from typing import Any

from sandbox.amocrm import custom_fields, entities, entity_routes, listing, responses
from sandbox.amocrm.state import Account
from sandbox.amocrm.validation import Problems, check_str, check_timestamp, check_user, is_int, tag_names

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
    out = entity_routes.render_common(account, "contacts", contact, _PUBLIC)
    out["account_id"] = account.id
    out["_links"] = responses.self_link(account.host, f"/api/v4/contacts/{contact['id']}")
    embedded: dict[str, Any] = {"tags": entity_routes.tags_embedded(contact), "companies": []}
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


FILTERS = listing.field_filters(
    ints=("id", "responsible_user_id", "created_by", "updated_by"),
    ranges=("created_at", "updated_at", "closest_task_at"),
)


def matches_query(account: Account, contact: dict, query: str) -> bool:
    q = query.lower()
    texts = [contact["name"], contact["first_name"], contact["last_name"]]
    texts += custom_fields.searchable(contact["custom_fields_values"])
    return query == str(contact["id"]) or any(q in t.lower() for t in texts)


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


KIND = entity_routes.EntityKind(
    plural="contacts",
    singular="contact",
    filters=FILTERS,
    matches_query=matches_query,
    order=("updated_at", "id"),
    linked="leads",
    link_key="contact_id",
    render=render,
    parse=lambda account, item, p, existing: parse(account, item, p),
    create=entities.create_contact,
    update=entities.update_contact,
    brief=("id", "name", "updated_at"),
)

bp = entity_routes.blueprint(KIND)
