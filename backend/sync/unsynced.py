"""The values of unsynced rows (an error, or not yet created) as the last full run saw them, kept as
fingerprints, so that a later run can tell when they turn up in another row.

A range sorted without the sync's columns deals every row's values to another row's key cells. The
ledger finds a synced row's values again wherever they went (sync/core/moved.py), but it knows nothing
of an unsynced row's. Two cases it missed:
- a synced row dealt an unsynced row's values, with its own values nowhere (the row holding them was
  deleted, or edited since): it looked like a person's edit of that lead, and pushed another row's data
  into it;
- an unsynced row dealt a synced row's values while another row's, equal to them once invalid cells
  count as empty, kept the synced row's place: it looked like a new deal, and became a second lead.
With these fingerprints the first is held (a synced row showing an unsynced row's last values, within
one field, while that row shows something else now), and when two rows or more show other rows' last
values (a sort), so are the unsynced rows two fields or more off what they showed.

Bounded by `MAX_ROWS` (a sheet with thousands of unsynced rows is an import in progress, not a sort).
While a run sees such a deal, the fingerprints are kept as they were (else the next run would take the
dealt values for the rows' own and push them); they are replaced by the first full run that sees none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import redis

from backend.store import keys
from backend.sync.core.model import LedgerEntry, SheetRow, Value, digest, encoded_items
from backend.sync.core.moved import agreement, one_off_prints

MAX_ROWS = 2000
_ROW = "row:"  # row key -> the fingerprint of all its values
_PRINT = "print:"  # near fingerprint -> row key


def _whole(row: SheetRow) -> str:
    return digest(encoded_items(row.values)) or ""


def _prints(values: Mapping[str, Value]) -> set[str]:
    """All the values, and each with one left out (not the ledger's lead-only print: many unsynced rows
    share a deal's name, price and stage)."""
    return one_off_prints(encoded_items(values))


@dataclass(frozen=True)
class Deal:
    """What a run sees of unsynced rows' last values (see the module's docstring)."""

    into_synced: dict[str, str] = field(default_factory=dict)  # synced row -> the unsynced row whose
    # last values it shows instead of its own
    sorted: bool = False  # two rows or more show other rows' last values: a range was sorted
    changed: frozenset[str] = frozenset()  # unsynced rows two fields or more off their last values


def dealt(
    client: redis.Redis,
    connection_id: str,
    sheet: Iterable[SheetRow],
    base: Mapping[str, LedgerEntry],
    given_back: Mapping[str, str],
) -> Deal:
    """Rows showing an unsynced row's last seen values (within one field) while that row shows other
    values now or is gone. `given_back` (a row's old key -> the key this run gave it back,
    snapshot.SheetSide.rekeyed): such a row is that unsynced row, not another."""
    seen = {k.decode(): v.decode() for k, v in client.hgetall(keys.unsynced_seen(connection_id)).items()}
    if not seen:
        return Deal()
    rows = list(sheet)
    now = {r.key: _whole(r) for r in rows if r.key not in base}
    into: dict[str, str] = {}
    changed: set[str] = set()
    shown_elsewhere = 0
    for row in rows:
        # only rows that changed are fingerprinted: a reconcile of a large sheet costs what changed
        entry = base.get(row.key)
        if entry is not None:
            if agreement(row.values, entry.values)[1] == 0:
                continue
        elif _ROW + row.key not in seen or now[row.key] == seen[_ROW + row.key]:
            continue  # a new row, or an unsynced one as it was
        owners = {k for fp in _prints(row.values) if (k := seen.get(_PRINT + fp))}
        if entry is None and row.key not in owners:
            changed.add(row.key)
        others = sorted(
            k
            for k in owners
            if k != row.key
            and k not in base
            and given_back.get(k) != row.key
            and now.get(k) != seen[_ROW + k]
        )
        if not others:
            continue
        shown_elsewhere += 1
        if entry is not None:
            into[row.key] = others[0]  # synced, and not showing its own values: pushing would be wrong
    return Deal(into, shown_elsewhere >= 2, frozenset(changed))


def remember(client: redis.Redis, connection_id: str, sheet: Iterable[SheetRow], synced: set[str]) -> None:
    """After a full run: the fingerprints of every row with values that no ledger entry knows."""
    fields: dict[str, str] = {}
    unsynced = [r for r in sheet if r.key not in synced and any(v is not None for v in r.values.values())]
    for row in unsynced if len(unsynced) <= MAX_ROWS else []:
        if whole := _whole(row):
            fields[_ROW + row.key] = whole
            fields.update((_PRINT + fingerprint, row.key) for fingerprint in _prints(row.values))
    pipe = client.pipeline()
    pipe.delete(keys.unsynced_seen(connection_id))
    if fields:
        pipe.hset(keys.unsynced_seen(connection_id), mapping=fields)
    pipe.execute()
