"""Detect: read both sides and turn them into the planner's inputs.

- `sheet_rows()`  the connection's columns (one Sheets call) -> SheetRows with canonical values and
                  per-cell errors; rows with data but no key get a fresh key (written back before any
                  amoCRM write, so a crash can never orphan a created lead); a copied row's duplicate
                  key is replaced on the later row;
- `amo_side()`    the leads the rows point at (250 per call, with their main contacts) -> AmoLeads, and
                  existing contacts that new rows may match (through the contact directory).

The raw amoCRM JSON is kept: the executor needs it to keep a contact's other phones and e-mails.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from backend.amocrm.client import AmoClient
from backend.sheets.layout import Table
from backend.store.contact_directory import ContactDirectory
from backend.sync import fields as fx
from backend.sync.mapping import ColumnMapping
from backend.sync.model import (
    CONTACT_EMAIL,
    CONTACT_PHONE,
    AmoContact,
    AmoLead,
    LedgerEntry,
    SheetRow,
    entity_of,
)

_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes: people read keys aloud


def new_key() -> str:
    # 10 letters of a 31-letter alphabet (~50 bits); one urandom read instead of ten choice() calls.
    # The modulo bias (256 % 31) is irrelevant for a unique id that is not a secret.
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in secrets.token_bytes(10))


@dataclass
class SheetSide:
    rows: list[SheetRow]
    new_keys: dict[int, str] = field(default_factory=dict)  # grid row index -> key assigned now
    blank: int = 0  # rows with nothing mapped in them


def _lead_id(raw: Any) -> int | None:
    text = str(raw).strip()
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    return int(text) if text.isdigit() and len(text) <= 18 else None


def sheet_rows(
    table: Table,
    mapping: ColumnMapping,
    ctx: fx.Context,
    edited_at: Mapping[str, float] | None = None,
    only_keys: Iterable[str] | None = None,
) -> SheetSide:
    edited_at = edited_at or {}
    scope = set(only_keys) if only_keys is not None else None
    side = SheetSide(rows=[])
    seen: set[str] = set()
    for i in range(table.row_count):
        row_index = i + 1  # grid index: the header is row 0
        key = str(table.cell("key", i)).strip()
        raw = {c.target: table.cell(c.column, i) for c in mapping.columns}
        lead_id = _lead_id(table.cell("lead_id", i))
        has_data = any(str(v).strip() for v in raw.values())
        if not key and not has_data and lead_id is None:
            side.blank += 1
            continue
        if not key or key in seen:
            key = new_key()
            side.new_keys[row_index] = key
        seen.add(key)
        if scope is not None and key not in scope:
            continue
        values: dict[str, str | None] = {}
        errors: dict[str, str] = {}
        for target, cell in raw.items():
            parsed = fx.parse_cell(target, cell, ctx)
            values[target] = parsed.value
            if parsed.error:
                errors[target] = parsed.error
        side.rows.append(
            SheetRow(
                key=key,
                row=row_index,
                values=values,
                errors=errors,
                lead_id=lead_id,
                edited_at=edited_at.get(key),
                status=str(table.cell("sync", i)),
            )
        )
    return side


@dataclass
class AmoSide:
    leads: dict[int, AmoLead]
    raw_leads: dict[int, dict]
    raw_contacts: dict[int, dict]
    contacts: dict[int, AmoContact]  # existing contacts new rows may match


def _main_contact(lead: dict) -> int | None:
    contacts = (lead.get("_embedded") or {}).get("contacts") or []
    main = next((c for c in contacts if c.get("is_main")), contacts[0] if contacts else None)
    return int(main["id"]) if main else None


def amo_side(
    amo: AmoClient,
    mapping: ColumnMapping,
    ctx: fx.Context,
    rows: list[SheetRow],
    ledger: Mapping[str, LedgerEntry],
    directory: ContactDirectory | None,
    known_leads: Mapping[int, dict] | None = None,
) -> AmoSide:
    """Fetch what the plan needs. `known_leads`: leads already fetched (reconcile passes the delta)."""
    targets = [c.target for c in mapping.columns]
    lead_targets = [t for t in targets if entity_of(t) == "lead"]
    contact_targets = [t for t in targets if entity_of(t) == "contact"]
    wanted = {le.lead_id for k, le in ledger.items()} | {r.lead_id for r in rows if r.lead_id}
    raw_leads = dict(known_leads or {})
    missing = sorted(wanted - set(raw_leads))
    if missing:
        raw_leads.update({int(lead["id"]): lead for lead in amo.by_ids("leads", missing, with_="contacts")})
    contact_ids = {cid for lead in raw_leads.values() if (cid := _main_contact(lead))}
    # existing contacts new rows could be the same person as
    candidates: set[int] = set()
    if directory is not None and contact_targets:
        new_rows = [r for r in rows if r.key not in ledger and not r.lead_id]
        if new_rows:
            directory.refresh(amo)
            candidates = directory.lookup(
                (v for r in new_rows if (v := r.values.get(CONTACT_EMAIL))),
                (v for r in new_rows if (v := r.values.get(CONTACT_PHONE))),
            )
    raw_contacts: dict[int, dict] = {}
    fetch = sorted(contact_ids | candidates) if contact_targets else []
    if fetch:
        raw_contacts = {int(c["id"]): c for c in amo.by_ids("contacts", fetch)}
    leads: dict[int, AmoLead] = {}
    for lead_id, lead in raw_leads.items():
        if lead.get("is_deleted"):
            continue
        cid = _main_contact(lead)
        contact = raw_contacts.get(cid) if cid else None
        values = fx.lead_values(lead, lead_targets, ctx) | fx.contact_values(contact, contact_targets, ctx)
        updated = max(float(lead.get("updated_at") or 0), float((contact or {}).get("updated_at") or 0))
        leads[lead_id] = AmoLead(lead_id, values, cid, updated)
    contacts = {
        cid: AmoContact(
            cid,
            fx.contact_values(raw_contacts[cid], contact_targets, ctx),
            float(raw_contacts[cid].get("updated_at") or 0),
        )
        for cid in candidates
        if cid in raw_contacts
    }
    return AmoSide(leads, raw_leads, raw_contacts, contacts)
