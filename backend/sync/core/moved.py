"""Rows showing values that belong to another synced row: what a cut, or a sort of a range, that left out
the sync's columns (amo_sync_id, amo_lead_id) does — and people go on typing after it.

The ledger indexes every row's agreed values by `near_prints`: the fingerprint of all of them and of
each with one field left out, so values are found again after they moved even when one field was
cleared, filled or changed since. This module is the pure decision on the candidates the ledger found;
the run asks the ledger for them (sync/run.py).

- `moved`: a new row (no key in the ledger, no lead id) holding a synced row's agreed values while that
  row no longer does: creating it would give that row's data a second lead. Within two fields when
  that row moved away from them (a cut empties it; a person may type values back): the new row then
  holds more of the lead's agreed values than the lead's own row does. Within two or three, when that
  row was emptied (one value at most) and the new row holds at least half of the lead's values.
- `scrambled`: a synced row showing another synced row's agreed values instead of its own: pushing them
  would write one lead's values into another.

For one field changed since the move, the other row must itself show something else now (it was
moved too, or deleted: a person cuts the values and deletes the emptied row), so a new deal typed for a
known customer is not mistaken for a moved one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from itertools import combinations

from backend.sync.core.model import LedgerEntry, SheetRow, Value, digest, encoded_items


def near_prints(values: Mapping[str, Value]) -> set[str]:
    """The fingerprint of the values, of each with one non-empty field left out, and of the lead's fields
    alone: a row on a shared contact whose fields it holds in conflict has no agreed value of them, so
    its entry lacks them while the sheet shows them."""
    parts = encoded_items(values)  # each value encoded once, not once per print (an import: 8 per row)
    lead_only = digest([part for part in parts if part.startswith(_LEAD_PART)])
    return one_off_prints(parts) | ({lead_only} if lead_only else set())


def one_off_prints(parts: list[str]) -> set[str]:
    """The fingerprints of `encoded_items` and of each with one item left out."""
    prints = [digest(parts), *(digest(parts[:i] + parts[i + 1 :]) for i in range(len(parts)))]
    return {fp for fp in prints if fp}


_LEAD_PART = '["lead.'  # how `encoded_items` begins a lead field's item


def far_prints(values: Mapping[str, Value]) -> set[str]:
    """The fingerprints of the values with two non-empty fields left out: looked up (never indexed) for
    a new row while synced rows are gone from the sheet — an entry with no agreed value of a field held
    in conflict, whose row was cut and edited in one field, is two fields off what the sheet shows."""
    parts = encoded_items(values)
    prints = (digest(list(kept)) for kept in combinations(parts, max(len(parts) - 2, 0)))
    return {fp for fp in prints if fp}


def agreement(a: Mapping[str, Value], b: Mapping[str, Value]) -> tuple[int, int]:
    """(fields both hold with one non-empty value, fields where they differ)."""
    same = diff = 0
    for target in a.keys() | b.keys():
        x, y = a.get(target), b.get(target)
        if x != y:
            diff += 1
        elif x is not None:
            same += 1
    return same, diff


def find_moved(
    sheet: Iterable[SheetRow],
    rows: Iterable[SheetRow],
    bases: Mapping[str, LedgerEntry],
    candidates: Mapping[str, Iterable[str]],
    whole_sheet: bool,
    unseen_emptied: Iterable[str] = (),
) -> tuple[dict[str, str], dict[str, str]]:
    """(`moved`, `scrambled`): row key -> the key of the synced row whose values it holds.

    `sheet` is every row the run read (the whole sheet, or only the edited rows when `whole_sheet` is
    False: then a candidate row not among them may have moved, and the row is reported so that a run
    reading the sheet decides). `unseen_emptied`: keys of rows the run left out (held copies) that hold
    one value at most — a row whose values were cut away, out of the run's sight."""
    by_key = {r.key: r for r in sheet}
    unseen_emptied = set(unseen_emptied)
    moved: dict[str, str] = {}
    scrambled: dict[str, str] = {}
    claimed: set[str] = set()  # a sort deals each row's values out once: of twins, an unclaimed one first
    for row in rows:
        own = bases.get(row.key)
        if own is not None and agreement(row.values, own.values)[1] == 0:
            continue
        new = own is None and row.lead_id is None
        if own is None and not new:
            continue  # a lead id typed into a row: the planner adopts or refuses it
        ranked = sorted(
            ((*_candidate(row, bases[k]), k) for k in candidates.get(row.key, ()) if k in bases),
            key=lambda x: (x[1], -x[0], x[2] in claimed, x[2]),  # the closest first
        )
        for same, diff, other in ranked:
            src = by_key.get(other)
            if _holds(row, own, same, diff, src, bases[other], other in unseen_emptied):
                (scrambled if own is not None else moved)[row.key] = other
                claimed.add(other)
                break
    return moved, scrambled


