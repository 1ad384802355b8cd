"""A row's plan while the planner builds it (`Draft`), and the two helpers that record a field's outcome.

Mutable on purpose and private to the planner: `planner._freeze` turns every Draft into a frozen RowPlan.
Imports only `sync/core/model.py`, `sync/core/resolve.py` and the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from backend.sync.core.model import Conflict, LedgerEntry, Outcome, SheetRow, Value
from backend.sync.core.resolve import Member


@dataclass
class Draft:
    """A row's plan while it is being built; frozen into a RowPlan at the end."""

    row: SheetRow
    entry: LedgerEntry | None
    outcome: Outcome
    lead_id: int | None = None
    has_base: bool = False
    relink: bool = False
    contact: int | str | None = None
    link_contact: bool = False
    create_lead: dict[str, Value] | None = None
    lead_update: dict[str, Value] = field(default_factory=dict)
    contact_update: dict[str, Value] = field(default_factory=dict)
    sheet_update: dict[str, Value] = field(default_factory=dict)
    base: dict[str, Value] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    message: str = ""
    cleared_amo: bool = False
    cleared_sheet: bool = False

    def sheet_value(self, target: str) -> Value:
        return self.row.values.get(target)

    def base_value(self, target: str) -> Value:
        return self.entry.values.get(target) if (self.entry and self.has_base) else None

    def member(self, target: str) -> Member:
        known = self.has_base and self.entry is not None and target in self.entry.values
        return Member(
            self.row.key, self.sheet_value(target), self.base_value(target), known, self.row.edited_at
        )


def keep_base(draft: Draft, target: str) -> None:
    if draft.entry is not None and draft.has_base and target in draft.entry.values:
        draft.base[target] = draft.entry.values[target]


def apply(draft: Draft, target: str, amo: Value, final: Value, amo_update: dict[str, Value]) -> None:
    if final != amo:
        amo_update[target] = final
        draft.cleared_amo |= final is None
    if draft.sheet_value(target) != final:
        draft.sheet_update[target] = final
        draft.cleared_sheet |= final is None
    draft.base[target] = final
