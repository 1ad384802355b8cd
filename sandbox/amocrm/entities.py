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
        "created_by": data.get("created_by", actor),
        "updated_by": data.get("updated_by", actor),
        "created_at": data.get("created_at") or now,
        "updated_at": data.get("updated_at") or data.get("created_at") or now,
        "closed_at": data.get("closed_at") or (now if data["status_id"] in (WON, LOST) else None),
        "closest_task_at": None,
        "is_deleted": False,
        "custom_fields_values": custom_fields.apply(None, data.get("cf", {})),
        "score": None,
        "account_id": account.id,
        "tags": tag_ids(state, account, data.get("tags") or []),
    }
    account.leads[lead["id"]] = lead
    record_event(account, "lead_added", "leads", lead["id"], actor, now)
    outbox.append(Change("leads", "add", lead, actor=actor))
    return lead


def update_lead(
    state: State, account: Account, lead: dict, data: dict, actor: int, now: int, outbox: list[Change]
) -> dict:
    old = {k: lead[k] for k in LEAD_FIELDS}
    for key in LEAD_FIELDS:
        if key in data:
            lead[key] = data[key]
    if "cf" in data:
        lead["custom_fields_values"] = custom_fields.apply(lead["custom_fields_values"], data["cf"])
    if data.get("tags") is not None:
        lead["tags"] = tag_ids(state, account, data["tags"])
    lead["updated_at"] = data.get("updated_at") or now
    lead["updated_by"] = data.get("updated_by", actor)
    moved = (lead["status_id"], lead["pipeline_id"]) != (old["status_id"], old["pipeline_id"])
    if moved:
        # UNCONFIRMED in the reference: closing stamps closed_at, reopening clears it.
        lead["closed_at"] = data.get("closed_at") or (now if lead["status_id"] in (WON, LOST) else None)
        record_event(
            account,
            "lead_status_changed",
            "leads",
            lead["id"],
            actor,
            now,
            before=[{"lead_status": {"id": old["status_id"], "pipeline_id": old["pipeline_id"]}}],
            after=[{"lead_status": {"id": lead["status_id"], "pipeline_id": lead["pipeline_id"]}}],
        )
    if lead["price"] != old["price"]:
        record_event(
            account,
            "sale_field_changed",
            "leads",
            lead["id"],
            actor,
            now,
            before=[{"sale_field_value": {"sale": old["price"]}}],
            after=[{"sale_field_value": {"sale": lead["price"]}}],
        )
    if lead["name"] != old["name"]:
        record_event(
            account,
            "name_field_changed",
            "leads",
            lead["id"],
            actor,
            now,
            before=[{"name_field_value": {"name": old["name"]}}],
            after=[{"name_field_value": {"name": lead["name"]}}],
        )
    olds = {
        "old_status_id": old["status_id"],
        "old_pipeline_id": old["pipeline_id"],
        "old_responsible_user_id": old["responsible_user_id"],
    }
    outbox.append(Change("leads", "update", lead, olds, actor))
    if moved:
        outbox.append(Change("leads", "status", lead, olds, actor))
    if lead["responsible_user_id"] != old["responsible_user_id"]:
        record_event(
            account,
            "entity_responsible_changed",
            "leads",
            lead["id"],
            actor,
            now,
            before=[{"responsible_user": {"id": old["responsible_user_id"]}}],
            after=[{"responsible_user": {"id": lead["responsible_user_id"]}}],
        )
        outbox.append(Change("leads", "responsible", lead, olds, actor))
    return lead


def delete_lead(account: Account, lead: dict, actor: int, now: int, outbox: list[Change]) -> None:
    """To the trash: hidden from the API (GET answers 204), an event, a `leads[delete]` webhook."""
    lead["is_deleted"] = True
    lead["updated_at"], lead["updated_by"] = now, actor
    record_event(account, "lead_deleted", "leads", lead["id"], actor, now)
    outbox.append(Change("leads", "delete", lead, actor=actor))


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
        "created_by": data.get("created_by", actor),
        "updated_by": data.get("updated_by", actor),
        "created_at": data.get("created_at") or now,
        "updated_at": data.get("updated_at") or data.get("created_at") or now,
        "closest_task_at": None,
        "is_deleted": False,
        "is_unsorted": False,
        "custom_fields_values": custom_fields.apply(None, data.get("cf", {})),
        "account_id": account.id,
        "tags": tag_ids(state, account, data.get("tags") or []),
    }
    account.contacts[contact["id"]] = contact
    record_event(account, "contact_added", "contacts", contact["id"], actor, now)
    outbox.append(Change("contacts", "add", contact, actor=actor))
    return contact


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
    if "cf" in data:
        contact["custom_fields_values"] = custom_fields.apply(contact["custom_fields_values"], data["cf"])
    if data.get("tags") is not None:
        contact["tags"] = tag_ids(state, account, data["tags"])
    contact["updated_at"] = data.get("updated_at") or now
    contact["updated_by"] = data.get("updated_by", actor)
    olds = {"old_responsible_user_id": old_responsible}
    outbox.append(Change("contacts", "update", contact, olds, actor))
    if contact["responsible_user_id"] != old_responsible:
        outbox.append(Change("contacts", "responsible", contact, olds, actor))
    return contact


def delete_contact(account: Account, contact: dict, actor: int, now: int, outbox: list[Change]) -> None:
    contact["is_deleted"] = True
    contact["updated_at"], contact["updated_by"] = now, actor
    record_event(account, "contact_deleted", "contacts", contact["id"], actor, now)
    outbox.append(Change("contacts", "delete", contact, actor=actor))


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
