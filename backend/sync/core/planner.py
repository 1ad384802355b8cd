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
    LEAD_STATUS,
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
    # (an unsynced row too, changed since a run last saw it: sync/unsynced.py)
    held: frozenset[str] = frozenset()  # keys of rows in the sheet that this run leaves out (copies held
    # until a person tells which is the original): not removed from the sheet


def plan(inp: PlanInput) -> Plan:
    """Plan one sync. Row keys must be unique (the snapshot step re-keys copied rows first)."""
    keys = [row.key for row in inp.rows]
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


def _changed_at_once(row: SheetRow, entry: LedgerEntry, lead: AmoLead, rules: Mapping[str, FieldRule]) -> str:
    """Why a synced row changed in several cells at once is held (else ""): far more often a sort or a
    cut that dealt it other values, or left it without its own, than a person's edit of this lead.
    Fields amoCRM alone writes do not count, nor fields held in conflict (no agreed value)."""
    pushed = [t for t in rules if rules[t].direction != Direction.TO_SHEET]
    now, agreed, amo = row.values, entry.values, lead.values
    if not row.errors and all(now.get(t) in (None, agreed.get(t)) for t in rules):
        cleared = [
            t for t in pushed if now.get(t) is None and agreed.get(t) is not None and amo.get(t) is not None
        ]
        if len(cleared) >= 2:
            return (
                f"⚠ {len(cleared)} of this row's cells were emptied at once "
                f"({', '.join(rules[t].label for t in cleared)}); lead {lead.lead_id} was left as it is in "
                "amoCRM. Type the values back (or undo a sort or cut); to empty them in amoCRM too, "
                "empty them there and the sheet follows."
            )
    known = [t for t in pushed if t in agreed]
    changed = sum(1 for t in known if t in row.errors or now.get(t) not in (agreed.get(t), amo.get(t)))
    kept = sum(1 for t in known if now.get(t) is not None and now.get(t) == agreed[t])
    if changed >= 3 and kept <= 1:
        return (
            f"⚠ most of this row's values changed at once since its last sync; lead {lead.lead_id} was "
            "left as it is in amoCRM. A sort or cut of part of the sheet? Undo it. A new deal in "
            f"this row? Clear its amo_sync_id and amo_lead_id cells. Lead {lead.lead_id}'s new values? "
            "Type them in amoCRM and the row agrees again."
        )
    return ""


