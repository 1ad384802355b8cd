"""A run's journal, as data: every field the run changed on either side (before -> after, row key,
lead/contact id, side, why) and the run's meta (when, what started it, counts).

Pure: built from the plan, the executor's outcome and the values both sides held before the run;
`store/journal.py` keeps it in Redis. A field counts as changed only when its write succeeded: rows
amoCRM refused are errors, not changes, and sheet cells count only for rows whose cells were written.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Mapping, Set
from dataclasses import asdict, dataclass, field
from typing import Any

from backend.sync.core.model import Plan

# the run kinds of `run.py` as a person names what started them
TRIGGERS = {"edits": "edit", "amo": "amocrm", "full": "sync_now", "reconcile": "reconcile", "undo": "undo"}

SHEET, AMO = "sheet", "amo"
# why a field changed
SHEET_EDIT, AMO_CHANGE, RECONCILE, CONFLICT, CREATED, UNDO = (
    "sheet_edit",
    "amo_change",
    "reconcile",
    "conflict_policy",
    "created",
    "undo",
)
CREATED_FIELD = "lead"  # the field a created lead is journaled under: before None, after its id


@dataclass(frozen=True)
class Change:
    key: str  # the row key
    lead_id: int | None
    contact_id: int | None
    side: str  # the side that was written: "sheet" or "amo"
    field: str  # the target ("lead.price", "contact.email", …) or CREATED_FIELD
    before: Any
    after: Any
    why: str

    def to_row(self) -> list:
        """Compact: a list, not a dict — the journal of an import holds tens of thousands of these."""
        return [
            self.key,
            self.lead_id,
            self.contact_id,
            self.side,
            self.field,
            self.before,
            self.after,
            self.why,
        ]

    @classmethod
    def from_row(cls, row: list) -> Change:
        return cls(*row)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RunMeta:
    run_id: str
    connection_id: str
    trigger: str
    started_at: float
    finished_at: float
    counts: dict[str, int] = field(default_factory=dict)
    changes: int = 0  # changes the run made (may exceed the stored ones: see `truncated`)
    truncated: bool = False  # more changes than a run's journal keeps
    undo_of: str = ""  # the run an undo run took back
    kept: list[dict[str, Any]] = field(default_factory=list)  # undo: fields left alone, and why

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> RunMeta:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in stored.items() if k in names})


def new_run_id(started_at: float) -> str:
    """Sorts by time (milliseconds first), unique with a random tail; safe in a URL path."""
    return f"{int(started_at * 1000):013d}-{secrets.token_hex(4)}"


def _why(kind: str, side: str, conflicted: Set[str], target: str) -> str:
    if target in conflicted:
        return CONFLICT
    if kind == "undo":
        return UNDO
    if kind == "reconcile":
        return RECONCILE
    return SHEET_EDIT if side == AMO else AMO_CHANGE


def changes(
    kind: str,
    plan: Plan,
    failed: Mapping[str, str],
    created: Mapping[str, int],
    contact_ids: Mapping[str, int],
    written: Set[str],
    sheet_before: Mapping[str, Mapping[str, Any]],
    amo_before: Mapping[int, Mapping[str, Any]],
) -> Iterator[Change]:
    """Every field the run changed, row by row. `created`: row key -> the lead created for it;
    `contact_ids`: new-contact ref -> the id amoCRM gave it; `written`: rows whose cells were written."""
    for row_plan in plan.rows:
        if row_plan.key in failed:
            continue
        lead_id = created.get(row_plan.key) or row_plan.lead_id
        contact = (
            row_plan.contact
            if isinstance(row_plan.contact, int)
            else contact_ids.get(str(row_plan.contact or ""))
        )
        conflicted = {conflict.target for conflict in row_plan.conflicts}
        if row_plan.create_lead is not None:
            if row_plan.key not in created:
                continue
            yield Change(row_plan.key, lead_id, contact, AMO, CREATED_FIELD, None, lead_id, CREATED)
        amo_old = amo_before.get(row_plan.lead_id or 0, {})
        # a new contact's values are its creation, not a change of anything that existed
        pushed = {
            **row_plan.lead_update,
            **({} if isinstance(row_plan.contact, str) else row_plan.contact_update),
        }
        for target, value in pushed.items():
            why = _why(kind, AMO, conflicted, target)
            yield Change(row_plan.key, lead_id, contact, AMO, target, amo_old.get(target), value, why)
        if row_plan.key in written and row_plan.create_lead is None:
            sheet_old = sheet_before.get(row_plan.key, {})
            for target, value in row_plan.sheet_update.items():
                why = _why(kind, SHEET, conflicted, target)
                yield Change(row_plan.key, lead_id, contact, SHEET, target, sheet_old.get(target), value, why)


class Tally:
    """The counts a person sees (created leads, rows updated on each side, healed, errors), taken
    while the changes stream past: `feed` yields them on, so an import's journal is never held whole.
    `changes()` yields a row's changes together, so a row is counted when its key first appears."""

    def __init__(self, *, errors: int, healed: int = 0):
        self.counts = {"created": 0, "updated_amo": 0, "updated_sheet": 0, "healed": healed, "errors": errors}
        self._last = {AMO: "", SHEET: ""}

    def feed(self, items: Iterable[Change]) -> Iterator[Change]:
        for change in items:
            if change.field == CREATED_FIELD:
                self.counts["created"] += 1
            elif self._last[change.side] != change.key:
                self._last[change.side] = change.key
                self.counts["updated_amo" if change.side == AMO else "updated_sheet"] += 1
            yield change


def count(items: Iterable[Change], *, errors: int, healed: int = 0) -> dict[str, int]:
    tally = Tally(errors=errors, healed=healed)
    for _ in tally.feed(items):
        pass
    return tally.counts


_UNDO_PHRASES = (
    ("kept", "{} kept (changed since)"),
    ("leads_kept", "{} created leads kept and tagged"),
    ("errors", "{} with errors"),
)
_RUN_PHRASES = (
    ("created", "{} created"),
    ("updated_amo", "{} updated in amoCRM"),
    ("updated_sheet", "{} updated in the sheet"),
    ("errors", "{} with errors"),
)


def _said(counts: Mapping[str, int], phrases: tuple[tuple[str, str], ...]) -> list[str]:
    """The phrase of every count that is not zero, in the table's order."""
    return [phrase.format(counts[name]) for name, phrase in phrases if counts.get(name)]


def summary(meta: RunMeta) -> str:
    """One line for the Activity list ("3 changes amoCRM did not announce were picked up")."""
    counts = meta.counts
    if meta.trigger == "undo":
        said = [f"{counts.get('restored', 0)} restored", *_said(counts, _UNDO_PHRASES)]
        return "Undo: " + ", ".join(said) + "."
    if meta.trigger == "reconcile":
        healed = counts.get("healed", 0)
        if not healed:
            return "Checked everything: nothing was missed."
        noun = "change" if healed == 1 else "changes"
        return f"{healed} {noun} amoCRM did not announce {'was' if healed == 1 else 'were'} picked up."
    parts = _said(counts, _RUN_PHRASES)
    return ", ".join(parts) + "." if parts else "Nothing to change."
