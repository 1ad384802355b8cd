"""The values of unsynced rows (an error, or not yet created) as the last full run saw them, kept as
fingerprints, so that a later run can tell when they turn up in a synced row.

A range sorted without the sync's columns deals every row's values to another row's key cells. The
ledger finds a synced row's values again wherever they went (sync/core/moved.py), but it knows nothing
of an unsynced row's: a synced row dealt those, with its own values nowhere (the row holding them was
deleted, or edited since), looked like a person's edit of that lead — and pushed another row's data
into it. With these fingerprints such a row is seen for what it is: a synced row showing an unsynced
row's last values, within one field, while that row shows something else now.

Bounded by `MAX_ROWS` (a sheet with thousands of unsynced rows is an import in progress, not a sort).
While a run finds such a row, the fingerprints are kept as they were (else the next run would take the
dealt values for the rows' own and push them); they are replaced by the first full run that finds none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import redis

from backend.store import keys
from backend.sync.core.model import LedgerEntry, SheetRow, digest, encoded_items
from backend.sync.core.moved import agreement, near_prints

MAX_ROWS = 2000
_ROW = "row:"  # row key -> the fingerprint of all its values
_PRINT = "print:"  # near fingerprint -> row key


def _whole(row: SheetRow) -> str:
    return digest(encoded_items(row.values)) or ""


def dealt_into_synced(
    client: redis.Redis,
    connection_id: str,
    sheet: Iterable[SheetRow],
    base: Mapping[str, LedgerEntry],
    given_back: Mapping[str, str],
) -> dict[str, str]:
    """Synced row key -> the unsynced row whose last seen values (within one field) it shows instead of
    its own, while that row shows other values now or is gone. `given_back` (a row's old key -> the key
    this run gave it back, snapshot.SheetSide.rekeyed): such a row is that unsynced row, not another."""
    seen = {k.decode(): v.decode() for k, v in client.hgetall(keys.unsynced_seen(connection_id)).items()}
    if not seen:
        return {}
    rows = list(sheet)
    now = {r.key: _whole(r) for r in rows}
    found = {}
    for row in rows:
        entry = base.get(row.key)
        if entry is None or agreement(row.values, entry.values)[1] == 0:
            continue  # not synced, or showing its own values: nothing would be pushed
        for fingerprint in near_prints(row.values):
            other = seen.get(_PRINT + fingerprint)
            if (
                other
                and other not in base
                and given_back.get(other) != row.key
                and now.get(other) != seen.get(_ROW + other)
            ):
                found[row.key] = other
                break
    return found


def remember(client: redis.Redis, connection_id: str, sheet: Iterable[SheetRow], synced: set[str]) -> None:
    """After a full run: the fingerprints of every row with values that no ledger entry knows."""
    fields: dict[str, str] = {}
    unsynced = [r for r in sheet if r.key not in synced and any(v is not None for v in r.values.values())]
    for row in unsynced if len(unsynced) <= MAX_ROWS else []:
        if whole := _whole(row):
            fields[_ROW + row.key] = whole
            fields.update((_PRINT + fingerprint, row.key) for fingerprint in near_prints(row.values))
    pipe = client.pipeline()
    pipe.delete(keys.unsynced_seen(connection_id))
    if fields:
        pipe.hset(keys.unsynced_seen(connection_id), mapping=fields)
    pipe.execute()