def _link(inp: PlanInput, rules: Mapping[str, FieldRule]) -> dict[str, Draft]:
    claimed = {
        entry.lead_id: key for key, entry in sorted(inp.ledger.items())
    }  # lead -> the row key it belongs to
    drafts: dict[str, Draft] = {}
    sources = {src: new for new, src in sorted(inp.moved.items())}  # synced row -> where its values went
    present = {row.key for row in inp.rows}
    for row in sorted(inp.rows, key=lambda r: r.key):
        entry = inp.ledger.get(row.key)
        draft = Draft(row=row, entry=entry, outcome=Outcome.UPDATE)
        drafts[row.key] = draft
        if entry is None and row.lead_id is None and row.key in inp.scrambled:  # never a lead from a sort
            draft.outcome = Outcome.ERROR
            draft.message = (
                "⚠ this row changed in several cells at once while part of the sheet was sorted without "
                "the amo_sync_id and amo_lead_id columns, so it may show another row's values. Undo the "
                "sort; sort whole rows. Nothing was synced for this row."
            )
            continue
        if entry is not None and row.key in inp.scrambled:  # never push another row's values into this lead
            draft.outcome = Outcome.ERROR
            shows = (
                f"shows the values of another synced row ({other}), not those of its lead {entry.lead_id}"
                if (other := inp.scrambled[row.key])
                else f"changed in several cells since its last sync, so it may show another row's values, "
                f"not those of its lead {entry.lead_id}"
            )
            draft.message = (
                f"⚠ this row {shows}: part of the sheet was sorted without the amo_sync_id and "
                "amo_lead_id columns. Undo the sort; sort whole rows. Nothing was synced for this row."
            )
            continue
        if entry is None and row.lead_id is None and row.key in inp.moved:  # never a second lead for those
            draft.outcome = Outcome.ERROR
            src = inp.ledger.get(inp.moved[row.key])
            gone = (
                f" — or, if that row is gone, type {src.lead_id} into this row's amo_lead_id cell"
                if src
                else ""
            )
            draft.message = (
                f"⚠ this row holds the values of synced row {inp.moved[row.key]}, which no longer shows "
                "them: cut and pasted without the amo_sync_id and amo_lead_id columns? Paste that row's "
                f"amo_sync_id and amo_lead_id cells into this row{gone} (or undo the cut). "
                "Nothing was synced for this row."
            )
            continue
        if entry is not None and row.key in sources:  # its values now live in another row: never push these
            draft.outcome = Outcome.ERROR
            draft.message = (
                f"⚠ this row's values were moved to a new row ({sources[row.key]}) without the amo_sync_id "
                f"and amo_lead_id cells; lead {entry.lead_id} was left as it is in amoCRM. Move the key "
                "cells with the values (or undo the cut). Nothing was synced for this row."
                if sources[row.key] in present
                else f"⚠ this row's values were moved to another row, since deleted or emptied, and what it "
                f"shows now is not lead {entry.lead_id}'s, which was left as it is in amoCRM. Undo the "
                "delete and the sort or cut; or, if this row is a new deal, clear its amo_sync_id and "
                "amo_lead_id cells. Nothing was synced for this row."
            )
            continue
        if entry is not None:
            lead_id = entry.lead_id
            if lead_id in inp.leads and not row.errors and all(row.values.get(t) is None for t in rules):
                draft.outcome = Outcome.ERROR  # an emptied row never empties its lead (nor its contact)
                draft.message = (
                    f"⚠ this row's cells are empty; lead {lead_id} was left as it is in amoCRM. Type its "
                    "values back (or undo a cut), or delete the row if it should no longer show the lead."
                )
                continue
            if lead_id in inp.leads and (held := _changed_at_once(row, entry, inp.leads[lead_id], rules)):
                draft.outcome, draft.message = Outcome.ERROR, held
                continue
            if lead_id in inp.leads:
                draft.lead_id, draft.has_base = lead_id, True
                draft.relink = row.lead_id != lead_id
                continue
            typed = row.lead_id
            if (
                typed is not None
                and typed != lead_id
                and typed in inp.leads
                and claimed.get(typed) in (None, row.key)
            ):
                claimed[typed] = row.key  # a person typed the id of the lead it was merged into: adopt it
                draft.entry, draft.lead_id, draft.relink = None, typed, True
                continue
            if row.lead_id is not None:  # the lead is gone; the row stays and says so
                draft.outcome, draft.lead_id = Outcome.DELETED_IN_AMO, entry.lead_id
                draft.message = (
                    f"⚠ lead {entry.lead_id} was deleted in amoCRM (or merged into another): type the id of "
                    "the lead it was merged into to follow it, or clear it to create a new one"
                )
                continue
            draft.entry = None  # a person cleared the lead id of a deleted lead: treat the row as new
        elif row.lead_id is not None:  # a lead id typed or pasted into a row we do not know yet
            lead_id = row.lead_id
            owner = claimed.get(lead_id)
            if lead_id not in inp.leads:
                draft.outcome, draft.message = Outcome.ERROR, f"⚠ lead {row.lead_id} is not in amoCRM"
                continue
            if owner is not None and owner != row.key:
                draft.outcome, draft.message = (
                    Outcome.ERROR,
                    f"⚠ lead {lead_id} is already linked to row {owner}",
                )
                continue
            claimed[lead_id] = row.key
            draft.lead_id, draft.relink = lead_id, True  # adopted: no base, so first-sync rules apply
            continue
        if row.errors:
            draft.outcome = Outcome.ERROR
        elif all(row.values.get(t) is None for t in rules):
            draft.outcome = Outcome.EMPTY
        else:
            draft.outcome = Outcome.CREATE
    return drafts


# --- 2. lead fields ------------------------------------------------------------------------------------


