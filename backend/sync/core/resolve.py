"""Per-field three-way resolution — the decision table of docs/sync.md, in one pure function.

One field of one amoCRM record (a lead, or a contact shared by several rows) has the amoCRM value `a`
and, for each sheet row showing it, the row's value `s` and the last agreed value `b`:

| s vs a | base | rule (BOTH)                      | outcome                          |
|--------|------|----------------------------------|----------------------------------|
| s == a | any  |                                  | in sync (refresh the base)       |
| s != a | none | s empty                          | fill the sheet with a            |
| s != a | none | a empty                          | fill amoCRM with s               |
| s != a | none | both set                         | conflict → policy                |
| s != a | b    | s == b                           | amoCRM changed → write a to sheet|
| s != a | b    | a == b                           | sheet changed → push s           |
| s != a | b    | s != b != a                      | conflict → policy                |

TO_AMO pushes s whenever s != a; TO_SHEET writes a whenever s != a. When several rows want to push
different values into one shared record, the newest edit wins (then the smallest row key), and the other
rows are rewritten to the winner — every row showing a record ends equal to it.

Imports only `sync/core/model.py` and the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.sync.core.model import Change, Conflict, Direction, FieldRule, Policy, Side, Value


@dataclass(frozen=True)
class Member:
    """One row's view of the field."""

    key: str
    s: Value
    b: Value
    has_base: bool
    edited_at: float | None = None


@dataclass(frozen=True)
class Resolution:
    final: Value  # the value both sides hold afterwards
    conflicts: dict[str, Conflict]  # row key -> conflict that row took part in


def _shouted(value: Value) -> bool:
    letters = [c for c in value or "" if c.isalpha()]
    return len(letters) > 3 and all(c.isupper() for c in letters)


def classify(s: Value, a: Value, b: Value, has_base: bool) -> Change:
    if s == a:
        return Change.NONE
    if not has_base:
        if s is None:
            return Change.AMO
        if a is None:
            return Change.SHEET
        return Change.CONFLICT
    if s == b:
        return Change.AMO
    if a == b:
        return Change.SHEET
    return Change.CONFLICT


def _sheet_wins_conflict(rule: FieldRule, member: Member, amo_time: float) -> tuple[bool, str]:
    if rule.policy is Policy.SHEET_WINS:
        return True, "policy sheet_wins"
    if rule.policy is Policy.AMO_WINS:
        return False, "policy amo_wins"
    if member.edited_at is None:
        return False, "policy newest: the sheet edit time is unknown, amoCRM kept"
    if member.edited_at > amo_time:
        return True, "policy newest: the sheet edit is newer"
    return False, "policy newest: the amoCRM change is newer"


def resolve(rule: FieldRule, a: Value, members: list[Member], amo_time: float) -> Resolution:
    """Decide the final value of one field of one record, given every row that shows it."""
    wants: list[tuple[Member, str]] = []  # rows that push their value, with why
    lost: dict[str, tuple[Member, str]] = {}  # rows in conflict whose value lost to amoCRM
    for member in members:
        if rule.direction is Direction.TO_SHEET or member.s == a:
            continue
        if rule.direction is Direction.TO_AMO:
            wants.append((member, "direction to_amo"))
            continue
        change = classify(member.s, a, member.b, member.has_base)
        if change is Change.SHEET:
            wants.append((member, "sheet changed"))
        elif change is Change.CONFLICT:
            wins, why = _sheet_wins_conflict(rule, member, amo_time)
            if wins:
                wants.append((member, why))
            else:
                lost[member.key] = (member, why)

    conflicts: dict[str, Conflict] = {}
    if not wants:
        final = a
    else:
        # Newest edit first (unknown edit times last); then a value not typed in capitals (on a first
        # import "Иван Петров" should win over "ИВАН ПЕТРОВ" for a shared contact); then the smallest key.
        winner, _ = min(
            wants, key=lambda want: (-(want[0].edited_at or float("-inf")), _shouted(want[0].s), want[0].key)
        )
        final = winner.s
        for member, why in wants:
            if member.s != final:
                conflicts[member.key] = Conflict(
                    rule.target,
                    member.s,
                    a,
                    member.b,
                    Side.AMO,
                    f"row {winner.key} set it later ({why} lost)",
                )
            elif why.startswith("policy"):
                conflicts[member.key] = Conflict(rule.target, member.s, a, member.b, Side.SHEET, why)
    for key, (member, why) in lost.items():
        if final == a:
            conflicts[key] = Conflict(rule.target, member.s, a, member.b, Side.AMO, why)
        else:  # another row's push won over amoCRM; this row is rewritten to it
            conflicts[key] = Conflict(
                rule.target, member.s, a, member.b, Side.SHEET, f"another row set it ({why})"
            )
    return Resolution(final, conflicts)
