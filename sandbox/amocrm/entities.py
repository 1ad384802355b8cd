"""What happens to leads and contacts when they change, whoever changes them (an API call or a
"manager" in the admin API): stamps (`updated_at`, `updated_by`, `closed_at`), events for
`GET /api/v4/events`, and `Change` records the webhook dispatcher turns into deliveries.

Callers validate first; these functions only apply. Must not import flask.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sandbox.amocrm import custom_fields
from sandbox.amocrm.seed import LOST, WON
from sandbox.amocrm.state import Account, State

LEAD_FIELDS = ("name", "price", "status_id", "pipeline_id", "responsible_user_id", "loss_reason_id")
CONTACT_FIELDS = ("name", "first_name", "last_name", "responsible_user_id")


@dataclass
class Change:
    """One webhook-worthy change: `leads[status][i]…` is entity="leads", action="status"."""

    entity: str  # "leads" | "contacts"
    action: str  # add | update | status | responsible | delete
    item: dict  # the entity after the change (stored form)
    old: dict = field(default_factory=dict)  # old_status_id, old_pipeline_id, old_responsible_user_id
    actor: int = 0  # modified_user_id

    @property
    def setting(self) -> str:
        return f"{self.action}_{self.entity[:-1]}"  # "status_lead", "add_contact"


def record_event(
    account: Account,
    type_: str,
    entity: str,
    entity_id: int,
    actor: int,
    now: int,
    before: list | None = None,
    after: list | None = None,
) -> None:
    account.events.append(
        {
            "id": uuid.uuid4().hex[:24],
            "type": type_,
            "entity_id": entity_id,
            "entity_type": entity[:-1],  # "lead", "contact"
            "created_by": actor,
            "created_at": now,
            "value_after": after or [],
            "value_before": before or [],
            "account_id": account.id,
        }
    )


def tag_ids(state: State, account: Account, names: list[str]) -> list[dict]:
    out = []
    for name in names:
        if name not in account.tags:
            account.tags[name] = state.next_id("tag")
        out.append({"id": account.tags[name], "name": name})
    return out


def _stamps(data: dict, actor: int, now: int) -> dict:
    """Who created / last changed a new entity and when: the payload's values, else the actor and now."""
    return {
        "created_by": data.get("created_by", actor),
        "updated_by": data.get("updated_by", actor),
        "created_at": data.get("created_at") or now,
        "updated_at": data.get("updated_at") or data.get("created_at") or now,
    }


def _added(account: Account, kind: str, entity: dict, actor: int, now: int, outbox: list[Change]) -> dict:
    """Store a new entity of `kind` ("leads" | "contacts") with its `…_added` event and `add` webhook."""
    getattr(account, kind)[entity["id"]] = entity
    record_event(account, f"{kind[:-1]}_added", kind, entity["id"], actor, now)
    outbox.append(Change(kind, "add", entity, actor=actor))
    return entity


def _update_common(state: State, account: Account, entity: dict, data: dict, actor: int, now: int) -> None:
    """What an update does to a lead and a contact alike: fields, tags and the `updated_*` stamps."""
    if "cf" in data:
        entity["custom_fields_values"] = custom_fields.apply(entity["custom_fields_values"], data["cf"])
    if data.get("tags") is not None:
        entity["tags"] = tag_ids(state, account, data["tags"])
    entity["updated_at"] = data.get("updated_at") or now
    entity["updated_by"] = data.get("updated_by", actor)


def _deleted(account: Account, kind: str, entity: dict, actor: int, now: int, outbox: list[Change]) -> None:
    """To the trash: hidden from the API (GET answers 204), an event, a `<kind>[delete]` webhook."""
    entity["is_deleted"] = True
    entity["updated_at"], entity["updated_by"] = now, actor
    record_event(account, f"{kind[:-1]}_deleted", kind, entity["id"], actor, now)
    outbox.append(Change(kind, "delete", entity, actor=actor))


# ---- leads ----------------------------------------------------------------------------------------------
def create_lead(
    state: State, account: Account, data: dict, actor: int, now: int, outbox: list[Change]
) -> dict:
    """`data` holds validated LEAD_FIELDS plus optional cf (validated changes), tags, created_at…"""
    pipeline = account.pipelines[data["pipeline_id"]]
    lead = {
        "id": state.next_id("lead"),
        "name": data.get("name") or f"Сделка #{state.next_ids['lead']}",
        "price": data.get("price") or 0,
        "responsible_user_id": data.get("responsible_user_id") or actor,
        "group_id": 0,
        "status_id": data["status_id"],
        "pipeline_id": pipeline["id"],
        "loss_reason_id": data.get("loss_reason_id"),
        **_stamps(data, actor, now),
        "closed_at": data.get("closed_at") or (now if data["status_id"] in (WON, LOST) else None),
        "closest_task_at": None,
        "is_deleted": False,
        "custom_fields_values": custom_fields.apply(None, data.get("cf", {})),
        "score": None,
        "account_id": account.id,
        "tags": tag_ids(state, account, data.get("tags") or []),
    }
    return _added(account, "leads", lead, actor, now, outbox)