def _lead_fields(inp: PlanInput, drafts: dict[str, Draft], lead_rules: list[FieldRule]) -> None:
    for draft in drafts.values():
        if draft.outcome is Outcome.CREATE:
            _create_values(inp, draft, lead_rules)
        elif draft.lead_id is not None and draft.outcome is not Outcome.DELETED_IN_AMO:
            lead = inp.leads[draft.lead_id]
            if (
                any(r.target == LEAD_STATUS and r.direction is not Direction.TO_SHEET for r in lead_rules)
                and draft.sheet_value(LEAD_STATUS) is None
                and draft.base_value(LEAD_STATUS) is not None
            ):
                # a lead is always in a stage: a cleared Stage cell is refused, never written back over
                draft.row = replace(draft.row, errors={**draft.row.errors, LEAD_STATUS: NO_STAGE})
            for rule in lead_rules:
                if rule.target in draft.row.errors:
                    keep_base(draft, rule.target)
                    continue
                amo = lead.values.get(rule.target)
                res = resolve(rule, amo, [draft.member(rule.target)], lead.updated_at)
                apply(draft, rule.target, amo, res.final, draft.lead_update)
                draft.conflicts.extend(res.conflicts.values())


NO_STAGE = "amoCRM keeps every lead in a stage; choose one instead of clearing the cell"


def _create_values(inp: PlanInput, draft: Draft, lead_rules: list[FieldRule]) -> None:
    create: dict[str, Value] = {}
    for rule in lead_rules:
        if rule.direction is not Direction.TO_SHEET and draft.sheet_value(rule.target) is not None:
            create[rule.target] = draft.sheet_value(rule.target)
    if LEAD_NAME not in create:
        create[LEAD_NAME] = draft.sheet_value(CONTACT_NAME) or f"Sheet row {draft.row.key}"
    for rule in lead_rules:  # what the new lead will hold, so the row and the ledger agree with it
        after = create.get(rule.target, inp.create_defaults.get(rule.target))
        draft.base[rule.target] = after
        if draft.sheet_value(rule.target) != after:
            draft.sheet_update[rule.target] = after
    draft.create_lead = create


# --- 5. messages, counts, guards -----------------------------------------------------------------------


def _message(draft: Draft, rules: Mapping[str, FieldRule]) -> str:
    if draft.message:
        return draft.message
    if draft.row.errors:
        parts = [
            f"{(rules[t].label if t in rules else t) or t}: {why}"
            for t, why in sorted(draft.row.errors.items())
        ]
        return "⚠ " + "; ".join(parts)
    held = [conflict for conflict in draft.conflicts if conflict.reason.startswith(SHARED)]
    if held:
        conflict = held[0]
        label = (rules[conflict.target].label if conflict.target in rules else "") or conflict.target
        return (
            f"⚠ {label}: the amoCRM contact this row joined (same e-mail or phone) has “{conflict.amo}”; "
            "it is shared, so it was not changed. Fix the cell, or the e-mail/phone if this is another "
            "person."
        )
    if draft.conflicts:
        conflict = draft.conflicts[0]
        label = (rules[conflict.target].label if conflict.target in rules else "") or conflict.target
        more = f" (+{len(draft.conflicts) - 1} more)" if len(draft.conflicts) > 1 else ""
        return f"conflict on {label}: {'amo' if conflict.winner is Side.AMO else 'sheet'} kept{more}"
    return OK


