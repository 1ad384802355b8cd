"""Detect: read both sides and turn them into the planner's inputs.

- `sheet_rows()`  the connection's columns (one Sheets call) -> SheetRows with canonical values and
                  per-cell errors; rows with data but no key get a fresh key (written back before any
                  amoCRM write, so a crash can never orphan a created lead). Of two rows with one key,
                  the one that agrees with the ledger keeps it and the other becomes a new row; a row
                  that lost its key but still shows its lead id gets its key back (`_assign_keys`);
- `place_keys()`  where those keys go in the sheet as re-read right before writing them;
- `amo_side()`    the leads the rows point at (250 per call, with their main contacts) -> AmoLeads, and
                  existing contacts that new rows may match (through the contact directory).

The raw amoCRM JSON is kept: the executor needs it to keep a contact's other phones and e-mails.
"""

from __future__ import annotations

import re
import secrets
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

from backend.amocrm.client import AmoClient
from backend.sheets.layout import Table
from backend.store.contact_directory import ContactDirectory
from backend.sync.core.fields import Context, contact_values, lead_values, parse_cell
from backend.sync.core.mapping import ColumnMapping
from backend.sync.core.model import (
    CONTACT_EMAIL,
    CONTACT_PHONE,
    AmoContact,
    AmoLead,
    LedgerEntry,
    SheetRow,
    entity_of,
)

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
KEY_PATTERN = re.compile(r"^r[0-9A-Za-z]{12}$")  # the add-on's format (addon/lib/keys.js)


NO_ERRORS: Mapping[str, str] = MappingProxyType({})  # one read-only empty map for every valid row


def new_key() -> str:
    """A row key in the one format both authors use: 'r' + 12 base-62 characters (~71 random bits).
    The leading letter keeps Sheets from reading a key as a number, date or boolean."""
    n, out = secrets.randbelow(62**12), []
    for _ in range(12):
        n, rem = divmod(n, 62)
        out.append(_ALPHABET[rem])
    return "r" + "".join(out)


@dataclass
class SheetSide:
    rows: list[SheetRow]
    new_keys: dict[int, str] = field(default_factory=dict)  # grid row index -> key to write now
    cleared: set[int] = field(default_factory=set)  # grid row indexes whose lead id and link to empty
    held: dict[int, str] = field(default_factory=dict)  # grid row index -> status of a row left out
    held_emptied: set[str] = field(default_factory=set)  # keys of held rows holding one value at most
    held_keys: set[str] = field(default_factory=set)  # keys of the held rows: in the sheet, left out
    rekeyed: dict[str, str] = field(default_factory=dict)  # a row's key -> the key it was given back
    unkeyed: int = 0  # rows left out of this run: they need a key that was not written yet


class LedgerView(Protocol):
    """What keying rows needs from the ledger (store/ledger.py `Ledger`)."""

    def get_many(self, keys: Iterable[str]) -> Mapping[str, LedgerEntry]: ...
    def keys_for_leads(self, lead_ids: Iterable[int]) -> Mapping[int, str]: ...


def _lead_id(raw: Any) -> int | None:
    text = str(raw).strip()
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    return int(text) if text.isdigit() and len(text) <= 18 else None


@dataclass
class _Line:
    index: int  # grid row index
    key: str
    lead_id: int | None
    raw: dict[str, Any]
    status: str = ""  # the row's sync status cell as the run read it


def _agreement(line: _Line, entry: LedgerEntry, ctx: Context) -> tuple[int, int]:
    """How well a row agrees with a ledger entry: its lead id, then how many values equal the base."""
    same = sum(
        1
        for target, cell in line.raw.items()
        if target in entry.values and parse_cell(target, cell, ctx).value == entry.values[target]
    )
    return (int(line.lead_id == entry.lead_id), same)


def _same(a: _Line, b: _Line) -> bool:
    return a.lead_id == b.lead_id and all(
        str(v).strip() == str(b.raw.get(t, "")).strip() for t, v in a.raw.items()
    )


HELD_COPIES = "are copies of one synced row"  # in the status of every row `_hold` leaves out


def _hold(side: SheetSide, group: list[_Line]) -> None:
    """Copies of one synced row that nothing tells apart (the same values, or equally far from the last
    sync): none of them syncs until a person says which is the copy; each says so."""
    if all(sum(1 for v in ln.raw.values() if str(v).strip()) <= 1 for ln in group):
        # copies of a row whose values were cut away: the source of a cut, out of the run's sight
        side.held_emptied.update(ln.key for ln in group if ln.key)
    side.held_keys.update(ln.key for ln in group if ln.key)
    for line in group:
        others = ", ".join(str(other.index + 1) for other in group if other is not line)
        side.held[line.index] = (
            f"⚠ rows {line.index + 1} and {others} {HELD_COPIES} and nothing tells which is "
            "the original: delete the copy, or clear its amo_sync_id and amo_lead_id to make it a new "
            "row. Nothing is synced for them until then."
        )