def update_lead(
    state: State, account: Account, lead: dict, data: dict, actor: int, now: int, outbox: list[Change]
) -> dict:
    old = {k: lead[k] for k in LEAD_FIELDS}
    for key in LEAD_FIELDS:
        if key in data:
            lead[key] = data[key]
    _update_common(state, account, lead, data, actor, now)
    moved = (lead["status_id"], lead["pipeline_id"]) != (old["status_id"], old["pipeline_id"])
    if moved:
        # UNCONFIRMED in the reference: closing stamps closed_at, reopening clears it.
        lead["closed_at"] = data.get("closed_at") or (now if lead["status_id"] in (WON, LOST) else None)
    for event, value, before, after in (
        ("lead_status_changed", "lead_status", *_both(old, lead, id="status_id", pipeline_id="pipeline_id")),
        ("sale_field_changed", "sale_field_value", *_both(old, lead, sale="price")),
        ("name_field_changed", "name_field_value", *_both(old, lead, name="name")),
        ("entity_responsible_changed", "responsible_user", *_both(old, lead, id="responsible_user_id")),
    ):
        if before != after:
            record_event(account, event, "leads", lead["id"], actor, now, [{value: before}], [{value: after}])
    olds = {
        "old_status_id": old["status_id"],
        "old_pipeline_id": old["pipeline_id"],
        "old_responsible_user_id": old["responsible_user_id"],
    }
    outbox.append(Change("leads", "update", lead, olds, actor))
    if moved:
        outbox.append(Change("leads", "status", lead, olds, actor))
    if lead["responsible_user_id"] != old["responsible_user_id"]:
        outbox.append(Change("leads", "responsible", lead, olds, actor))
    return lead


def _both(old: dict, new: dict, **names: str) -> tuple[dict, dict]:
    """An event's value before and after a change: `names` maps the event's keys to the lead's."""
    return {k: old[f] for k, f in names.items()}, {k: new[f] for k, f in names.items()}


def delete_lead(account: Account, lead: dict, actor: int, now: int, outbox: list[Change]) -> None:
    _deleted(account, "leads", lead, actor, now, outbox)


def merge_leads(
    state: State, account: Account, keep: dict, gone: dict, actor: int, now: int, outbox: list[Change]
) -> dict:
    """What the UI's "merge" does, simplified: `keep` takes `gone`'s contacts and any custom field or
    price it lacks; `gone` is deleted."""
    data: dict = {}
    if not keep["price"] and gone["price"]:
        data["price"] = gone["price"]
    have = {cf["field_id"] for cf in keep["custom_fields_values"]}
    data["cf"] = {
        cf["field_id"]: cf["values"] for cf in gone["custom_fields_values"] if cf["field_id"] not in have
    }
    keep_has_main = any(ln["lead_id"] == keep["id"] and ln["is_main"] for ln in account.links)
    for link in account.links:
        if link["lead_id"] == gone["id"] and (keep["id"], link["contact_id"]) not in _pairs(account):
            link["lead_id"] = keep["id"]
            link["is_main"] = link["is_main"] and not keep_has_main  # the kept lead keeps its main contact
    account.links_changed()
    update_lead(state, account, keep, data, actor, now, outbox)
    record_event(account, "entity_merged", "leads", keep["id"], actor, now)
    delete_lead(account, gone, actor, now, outbox)
    return keep


def _pairs(account: Account) -> set[tuple[int, int]]:
    return {(ln["lead_id"], ln["contact_id"]) for ln in account.links}


# ---- contacts -------------------------------------------------------------------------------------------
def contact_name(data: dict, fallback: str = "") -> str:
    if data.get("name"):
        return data["name"]
    joined = " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)
    return joined or fallback


def create_contact(
    state: State, account: Account, data: dict, actor: int, now: int, outbox: list[Change]
) -> dict:
    contact = {
        "id": state.next_id("contact"),
        "name": contact_name(data),
        "first_name": data.get("first_name") or "",
        "last_name": data.get("last_name") or "",
        "responsible_user_id": data.get("responsible_user_id") or actor,
        "group_id": 0,
        **_stamps(data, actor, now),
        "closest_task_at": None,
        "is_deleted": False,
        "is_unsorted": False,
        "custom_fields_values": custom_fields.apply(None, data.get("cf", {})),
        "account_id": account.id,
        "tags": tag_ids(state, account, data.get("tags") or []),
    }
    return _added(account, "contacts", contact, actor, now, outbox)


def update_contact(
    state: State, account: Account, contact: dict, data: dict, actor: int, now: int, outbox: list[Change]
) -> dict:
    old_responsible = contact["responsible_user_id"]
    for key in CONTACT_FIELDS:
        if key in data:
            contact[key] = data[key]
    if "name" not in data and ("first_name" in data or "last_name" in data):
        contact["name"] = contact_name(
            {"first_name": contact["first_name"], "last_name": contact["last_name"]}
        )
    _update_common(state, account, contact, data, actor, now)
    olds = {"old_responsible_user_id": old_responsible}
    outbox.append(Change("contacts", "update", contact, olds, actor))
    if contact["responsible_user_id"] != old_responsible:
        outbox.append(Change("contacts", "responsible", contact, olds, actor))
    return contact


def delete_contact(account: Account, contact: dict, actor: int, now: int, outbox: list[Change]) -> None:
    _deleted(account, "contacts", contact, actor, now, outbox)


def link(account: Account, lead_id: int, contact_id: int, is_main: bool | None) -> dict:
    """Link a contact to a lead (idempotent). The first contact of a lead is its main one."""
    of_lead = account.links_of("lead_id", lead_id)
    existing = next((ln for ln in of_lead if ln["contact_id"] == contact_id), None)
    others = [ln for ln in of_lead if ln is not existing]
    main = bool(is_main) or (not others and existing is None) or bool(existing and existing["is_main"])
    if main:
        for ln in others:
            ln["is_main"] = False
    if existing is None:
        existing = {"lead_id": lead_id, "contact_id": contact_id, "is_main": main}
        account.add_link(existing)
    else:
        existing["is_main"] = main
    return existing


def unlink(account: Account, lead_id: int, contact_id: int) -> bool:
    before = len(account.links)
    account.links[:] = [
        ln for ln in account.links if not (ln["lead_id"] == lead_id and ln["contact_id"] == contact_id)
    ]
    account.links_changed()
    return len(account.links) != before