def _holds(
    row: SheetRow,
    own: LedgerEntry | None,
    same: int,
    diff: int,
    src: SheetRow | None,
    other: LedgerEntry,
    unseen_emptied: bool,
) -> bool:
    """Does `row` (new when `own` is None) hold the agreed values `other` of the synced row `src` shows
    (None: not in the run's sight), `same` fields alike and `diff` apart?"""
    new = own is None
    away = unseen_emptied if src is None else _moved_away(src, other, same)
    emptied = unseen_emptied if src is None else _cut_away(src)
    if new and diff == 2 and (same > diff or (same == diff and emptied)) and away:
        return True  # its source row moved away further (or was emptied): two fields off is its values
    if new and diff == 3 and same >= diff and emptied:
        return True  # its source row was emptied: half of that lead's values is enough
    if same < 2 or diff > 1:
        return False
    src_moved = src is None or _candidate(src, other)[1] > 0
    if (diff == 1 or _unknown(row, other)) and not src_moved:
        return False  # near values count only when that row moved too (or was deleted: cut, then removed)
    if new:
        return src_moved
    return diff == 0 or _rather(row, own, same)


def _known(values: Mapping[str, Value], entry: LedgerEntry) -> Mapping[str, Value]:
    """`values` over the fields `entry` has agreed values of. A row on a shared contact holds some of its
    fields in conflict: its entry has none of them while the sheet shows them. Without a contact, a
    contact field the entry lacks is empty."""
    return values if entry.contact_id is None else {t: values.get(t) for t in entry.values}


def _unknown(row: SheetRow, entry: LedgerEntry) -> bool:
    """The row shows a value of a field `entry` has no agreed value of."""
    known = _known(row.values, entry)
    return any(v is not None for t, v in row.values.items() if t not in known)


def _candidate(row: SheetRow, other: LedgerEntry) -> tuple[int, int]:
    return agreement(_known(row.values, other), other.values)


def _cut_away(row: SheetRow) -> bool:
    """A synced row left with one value at most: its values were cut away (a person may type one back)."""
    return sum(1 for v in row.values.values() if v is not None) <= 1


def _moved_away(row: SheetRow, own: LedgerEntry, same_new: int) -> bool:
    """A synced row emptied, or changed in two fields or more and holding fewer of its agreed values than
    the new row does."""
    if _cut_away(row):
        return True
    same, diff = _candidate(row, own)
    return diff >= 2 and same < same_new


def changed_in_several(row: SheetRow, own: LedgerEntry) -> bool:
    """A synced row two fields or more off its agreed values: several cells changed at once (a cut, a
    sort or a paste), so what it shows may not be its lead's."""
    return agreement(row.values, own.values)[1] >= 2


def moved_away_rows(sheet: Iterable[SheetRow], bases: Mapping[str, LedgerEntry]) -> list[str]:
    """Rows showing a lead but emptied, or changed in two fields or more since their agreed values: where
    a new row's values may have come from."""
    out = []
    for r in sheet:
        own = bases.get(r.key)
        if r.lead_id is not None and (_cut_away(r) or (own is not None and _candidate(r, own)[1] >= 2)):
            out.append(r.key)
    return out


def _rather(row: SheetRow, own: LedgerEntry | None, same_other: int) -> bool:
    """The row moved away from its own values (two fields or more) and is closer to the other row's."""
    if own is None:
        return False
    same, diff = agreement(row.values, own.values)
    return diff >= 2 and same_other > same


def shuffled_rows(rows: Iterable[SheetRow], bases: Mapping[str, LedgerEntry]) -> list[str]:
    """Synced rows changed in two fields or more whose new values are, column by column, mostly the
    agreed values the others held: values moved between rows (a range sorted without the key columns,
    maybe more than once with edits between, when no row matches another one's values any more) rather
    than typed. Typed values are new to the column; a sort only deals the column's values out again."""
    changed = [
        (r, e) for r in rows if (e := bases.get(r.key)) is not None and agreement(r.values, e.values)[1] >= 2
    ]
    if len(changed) < 2:
        return []
    dealt = total = 0
    for target in {t for r, e in changed for t in (*r.values, *e.values)}:
        cells = [(r.values.get(target), e.values.get(target)) for r, e in changed]
        pool = Counter(old for new, old in cells if new != old)
        for new, old in cells:
            if new != old:
                total += 1
                if pool[new] > 0:
                    pool[new] -= 1
                    dealt += 1
    return [r.key for r, _ in changed] if dealt * 3 >= total * 2 else []
