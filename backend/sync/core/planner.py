"""The pure three-way sync planner: (sheet rows, amoCRM records, ledger, rules) -> Plan.

No I/O, no clock, no randomness: the same input always gives the same plan, whatever the order of
the rows. Imports only its neighbours in `sync/core/` and the standard library (a test enforces it).

Phases, in order (each a small function below):
1. `_link`      what each row is: linked to a lead (ledger or an adopted lead id), new, empty, in error,
                or pointing at a lead deleted in amoCRM (a lead merged away is one: amoCRM's API does not
                say into which lead, so the row says so and a person types the surviving lead's id);
2. `_lead_fields`  per linked row, every lead.* field through `resolve()`; new rows get their create values;
3. `_group_contacts` which amoCRM contact each row shows: its lead's main contact, or — for new rows and
                leads without one — find-or-create: e-mail first, then phone unless the e-mail or the
                name contradicts (a shared office phone is not the same person);
4. `_contact_fields` per contact, every contact.* field through `resolve()` with all rows showing it;
5. `_finish`    removed rows, messages, counts and the named guards.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from backend.sync.core.contacts import SHARED, contact_fields, group_contacts
from backend.sync.core.draft import Draft, apply, keep_base
from backend.sync.core.model import (
    CONTACT_NAME,
    LEAD_NAME,
    AmoContact,
    AmoLead,
    Counts,
    Direction,
    FieldRule,
    Guard,
    LedgerEntry,
    Outcome,
    Plan,
    RowPlan,
    SheetRow,
    Side,
    Value,
)
from backend.sync.core.resolve import resolve

GUARD_MIN_ROWS = 5  # below this many rows a share guard never trips (a 3-row sheet is all "bulk")
OK = "✓"


@dataclass(frozen=True)
class PlanInput:
    rules: tuple[FieldRule, ...]
    rows: tuple[SheetRow, ...]
    leads: Mapping[int, AmoLead]
    ledger: Mapping[str, LedgerEntry]
    contacts: Mapping[int, AmoContact] = field(default_factory=dict)  # existing contacts for dedup
    create_defaults: Mapping[str, Value] = field(default_factory=dict)  # what amoCRM sets on create
    full_scan: bool = True  # `rows` is the whole sheet (so ledger keys missing from it were removed)
    blast_radius: float = 0.2
    synced_rows: int | None = None  # rows the connection has synced; the guard's share is of these, not
    # of this run's scope (a webhook drain of 5 changed leads is 100 % of its scope, ~0 % of the sheet)
    moved: Mapping[str, str] = field(default_factory=dict)  # new row key -> the synced row whose agreed
    # values it holds while that row no longer does (cut and pasted without the sync's columns): held
    scrambled: Mapping[str, str] = field(default_factory=dict)  # row key -> the other synced row whose
    # agreed values it shows instead of its own (a range sorted without the sync's columns); "" for a row
    # changed in several fields while such a sort is seen: it may be one of the sorted rows, edited since


def plan(inp: PlanInput) -> Plan:
    """Plan one sync. Row keys must be unique (the snapshot step re-keys copied rows first)."""
    keys = [sr.key for sr in inp.rows]
    if len(keys) != len(set(keys)):
        raise ValueError("row keys must be unique; re-key copied rows before planning")
    rules = {r.target: r for r in inp.rules}
    lead_rules = [r for r in inp.rules if r.entity == "lead"]
    contact_rules = [r for r in inp.rules if r.entity == "contact"]
    drafts = _link(inp, rules)
    _lead_fields(inp, drafts, lead_rules)
    groups = group_contacts(inp.contacts, inp.leads, drafts, contact_rules)
    new_contacts, contact_updates = contact_fields(drafts, contact_rules, groups)
    return _finish(inp, drafts, rules, new_contacts, contact_updates)


# --- 1. what each row is -------------------------------------------------------------------------------


def _link(inp: PlanInput, rules: Mapping[str, FieldRule]) -> dict[str, Draft]:
    claimed = {le.lead_id: key for key, le in sorted(inp.ledger.items())}  # lead -> the row key it belongs to
    drafts: dict[str, Draft] = {}
    sources = {src: new for new, src in sorted(inp.moved.items())}  # synced row -> where its values went
    for sr in sorted(inp.rows, key=lambda r: r.key):
        le = inp.ledger.get(sr.key)
        d = Draft(sr=sr, le=le, outcome=Outcome.UPDATE)
        drafts[sr.key] = d
        if le is not None and sr.key in inp.scrambled:  # never push another row's values into this lead
            d.outcome = Outcome.ERROR
            shows = (
                f"shows the values of another synced row ({other}), not those of its lead {le.lead_id}"
                if (other := inp.scrambled[sr.key])
                else f"changed in several cells since its last sync, so it may show another row's values, "
                f"not those of its lead {le.lead_id}"
            )
            d.message = (
                f"⚠ this row {shows}: part of the sheet was sorted without the amo_sync_id and "
                "amo_lead_id columns. Undo the sort; sort whole rows. Nothing was synced for this row."
            )
            continue
        if le is None and sr.lead_id is None and sr.key in inp.moved:  # never a second lead for those values
            d.outcome = Outcome.ERROR
            src = inp.ledger.get(inp.moved[sr.key])
            gone = (
                f" — or, if that row is gone, type {src.lead_id} into this row's amo_lead_id cell"
                if src
                else ""
            )
            d.message = (
                f"⚠ this row holds the values of synced row {inp.moved[sr.key]}, which no longer shows them: "
                "cut and pasted without the amo_sync_id and amo_lead_id columns? Paste that row's "
                f"amo_sync_id and amo_lead_id cells into this row{gone} (or undo the cut). "
                "Nothing was synced for this row."
            )
            continue
        if le is not None and sr.key in sources:  # its values now live in another row: never push these
            d.outcome = Outcome.ERROR
            d.message = (
                f"⚠ this row's values were moved to a new row ({sources[sr.key]}) without the amo_sync_id "
                f"and amo_lead_id cells; lead {le.lead_id} was left as it is in amoCRM. Move the key cells "
                "with the values (or undo the cut). Nothing was synced for this row."
            )
            continue
        if le is not None:
            lead_id = le.lead_id
            if lead_id in inp.leads and not sr.errors and all(sr.values.get(t) is None for t in rules):
                d.outcome = Outcome.ERROR  # an emptied row never empties its lead (nor its contact)
                d.message = (
                    f"⚠ this row's cells are empty; lead {lead_id} was left as it is in amoCRM. Type its "
                    "values back (or undo a cut), or delete the row if it should no longer show the lead."
                )
                continue
            if lead_id in inp.leads:
                d.lead_id, d.has_base = lead_id, True
                d.relink = sr.lead_id != lead_id
                continue
            typed = sr.lead_id
            if (
                typed is not None
                and typed != lead_id
                and typed in inp.leads
                and claimed.get(typed) in (None, sr.key)
            ):
                claimed[typed] = sr.key  # a person typed the id of the lead it was merged into: adopt it
                d.le, d.lead_id, d.relink = None, typed, True
                continue
            if sr.lead_id is not None:  # the lead is gone; the row stays and says so
                d.outcome, d.lead_id = Outcome.DELETED_IN_AMO, le.lead_id
                d.message = (
                    f"⚠ lead {le.lead_id} was deleted in amoCRM (or merged into another): type the id of "
                    "the lead it was merged into to follow it, or clear it to create a new one"
                )
                continue
            d.le = None  # a person cleared the lead id of a deleted lead: treat the row as new
        elif sr.lead_id is not None:  # a lead id typed or pasted into a row we do not know yet
            lead_id = sr.lead_id
            owner = claimed.get(lead_id)
            if lead_id not in inp.leads:
                d.outcome, d.message = Outcome.ERROR, f"⚠ lead {sr.lead_id} is not in amoCRM"
                continue
            if owner is not None and owner != sr.key:
                d.outcome, d.message = Outcome.ERROR, f"⚠ lead {lead_id} is already linked to row {owner}"
                continue
            claimed[lead_id] = sr.key
            d.lead_id, d.relink = lead_id, True  # adopted: no base, so first-sync rules apply
            continue
        if sr.errors:
            d.outcome = Outcome.ERROR
        elif all(sr.values.get(t) is None for t in rules):
            d.outcome = Outcome.EMPTY
        else:
            d.outcome = Outcome.CREATE
    return drafts


# --- 2. lead fields ------------------------------------------------------------------------------------


def _lead_fields(inp: PlanInput, drafts: dict[str, Draft], lead_rules: list[FieldRule]) -> None:
    for d in drafts.values():
        if d.outcome is Outcome.CREATE:
            _create_values(inp, d, lead_rules)
        elif d.lead_id is not None and d.outcome is not Outcome.DELETED_IN_AMO:
            al = inp.leads[d.lead_id]
            for rule in lead_rules:
                if rule.target in d.sr.errors:
                    keep_base(d, rule.target)
                    continue
                a = al.values.get(rule.target)
                res = resolve(rule, a, [d.member(rule.target)], al.updated_at)
                apply(d, rule.target, a, res.final, d.lead_update)
                d.conflicts.extend(res.conflicts.values())


def _create_values(inp: PlanInput, d: Draft, lead_rules: list[FieldRule]) -> None:
    create: dict[str, Value] = {}
    for rule in lead_rules:
        if rule.direction is not Direction.TO_SHEET and d.s(rule.target) is not None:
            create[rule.target] = d.s(rule.target)
    if LEAD_NAME not in create:
        create[LEAD_NAME] = d.s(CONTACT_NAME) or f"Sheet row {d.sr.key}"
    for rule in lead_rules:  # what the new lead will hold, so the row and the ledger agree with it
        after = create.get(rule.target, inp.create_defaults.get(rule.target))
        d.base[rule.target] = after
        if d.s(rule.target) != after:
            d.sheet_update[rule.target] = after
    d.create_lead = create


# --- 5. messages, counts, guards -----------------------------------------------------------------------


def _message(d: Draft, rules: Mapping[str, FieldRule]) -> str:
    if d.message:
        return d.message
    if d.sr.errors:
        parts = [
            f"{(rules[t].label if t in rules else t) or t}: {why}" for t, why in sorted(d.sr.errors.items())
        ]
        return "⚠ " + "; ".join(parts)
    held = [c for c in d.conflicts if c.reason.startswith(SHARED)]
    if held:
        c = held[0]
        label = (rules[c.target].label if c.target in rules else "") or c.target
        return (
            f"⚠ {label}: the amoCRM contact this row joined (same e-mail or phone) has “{c.amo}”; "
            "it is shared, so it was not changed. Fix the cell, or the e-mail/phone if this is another "
            "person."
        )
    if d.conflicts:
        c = d.conflicts[0]
        label = (rules[c.target].label if c.target in rules else "") or c.target
        more = f" (+{len(d.conflicts) - 1} more)" if len(d.conflicts) > 1 else ""
        return f"conflict on {label}: {'amo' if c.winner is Side.AMO else 'sheet'} kept{more}"
    return OK


def _freeze(d: Draft, rules: Mapping[str, FieldRule]) -> RowPlan:
    message = _message(d, rules)
    rp = RowPlan(
        key=d.sr.key,
        row=d.sr.row,
        outcome=d.outcome,
        lead_id=d.lead_id,
        contact=d.contact,
        link_contact=d.link_contact,
        create_lead=d.create_lead,
        lead_update=d.lead_update,
        contact_update=d.contact_update,
        sheet_update=d.sheet_update if d.outcome not in (Outcome.ERROR, Outcome.EMPTY) or d.lead_id else {},
        base=d.base,
        relink=d.relink,
        conflicts=tuple(d.conflicts),
        errors=dict(d.sr.errors),
        message=message,
    )
    if rp.outcome is Outcome.ERROR and rp.lead_id is None:
        rp = replace(rp, create_lead=None, sheet_update={}, base={}, contact=None)
    if rp.outcome is Outcome.UPDATE and not rp.has_actions:
        rp = replace(rp, outcome=Outcome.UNCHANGED)
    if rp.outcome is Outcome.UPDATE and rp.errors:
        rp = replace(rp, outcome=Outcome.ERROR)
    mark = rp.has_actions or (
        (rp.outcome in (Outcome.ERROR, Outcome.DELETED_IN_AMO) or message.startswith("⚠"))
        and message != d.sr.status
    )
    if rp.outcome is Outcome.UNCHANGED and d.sr.status.startswith("⚠") and message != d.sr.status:
        mark = not rp.errors  # an old warning no longer applies (or another one does)
    le = d.le
    dirty = rp.lead_id is not None and rp.outcome is not Outcome.DELETED_IN_AMO and (
        le is None or le.lead_id != rp.lead_id or dict(le.values) != rp.base
        or (isinstance(rp.contact, int) and le.contact_id != rp.contact)
    )  # fmt: skip
    return replace(rp, mark=mark, ledger_dirty=dirty)


def _finish(inp, drafts, rules, new_contacts, contact_updates) -> Plan:
    rows = [_freeze(d, rules) for d in drafts.values()]
    if inp.full_scan:
        present = {sr.key for sr in inp.rows}
        for key in sorted(set(inp.ledger) - present):
            le = inp.ledger[key]
            rows.append(RowPlan(key=key, row=None, outcome=Outcome.REMOVED_FROM_SHEET, lead_id=le.lead_id))
    rows.sort(key=lambda rp: rp.key)
    creates = [rp for rp in rows if rp.outcome is Outcome.CREATE]
    linked = [
        rp for rp in rows if rp.outcome in (Outcome.UPDATE, Outcome.UNCHANGED, Outcome.ERROR) and rp.lead_id
    ]
    drafts_by_key = drafts
    counts = Counts(
        rows=len(inp.rows),
        create=len(creates),
        new_contacts=len(new_contacts),
        reused_contacts=sum(1 for rp in creates if isinstance(rp.contact, int)),
        update_amo=sum(1 for rp in linked if rp.lead_update or rp.contact_update or rp.link_contact),
        update_sheet=sum(1 for rp in linked if rp.sheet_update),
        conflicts=sum(1 for rp in rows if rp.conflicts),
        errors=sum(1 for rp in rows if rp.outcome is Outcome.ERROR),
        unchanged=sum(1 for rp in rows if rp.outcome is Outcome.UNCHANGED),
        deleted_in_amo=sum(1 for rp in rows if rp.outcome is Outcome.DELETED_IN_AMO),
        removed_from_sheet=sum(1 for rp in rows if rp.outcome is Outcome.REMOVED_FROM_SHEET),
        cleared_in_amo=sum(1 for rp in linked if drafts_by_key[rp.key].cleared_amo),
        cleared_in_sheet=sum(1 for rp in linked if drafts_by_key[rp.key].cleared_sheet),
    )
    changed = sum(1 for rp in linked if rp.lead_update or rp.contact_update or rp.sheet_update)
    if inp.synced_rows if inp.synced_rows is not None else inp.ledger:
        changed += len(creates)  # a first import creates every row; later, creates count like changes
    cleared = sum(
        1 for rp in linked if drafts_by_key[rp.key].cleared_amo or drafts_by_key[rp.key].cleared_sheet
    )
    moved = sorted(k for k in inp.moved if k in drafts_by_key)
    scrambled = sorted(k for k in inp.scrambled if k in drafts_by_key)
    guards = _guards(inp, changed, cleared, moved, scrambled)
    return Plan(tuple(rows), tuple(new_contacts), tuple(contact_updates), counts, guards)


def _guards(
    inp: PlanInput, changed: int, cleared: int, moved: list[str], scrambled: list[str]
) -> tuple[Guard, ...]:
    known = max(inp.synced_rows if inp.synced_rows is not None else len(inp.ledger), 1)
    limit = inp.blast_radius * known
    return (
        Guard(
            "share_of_rows",
            changed >= GUARD_MIN_ROWS and changed > limit,
            f"{changed} of {known} synced rows would change (limit {inp.blast_radius:.0%})",
        ),
        Guard(
            "bulk_clear",
            cleared >= GUARD_MIN_ROWS and cleared > limit,
            f"{cleared} rows would have values cleared (limit {inp.blast_radius:.0%} of {known})",
        ),
        Guard(
            "empty_sheet",
            inp.full_scan and not inp.rows and bool(inp.ledger),
            f"the sheet returned no rows but {len(inp.ledger)} are synced (never a mass clear)",
        ),
        Guard(
            "moved_without_keys",
            bool(moved),
            f"{len(moved)} new rows hold the values of synced rows that no longer do — cut and pasted "
            "without the amo_sync_id and amo_lead_id columns? Undo and move whole rows, or paste those "
            "rows' amo_sync_id and amo_lead_id cells with them; they are not synced until then",
        ),
        Guard(
            "rows_scrambled",
            bool(scrambled),
            f"{len(scrambled)} rows show the values of other synced rows — a range sorted without the "
            "amo_sync_id and amo_lead_id columns? Undo the sort; those rows are not synced until then",
        ),
    )
