"""The listing, reading and write paths that `/api/v4/contacts` and `/api/v4/leads` share (reference §3,
§4): contacts.py and leads.py each define an `EntityKind`, and `blueprint(kind)` gives it these routes.

- List: `with=only_deleted` lists only deleted entities as stubs, then filters, `query`, `order`, a page.
- Get one: a missing or deleted id answers 204.
- POST takes an array (≤250; an object counts as one item); PATCH on the collection takes objects with
  `id`; PATCH `/{id}` takes one object and answers 405 to an array. Every item is validated before any
  is written, so one bad item fails the whole batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, g, request

from sandbox.amocrm import custom_fields, listing, responses
from sandbox.amocrm.changes import outbox
from sandbox.amocrm.runtime import current
from sandbox.amocrm.state import Account
from sandbox.amocrm.validation import Problems, batch_items, check_batch, is_int, request_id_of

Links = dict[int, list[dict]]
# (account, entity, with=…, links by this kind's id or None) → the entity's API shape
Render = Callable[[Account, dict, set[str], Links | None], dict]
# (account, item, problems, the stored entity an update targets or None) → the data `entities` applies
Parse = Callable[[Account, Any, Problems, dict | None], dict]
# entities.create_lead / create_contact, entities.update_lead / update_contact
Create = Callable[..., dict]
Update = Callable[..., dict]


@dataclass(frozen=True)
class EntityKind:
    """What differs between contacts and leads on the shared paths."""

    plural: str  # "contacts": the URL segment, the `_embedded` key and the account's store
    singular: str  # "contact": in endpoint names and how a 404 names one
    filters: dict[str, listing.Filter]
    matches_query: Callable[[Account, dict, str], bool]
    order: tuple[str, ...]  # keys `order[…]` may sort by
    linked: str  # the `with=` value that embeds the other kind ("leads" on a contact)
    link_key: str  # this kind's key in a link ("contact_id")
    render: Render
    parse: Parse
    create: Create
    update: Update
    brief: tuple[str, ...]  # what a PATCH answers of each entity, besides its `_links`
    # Leads honour `_embedded.contacts` on create: read and checked with the item, linked once it exists.
    embedded_on_create: Callable[[Account, Any, Problems], Callable[[dict], None]] | None = None

    def store(self, account: Account) -> dict[int, dict]:
        return getattr(account, self.plural)

    def path(self, entity_id: int | None = None) -> str:
        return f"/api/v4/{self.plural}" + ("" if entity_id is None else f"/{entity_id}")


def render_common(account: Account, kind: str, entity: dict, public: tuple[str, ...]) -> dict[str, Any]:
    """The stored fields named in `public`, in that order, then the rendered custom field values."""
    out: dict[str, Any] = {k: entity[k] for k in public}
    out["custom_fields_values"] = custom_fields.render_values(account, kind, entity["custom_fields_values"])
    return out


def tags_embedded(entity: dict) -> list[dict]:
    return [{"id": t["id"], "name": t["name"], "color": None} for t in entity["tags"]]


def list_page(kind: EntityKind) -> Response:
    account: Account = g.account
    with_ = listing.with_params()
    deleted = "only_deleted" in with_  # the PHP library's models offer it (CanReturnDeletedInterface)
    items = [x for x in kind.store(account).values() if x["is_deleted"] == deleted]
    items = listing.apply_filters(items, listing.parse_brackets(request.args, "filter"), kind.filters)
    query = request.args.get("query", "").strip()
    if query:
        items = [x for x in items if kind.matches_query(account, x, query)]
    items = listing.apply_order(items, kind.order)
    if deleted:
        return listing.page_response(kind.plural, items, listing.deleted_stub, kind.path())
    links = account.links_by(kind.link_key) if kind.linked in with_ else None
    return listing.page_response(
        kind.plural, items, lambda x: kind.render(account, x, with_, links), kind.path()
    )


def get_one(kind: EntityKind, entity_id: int) -> Response:
    entity = kind.store(g.account).get(entity_id)
    if entity is None or entity["is_deleted"]:
        return responses.no_content()
    return responses.hal(kind.render(g.account, entity, listing.with_params(), None))


def create_batch(kind: EntityKind, host: str) -> Response:
    emu, account = current(), g.account
    items = batch_items(responses.json_body())
    problems = [Problems(request_id_of(item, i)) for i, item in enumerate(items)]
    parsed = [kind.parse(account, item, p, None) for item, p in zip(items, problems, strict=True)]
    then = [
        kind.embedded_on_create(account, item, p) if kind.embedded_on_create else None
        for item, p in zip(items, problems, strict=True)
    ]
    check_batch(problems)
    out = []
    for data, p, after in zip(parsed, problems, then, strict=True):
        entity = kind.create(emu.state, account, data, g.caller.user_id, emu.now(), outbox())
        if after:
            after(entity)
        out.append(
            {
                "id": entity["id"],
                "request_id": p.request_id,
                "_links": responses.self_link(host, kind.path(entity["id"])),
            }
        )
    return responses.hal({"_links": responses.self_link(host, kind.path()), "_embedded": {kind.plural: out}})


def _update(kind: EntityKind, items: list[Any]) -> list[dict]:
    emu, account = current(), g.account
    store = kind.store(account)
    problems = [Problems(request_id_of(item, i)) for i, item in enumerate(items)]
    targets = []
    for item, p in zip(items, problems, strict=True):
        entity_id = item.get("id") if isinstance(item, dict) else None
        entity = store.get(entity_id) if is_int(entity_id) else None
        if entity is None or entity["is_deleted"]:
            p.add("NotFound" if is_int(entity_id) else "FieldMissing", "id")
        targets.append(entity)
    parsed = [
        kind.parse(account, item, p, entity) if entity else {}
        for item, p, entity in zip(items, problems, targets, strict=True)
    ]
    check_batch(problems)
    now = emu.now()
    return [
        kind.update(emu.state, account, entity, data, g.caller.user_id, now, outbox())
        for entity, data in zip(targets, parsed, strict=True)
    ]


def _brief(kind: EntityKind, host: str, entity: dict) -> dict:
    return {
        **{k: entity[k] for k in kind.brief},
        "_links": responses.self_link(host, kind.path(entity["id"])),
    }


def update_batch(kind: EntityKind, host: str) -> Response:
    updated = _update(kind, batch_items(responses.json_body()))
    return responses.hal(
        {
            "_links": responses.self_link(host, kind.path()),
            "_embedded": {kind.plural: [_brief(kind, host, x) for x in updated]},
        }
    )


def update_one(kind: EntityKind, host: str, entity_id: int) -> Response:
    body = responses.json_body()
    if isinstance(body, list):  # reference §3.5: an array on /{id} is a 405
        return responses.problem(405, "Method Not Allowed")
    if not isinstance(body, dict):
        raise responses.bad_request("Request data must be an object")
    entity = kind.store(g.account).get(entity_id)
    if entity is None or entity["is_deleted"]:
        return responses.problem(404, f"{kind.singular.capitalize()} {entity_id} not found")
    (entity,) = _update(kind, [{**body, "id": entity_id}])
    return responses.hal(_brief(kind, host, entity))


def blueprint(kind: EntityKind) -> Blueprint:
    """`/<host>/api/v4/<plural>` with the five routes above, as endpoints `amo_<plural>.list_<plural>`,
    `.get_<singular>`, `.create_<plural>`, `.update_<plural>` and `.update_<singular>`."""
    bp = Blueprint(f"amo_{kind.plural}", f"sandbox.amocrm.{kind.plural}", url_prefix="/<host>/api/v4")
    one, many = f"/{kind.plural}/<int:entity_id>", f"/{kind.plural}"
    bp.add_url_rule(many, f"list_{kind.plural}", lambda host: list_page(kind), methods=["GET"])
    bp.add_url_rule(
        one, f"get_{kind.singular}", lambda host, entity_id: get_one(kind, entity_id), methods=["GET"]
    )
    bp.add_url_rule(many, f"create_{kind.plural}", lambda host: create_batch(kind, host), methods=["POST"])
    bp.add_url_rule(many, f"update_{kind.plural}", lambda host: update_batch(kind, host), methods=["PATCH"])
    bp.add_url_rule(
        one,
        f"update_{kind.singular}",
        lambda host, entity_id: update_one(kind, host, entity_id),
        methods=["PATCH"],
    )
    return bp
