"""`/api/v4/leads`: list (filters, `query`, `order`, `with=contacts`), get one, batch create, batch and
single update, and the lead payload rules (reference §3). The routes and write paths are the ones
entity_routes.py shares with contacts; this module gives what is a lead's own.

- POST takes an array (≤250; an object counts as one item and creates a lead even if it has an `id`).
- PATCH `/leads` takes an array of objects with `id`; PATCH `/leads/{id}` takes one object, and an
  array there answers 405. There is no DELETE in v4 (405); deletion is a manager action.
- Without `status_id` a new lead lands in the first stage of its pipeline (not "unsorted"); a
  `status_id` without `pipeline_id` is looked up in the lead's pipeline, then in the others (142/143 are
  in every pipeline, so send `pipeline_id` with them).
- `_embedded.contacts` is honoured on create only (reference §3.4, issue #353).
- `with=only_deleted` lists only deleted (restorable) leads, each as `{id, updated_at, is_deleted: true}`
  (amoCRM's leads-list docs: "lead models with … 'id', modification date and 'is_deleted' = true").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.amocrm import custom_fields, entities, entity_routes, listing, responses
from sandbox.amocrm.state import Account
from sandbox.amocrm.validation import Problems, check_str, check_timestamp, check_user, is_int, tag_names

_PUBLIC = (
    "id",
    "name",
    "price",
    "responsible_user_id",
    "group_id",
    "status_id",
    "pipeline_id",
    "loss_reason_id",
    "created_by",
    "updated_by",
    "created_at",
    "updated_at",
    "closed_at",
    "closest_task_at",
    "is_deleted",
)


def render(
    account: Account, lead: dict, with_: set[str] = frozenset(), links: dict[int, list[dict]] | None = None
) -> dict:
    """The API shape of a lead; `links` (Account.links_by("lead_id")) saves a scan per lead on a page."""
    out = entity_routes.render_common(account, "leads", lead, _PUBLIC)
    out.update({"score": lead["score"], "account_id": account.id})
    out["_links"] = responses.self_link(account.host, f"/api/v4/leads/{lead['id']}")
    embedded: dict[str, Any] = {
        "tags": entity_routes.tags_embedded(lead),
        "companies": [
            {"id": cid, "_links": responses.self_link(account.host, f"/api/v4/companies/{cid}")}
            for cid, company in account.companies.items()
            if lead["id"] in company["lead_ids"]
        ],
    }
    if "contacts" in with_:
        embedded["contacts"] = [
            {
                "id": cid,
                "is_main": main,
                "_links": responses.self_link(account.host, f"/api/v4/contacts/{cid}"),
            }
            for cid, main in (
                [(ln["contact_id"], ln["is_main"]) for ln in links.get(lead["id"], [])]
                if links is not None
                else account.contact_ids_of(lead["id"])
            )
            if cid in account.contacts and not account.contacts[cid]["is_deleted"]
        ]
    out["_embedded"] = embedded
    return out


def _statuses_filter(lead: dict, spec: Any) -> bool:
    wanted = spec.values() if isinstance(spec, dict) else []
    for item in wanted:
        if not isinstance(item, dict):
            continue
        pipelines = listing.as_ints(item.get("pipeline_id", []))
        statuses = listing.as_ints(item.get("status_id", []))
        if (not pipelines or lead["pipeline_id"] in pipelines) and (
            not statuses or lead["status_id"] in statuses
        ):
            return True
    return False


FILTERS = {
    **listing.field_filters(
        ints=("id", "pipeline_id", "responsible_user_id", "created_by", "updated_by"),
        ranges=("price", "created_at", "updated_at", "closed_at", "closest_task_at"),
    ),
    "statuses": _statuses_filter,
}


def matches_query(account: Account, lead: dict, query: str) -> bool:
    q = query.lower()
    texts = [lead["name"], *custom_fields.searchable(lead["custom_fields_values"])]
    return query == str(lead["id"]) or any(q in t.lower() for t in texts)


def parse(account: Account, item: Any, p: Problems, existing: dict | None = None) -> dict:
    """A validated lead payload → the data `entities.create_lead/update_lead` apply."""
    if not isinstance(item, dict):
        p.wrong_type("", "object")
        return {}
    data: dict[str, Any] = {}
    check_str(item, "name", p)
    if isinstance(item.get("name"), str):
        data["name"] = item["name"]
    for key in ("price", "loss_reason_id"):
        if item.get(key) is not None and not is_int(item[key]):
            p.wrong_type(key, "int")
        elif key in item:
            data[key] = item[key]
    for key in ("responsible_user_id", "created_by", "updated_by"):
        check_user(account, item, key, p, allow_zero=key != "responsible_user_id")
        if is_int(item.get(key)):
            data[key] = item[key]
    for key in ("created_at", "updated_at", "closed_at"):
        check_timestamp(item, key, p)
        if is_int(item.get(key)):
            data[key] = item[key]
    _place(account, item, p, existing, data)
    if "custom_fields_values" in item and item["custom_fields_values"] is not None:
        data["cf"] = custom_fields.normalize(account, "leads", item["custom_fields_values"], p)
    tags = tag_names(item, p, account)
    current_tags = [t["name"] for t in existing["tags"]] if existing else []
    for key, sign in (("tags_to_add", 1), ("tags_to_delete", -1)):
        if isinstance(item.get(key), list):
            names = tag_names({"_embedded": {"tags": item[key]}}, p, account) or []
            base = tags if tags is not None else current_tags
            tags = (
                base + [n for n in names if n not in base]
                if sign > 0
                else [n for n in base if n not in names]
            )
    if tags is not None:
        data["tags"] = tags
    return data


def _place(account: Account, item: dict, p: Problems, existing: dict | None, data: dict) -> None:
    """Resolve pipeline_id/status_id into data (validated), defaulting like amoCRM does."""
    pipeline_id, status_id = item.get("pipeline_id"), item.get("status_id")
    if pipeline_id is not None and not is_int(pipeline_id):
        p.wrong_type("pipeline_id", "int")
        return
    if pipeline_id is not None and pipeline_id not in account.pipelines:
        p.add("NotSupportedChoice", "pipeline_id")
        return
    if status_id is not None and not is_int(status_id):
        p.wrong_type("status_id", "int")
        return
    if pipeline_id is None:
        pipeline_id = existing["pipeline_id"] if existing else account.main_pipeline()["id"]
        if status_id is not None and account.status(pipeline_id, status_id) is None:
            # A status unique to another pipeline moves the lead there.
            pipeline_id = next(
                (p_id for p_id in account.pipelines if account.status(p_id, status_id)), pipeline_id
            )
    if status_id is None:
        if existing and existing["pipeline_id"] == pipeline_id:
            status_id = existing["status_id"]
        else:
            first = sorted(
                (s for s in account.pipelines[pipeline_id]["statuses"] if s["type"] == 0), key=_sort
            )
            status_id = first[0]["id"]
    if account.status(pipeline_id, status_id) is None:
        p.add("NotSupportedChoice", "status_id")
        return
    data["pipeline_id"], data["status_id"] = pipeline_id, status_id


def _sort(status: dict) -> int:
    return status["sort"]


def _embedded_contacts(account: Account, item: dict, p: Problems) -> list[tuple[int, bool | None]]:
    embedded = item.get("_embedded") if isinstance(item, dict) else None
    contacts = embedded.get("contacts") if isinstance(embedded, dict) else None
    out: list[tuple[int, bool | None]] = []
    for i, ref in enumerate(contacts if isinstance(contacts, list) else []):
        cid = ref.get("id") if isinstance(ref, dict) else None
        if not is_int(cid) or cid not in account.contacts or account.contacts[cid]["is_deleted"]:
            p.add("NotSupportedChoice", f"_embedded.contacts.{i}.id")
        else:
            out.append((cid, ref.get("is_main")))
    return out


def _link_embedded_contacts(account: Account, item: Any, p: Problems) -> Callable[[dict], None]:
    """Checks `_embedded.contacts` with the item; what it returns links them to the created lead."""
    contacts = _embedded_contacts(account, item, p)

    def link(lead: dict) -> None:
        for cid, is_main in contacts:
            entities.link(account, lead["id"], cid, is_main)

    return link


KIND = entity_routes.EntityKind(
    plural="leads",
    singular="lead",
    filters=FILTERS,
    matches_query=matches_query,
    order=("created_at", "updated_at", "id"),
    linked="contacts",
    link_key="lead_id",
    render=render,
    parse=parse,
    create=entities.create_lead,
    update=entities.update_lead,
    brief=("id", "updated_at"),
    embedded_on_create=_link_embedded_contacts,
)

bp = entity_routes.blueprint(KIND)
