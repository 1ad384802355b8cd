"""`POST /api/v4/leads/complex`: a lead with one new contact (and one new company) per item
(reference §3.6).

- At most 50 items (more answers 422 "Limit 50 per page" — the status is our assumption, the limit is
  documented); at most one contact and one company per lead, each a full object to create; at most 40
  custom field values per entity.
- The response is a top-level JSON array, not HAL:
  `[{"id", "contact_id", "company_id", "request_id": ["…"], "merged": false}]`.
- Duplicate control runs only when the integration has it on (`duplicate_control`, set through
  `/_sandbox/integrations/<client_id>`): the contact is matched against contacts that existed before the
  request (never against the same request's items) by phone (digits, last 10) or email (lower case).
  A match reuses that contact; if it already has an open lead in the same pipeline, the new lead is
  merged into it (`merged: true`, the existing lead's id, missing price/custom fields filled in).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, g

from sandbox.amocrm import contacts, entities, leads, responses
from sandbox.amocrm.changes import outbox
from sandbox.amocrm.runtime import current
from sandbox.amocrm.seed import LOST, WON
from sandbox.amocrm.state import Account
from sandbox.amocrm.validation import Problems, batch_items, check_batch, request_id_of

bp = Blueprint("amo_complex", __name__, url_prefix="/<host>/api/v4")

MAX_COMPLEX = 50
MAX_FIELDS = 40


def contact_keys(account: Account, stored_cf: list[dict]) -> set[str]:
    """Normalized phones ("p:" + last 10 digits) and emails ("e:" + lower case) of a contact."""
    keys = set()
    phone, email = account.field_by_code("contacts", "PHONE"), account.field_by_code("contacts", "EMAIL")
    for item in stored_cf:
        for v in item["values"]:
            text = str(v["value"])
            if phone and item["field_id"] == phone["id"]:
                digits = re.sub(r"\D", "", text)
                if len(digits) >= 7:
                    keys.add("p:" + digits[-10:])
            elif email and item["field_id"] == email["id"] and "@" in text:
                keys.add("e:" + text.strip().lower())
    return keys


def _embedded(item: Any, name: str) -> list:
    embedded = item.get("_embedded") if isinstance(item, dict) else None
    value = embedded.get(name) if isinstance(embedded, dict) else None
    return value if isinstance(value, list) else []


@bp.post("/leads/complex")
def create_complex(host: str):
    emu, account = current(), g.account
    items = batch_items(responses.json_body(), limit=250)
    if len(items) > MAX_COMPLEX:
        return responses.problem(422, f"Limit {MAX_COMPLEX} per page")
    problems = [Problems(request_id_of(item, i)) for i, item in enumerate(items)]
    parsed = []
    for item, p in zip(items, problems, strict=True):
        lead_item = {k: v for k, v in item.items() if k != "_embedded"} if isinstance(item, dict) else item
        if isinstance(item, dict) and isinstance(item.get("_embedded"), dict):
            lead_item["_embedded"] = {k: v for k, v in item["_embedded"].items() if k == "tags"}
        lead = leads.parse(account, lead_item, p)
        people = _embedded(item, "contacts")
        firms = _embedded(item, "companies")
        for name, extra in (("contacts", people[1:]), ("companies", firms[1:])):
            if extra:
                p.add("NotSupportedChoice", f"_embedded.{name}.1")
        contact = contacts.parse(account, people[0], p, "_embedded.contacts.0.") if people else None
        for path, data in (("", lead), ("_embedded.contacts.0.", contact or {})):
            if len(data.get("cf", {})) > MAX_FIELDS:
                p.add("LengthExceeded", f"{path}custom_fields_values")
        company = firms[0] if firms and isinstance(firms[0], dict) else None
        parsed.append((lead, contact, company))
    check_batch(problems)

    integration = emu.state.integrations.get(g.caller.client_id)
    dedupe = bool(integration and integration.duplicate_control)
    known = _index(account) if dedupe else {}  # taken before any item is written
    now, actor, box = emu.now(), g.caller.user_id, outbox()
    out = []
    for (lead_data, contact_data, company), p in zip(parsed, problems, strict=True):
        existing = None
        if dedupe and contact_data is not None:
            keys = contact_keys(
                account, [{"field_id": k, "values": v} for k, v in contact_data.get("cf", {}).items() if v]
            )
            existing = next((known[k] for k in sorted(keys) if k in known), None)
        merged, lead = False, None
        if existing is not None:
            contact = existing
            lead = _open_lead(account, contact["id"], lead_data["pipeline_id"])
            if lead is not None:
                merged = True
                entities.update_lead(emu.state, account, lead, _fill(lead, lead_data), actor, now, box)
        elif contact_data is not None:
            contact = entities.create_contact(emu.state, account, contact_data, actor, now, box)
        else:
            contact = None
        if lead is None:
            lead = entities.create_lead(emu.state, account, lead_data, actor, now, box)
        if contact is not None:
            entities.link(account, lead["id"], contact["id"], True)
        company_id = _company(emu, account, company, lead["id"]) if company is not None else None
        out.append(
            {
                "id": lead["id"],
                "contact_id": contact["id"] if contact else None,
                "company_id": company_id,
                "request_id": [p.request_id],
                "merged": merged,
            }
        )
    return responses.hal(out)


def _index(account: Account) -> dict[str, dict]:
    index: dict[str, dict] = {}
    for contact in sorted(account.contacts.values(), key=lambda c: c["id"]):
        if not contact["is_deleted"]:
            for key in contact_keys(account, contact["custom_fields_values"]):
                index.setdefault(key, contact)
    return index


def _open_lead(account: Account, contact_id: int, pipeline_id: int) -> dict | None:
    for lead_id in sorted(account.lead_ids_of(contact_id)):
        lead = account.leads.get(lead_id)
        if (
            lead
            and not lead["is_deleted"]
            and lead["pipeline_id"] == pipeline_id
            and lead["status_id"] not in (WON, LOST)
        ):
            return lead
    return None


def _fill(lead: dict, data: dict) -> dict:
    """What a merge takes from the incoming lead: a price where there was none, fields not yet set."""
    have = {cf["field_id"] for cf in lead["custom_fields_values"]}
    out: dict = {"cf": {k: v for k, v in data.get("cf", {}).items() if k not in have and v}}
    if not lead["price"] and data.get("price"):
        out["price"] = data["price"]
    return out


def _company(emu: Any, account: Account, company: dict, lead_id: int) -> int:
    company_id = emu.state.next_id("company")
    name = company.get("name") if isinstance(company.get("name"), str) else ""
    account.companies[company_id] = {"id": company_id, "name": name, "lead_ids": [lead_id]}
    return company_id