def _assign_keys(lines: list[_Line], ledger: LedgerView | None, ctx: Context, side: SheetSide) -> None:
    """Give every line its key for this run (in place): of two rows with one key, the one that agrees
    with the ledger keeps it and the other becomes a new row — exact copies are held, all of them, and
    stay held while one of them still says so (its status told the person nothing syncs until they say
    which is the copy: an edit since is no answer — the original may be the one they edited); a row
    that lost its key (or was given a new one) while its lead id names a ledger row no longer in the
    sheet gets that row's key back."""
    by_key: dict[str, list[_Line]] = {}
    for line in lines:
        if line.key:
            by_key.setdefault(line.key, []).append(line)
    dups = {k for k, group in by_key.items() if len(group) > 1}
    entries = dict(ledger.get_many(sorted(dups))) if ledger is not None and dups else {}
    owners: Mapping[int, str] = {}
    if ledger is not None:
        ids = {line.lead_id for line in lines if line.lead_id is not None}
        owners = ledger.keys_for_leads(sorted(ids)) if ids else {}
    strangers = sorted(
        {
            line.key
            for line in lines
            if line.key and line.lead_id in owners and owners[line.lead_id] != line.key
        }
    )
    known = set(ledger.get_many(strangers)) if ledger is not None and strangers else set()
    present = set(by_key)
    for key in sorted(dups):
        group = by_key[key]
        entry = entries.get(key)
        scores = [_agreement(line, entry, ctx) if entry is not None else (0, 0) for line in group]
        best = max(scores) if entry is not None else scores[0]
        keeper = group[scores.index(best)]
        # exact copies, or rows that agree with the ledger equally well: nothing tells the original
        twins = [
            line for line, score in zip(group, scores, strict=True) if entry is not None and score == best
        ]
        twins = twins or [keeper]
        if entry is not None and any(HELD_COPIES in line.status for line in group):
            twins = group  # held at an earlier run: still held until a person tells the copy
        if len(twins) > 1:
            _hold(side, twins)
        for line in group:
            if line in twins:
                continue
            line.key = ""
            if entry is not None and line.lead_id == entry.lead_id:  # a copy of the synced row: a new row
                line.lead_id = None
                side.cleared.add(line.index)
    for line in lines:
        owner = owners.get(line.lead_id) if line.lead_id is not None else None
        if owner is None or owner == line.key or (line.key and line.key in known) or line.index in side.held:
            continue
        if owner not in present:  # the row of that lead lost its key: give it back
            if line.key:
                side.rekeyed[line.key] = owner
            line.key = owner
            present.add(owner)
            by_key[owner] = [line]
            side.new_keys[line.index] = owner
            continue
        twins = [other for other in by_key[owner] if _same(line, other)]
        if twins:  # an exact copy whose key cell was cleared: hold it and the row it copies
            _hold(side, [*twins, line])
        else:  # an edited copy of a synced row without its key (or with a key of its own): a new row
            line.lead_id = None
            side.cleared.add(line.index)


def sheet_rows(
    table: Table,
    mapping: ColumnMapping,
    ctx: Context,
    edited_at: Mapping[str, float] | None = None,
    only_keys: Iterable[str] | None = None,
    *,
    ledger: LedgerView | None = None,
    mint: bool = True,
) -> SheetSide:
    """The sheet's rows for the planner. `mint=False`: rows that need a key written are left out
    (counted in `unkeyed`) — for a table read after the keys were written."""
    edited_at = edited_at or {}
    scope = set(only_keys) if only_keys is not None else None
    side = SheetSide(rows=[])
    lines: list[_Line] = []
    for i in range(table.row_count):
        key = str(table.cell("key", i)).strip()
        raw = {c.target: table.cell(c.column, i) for c in mapping.columns}
        lead_id = _lead_id(table.cell("lead_id", i))
        if not key and lead_id is None and not any(str(v).strip() for v in raw.values()):
            continue  # nothing mapped in it
        lines.append(_Line(i + 1, key, lead_id, raw, str(table.cell("sync", i))))  # grid index: header is 0
    _assign_keys(lines, ledger, ctx, side)
    lines = [line for line in lines if line.index not in side.held]
    for line in lines:
        if not line.key:
            line.key = new_key()
            side.new_keys[line.index] = line.key
    if not mint and (side.new_keys or side.cleared):
        waiting = set(side.new_keys) | side.cleared
        side.unkeyed = len(waiting)
        lines = [line for line in lines if line.index not in waiting]
        side.new_keys, side.cleared = {}, set()
    for line in lines:
        if scope is not None and line.key not in scope:
            continue
        values: dict[str, str | None] = {}
        errors: dict[str, str] = {}
        for target, cell in line.raw.items():
            parsed = parse_cell(target, cell, ctx)
            values[target] = parsed.value
            if parsed.error:
                errors[target] = parsed.error
        side.rows.append(
            SheetRow(
                key=line.key,
                row=line.index,
                values=values,
                errors=errors or NO_ERRORS,
                lead_id=line.lead_id,
                edited_at=edited_at.get(line.key),
                status=line.status,
            )
        )
    return side