def _freeze(draft: Draft, rules: Mapping[str, FieldRule]) -> RowPlan:
    message = _message(draft, rules)
    row_plan = RowPlan(
        key=draft.row.key,
        row=draft.row.row,
        outcome=draft.outcome,
        lead_id=draft.lead_id,
        contact=draft.contact,
        link_contact=draft.link_contact,
        create_lead=draft.create_lead,
        lead_update=draft.lead_update,
        contact_update=draft.contact_update,
        sheet_update=draft.sheet_update
        if draft.outcome not in (Outcome.ERROR, Outcome.EMPTY) or draft.lead_id
        else {},
        base=draft.base,
        relink=draft.relink,
        conflicts=tuple(draft.conflicts),
        errors=dict(draft.row.errors),
        message=message,
    )
    if row_plan.outcome is Outcome.ERROR and row_plan.lead_id is None:
        row_plan = replace(row_plan, create_lead=None, sheet_update={}, base={}, contact=None)
    if row_plan.outcome is Outcome.UPDATE and not row_plan.has_actions:
        row_plan = replace(row_plan, outcome=Outcome.UNCHANGED)
    if row_plan.outcome is Outcome.UPDATE and row_plan.errors:
        row_plan = replace(row_plan, outcome=Outcome.ERROR)
    mark = row_plan.has_actions or (
        (row_plan.outcome in (Outcome.ERROR, Outcome.DELETED_IN_AMO) or message.startswith("⚠"))
        and message != draft.row.status
    )
    if (
        row_plan.outcome is Outcome.UNCHANGED
        and draft.row.status.startswith("⚠")
        and message != draft.row.status
    ):
        mark = not row_plan.errors  # an old warning no longer applies (or another one does)
    entry = draft.entry
    dirty = row_plan.lead_id is not None and row_plan.outcome is not Outcome.DELETED_IN_AMO and (
        entry is None or entry.lead_id != row_plan.lead_id or dict(entry.values) != row_plan.base
        or (isinstance(row_plan.contact, int) and entry.contact_id != row_plan.contact)
    )  # fmt: skip
    return replace(row_plan, mark=mark, ledger_dirty=dirty)


def _finish(inp, drafts, rules, new_contacts, contact_updates) -> Plan:
    rows = [_freeze(draft, rules) for draft in drafts.values()]
    if inp.full_scan:
        present = {row.key for row in inp.rows} | inp.held
        for key in sorted(set(inp.ledger) - present):
            entry = inp.ledger[key]
            rows.append(RowPlan(key=key, row=None, outcome=Outcome.REMOVED_FROM_SHEET, lead_id=entry.lead_id))
    rows.sort(key=lambda row_plan: row_plan.key)
    creates = [row_plan for row_plan in rows if row_plan.outcome is Outcome.CREATE]
    linked = [
        row_plan
        for row_plan in rows
        if row_plan.outcome in (Outcome.UPDATE, Outcome.UNCHANGED, Outcome.ERROR) and row_plan.lead_id
    ]
    drafts_by_key = drafts
    counts = Counts(
        rows=len(inp.rows),
        create=len(creates),
        new_contacts=len(new_contacts),
        reused_contacts=sum(1 for row_plan in creates if isinstance(row_plan.contact, int)),
        update_amo=sum(
            1
            for row_plan in linked
            if row_plan.lead_update or row_plan.contact_update or row_plan.link_contact
        ),
        update_sheet=sum(1 for row_plan in linked if row_plan.sheet_update),
        conflicts=sum(1 for row_plan in rows if row_plan.conflicts),
        errors=sum(1 for row_plan in rows if row_plan.outcome is Outcome.ERROR),
        unchanged=sum(1 for row_plan in rows if row_plan.outcome is Outcome.UNCHANGED),
        deleted_in_amo=sum(1 for row_plan in rows if row_plan.outcome is Outcome.DELETED_IN_AMO),
        removed_from_sheet=sum(1 for row_plan in rows if row_plan.outcome is Outcome.REMOVED_FROM_SHEET),
        cleared_in_amo=sum(1 for row_plan in linked if drafts_by_key[row_plan.key].cleared_amo),
        cleared_in_sheet=sum(1 for row_plan in linked if drafts_by_key[row_plan.key].cleared_sheet),
    )
    changed = sum(
        1 for row_plan in linked if row_plan.lead_update or row_plan.contact_update or row_plan.sheet_update
    )
    if inp.synced_rows if inp.synced_rows is not None else inp.ledger:
        changed += len(creates)  # a first import creates every row; later, creates count like changes
    cleared = sum(
        1
        for row_plan in linked
        if drafts_by_key[row_plan.key].cleared_amo or drafts_by_key[row_plan.key].cleared_sheet
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
            inp.full_scan and not inp.rows and not inp.held and bool(inp.ledger),
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
