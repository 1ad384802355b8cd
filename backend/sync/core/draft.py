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

    sr: SheetRow
    le: LedgerEntry | None
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

    def s(self, target: str) -> Value:
        return self.sr.values.get(target)

    def b(self, target: str) -> Value:
        return self.le.values.get(target) if (self.le and self.has_base) else None

    def member(self, target: str) -> Member:
        known = self.has_base and self.le is not None and target in self.le.values
        return Member(self.sr.key, self.s(target), self.b(target), known, self.sr.edited_at)


def keep_base(d: Draft, target: str) -> None:
    if d.le is not None and d.has_base and target in d.le.values:
        d.base[target] = d.le.values[target]


def apply(d: Draft, target: str, a: Value, final: Value, amo_update: dict[str, Value]) -> None:
    if final != a:
        amo_update[target] = final
        d.cleared_amo |= final is None
    if d.s(target) != final:
        d.sheet_update[target] = final
        d.cleared_sheet |= final is None
    d.base[target] = final