def row_print(table: Table, index: int) -> tuple[str, ...]:
    """Everything the connection's columns hold in one row (grid index), to find the row again."""
    return tuple(str(table.cell(c, index - 1)) for c in sorted(table.cells))


def place_rows(before: Table, now: Table, indexes: Iterable[int]) -> dict[int, int]:
    """Where rows of `before` (grid indexes) are in `now`, re-read right before writing to them. A row
    still where it was, holding the same, stays there (identical rows are interchangeable); a row that
    moved is found again by everything it holds when that is unique; a row not found — changed,
    removed, copied meanwhile — is left out (the next run deals with it) rather than guessed."""
    placed: dict[int, int] = {}
    moved: dict[tuple[str, ...], list[int]] = {}
    for index in sorted(set(indexes)):
        fingerprint = row_print(before, index)
        if index <= now.row_count and row_print(now, index) == fingerprint:
            placed[index] = index
        else:
            moved.setdefault(fingerprint, []).append(index)
    if not moved:
        return placed
    taken = set(placed.values())
    counts = Counter(row_print(before, i + 1) for i in range(before.row_count))
    found: dict[tuple[str, ...], list[int]] = {}
    for i in range(now.row_count):
        fingerprint = row_print(now, i + 1)
        if fingerprint in moved and i + 1 not in taken:
            found.setdefault(fingerprint, []).append(i + 1)
    for fingerprint, olds in moved.items():
        news = found.get(fingerprint, [])
        if len(news) == len(olds) == counts[fingerprint]:
            placed.update(zip(olds, news, strict=True))
    return placed


def place_keys(before: Table, now: Table, side: SheetSide) -> tuple[dict[int, str], set[int], dict[int, str]]:
    """The keys, cleared lead ids and held rows' statuses planned on `before`, at their rows in `now`."""
    placed = place_rows(before, now, [*side.new_keys, *side.cleared, *side.held])
    keys = {placed[i]: k for i, k in side.new_keys.items() if i in placed}
    cleared = {placed[i] for i in side.cleared if i in placed}
    held = {
        placed[i]: status
        for i, status in side.held.items()
        if i in placed and str(now.cell("sync", placed[i] - 1)) != status
    }
    return keys, cleared, held


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
    ctx: Context,
    rows: list[SheetRow],
    ledger: Mapping[str, LedgerEntry],
    directory: ContactDirectory | None,
    known_leads: Mapping[int, dict] | None = None,
) -> AmoSide:
    """Fetch what the plan needs. `known_leads`: leads already fetched (reconcile passes the delta)."""
    targets = [c.target for c in mapping.columns]
    lead_targets = [t for t in targets if entity_of(t) == "lead"]
    contact_targets = [t for t in targets if entity_of(t) == "contact"]
    wanted = {entry.lead_id for k, entry in ledger.items()} | {r.lead_id for r in rows if r.lead_id}
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
        values = lead_values(lead, lead_targets, ctx) | contact_values(contact, contact_targets, ctx)
        leads[lead_id] = AmoLead(
            lead_id,
            values,
            cid,
            float(lead.get("updated_at") or 0),
            float((contact or {}).get("updated_at") or 0),
        )
    contacts = {
        cid: AmoContact(
            cid,
            contact_values(raw_contacts[cid], contact_targets, ctx),
            float(raw_contacts[cid].get("updated_at") or 0),
        )
        for cid in candidates
        if cid in raw_contacts
    }
    return AmoSide(leads, raw_leads, raw_contacts, contacts)
