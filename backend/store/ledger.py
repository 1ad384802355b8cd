"""The ledger (last agreed state per row key) and each row's change history, in Redis.

Per connection:
- `ledger:{conn}`        hash  row key -> JSON {lead_id, contact_id, values, synced_at}
- `ledger-lead:{conn}`   hash  lead id -> row key   (which row shows a lead: webhook drains use it)
- `ledger-print:{conn}`  hash  fingerprint of the agreed values, and of them with one field left out
                         (`sync/moved.near_prints`) -> JSON list of the row keys whose values they are
                         (finds values that moved to another row without their key cells — a cut, a
                         sort of a range — even with one field changed since; identical rows share one)
- `ledger-inflight:{conn}` hash row key -> JSON {target: value} a run is writing into amoCRM, until the
                         row's entry settles: amoCRM showing them after the run failed (a timeout after
                         amoCRM applied the write) is that run's write, not a manager's change
- `ledger-answered:{conn}` hash row key -> JSON {target: value} an edit run asked the add-on to write into
                         the row (it writes them itself, no Sheets call): agreed once a run sees the row
                         show them, dropped when it does not
- `history:{conn}:{key}` list  newest first, capped: {at, source, direction, field, old, new, ...}

The ledger is the base of the three-way comparison and is only written for what succeeded (the
executor decides). It is rebuildable: lead ids live in the sheet and in amoCRM.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import redis

from backend.store import keys
from backend.sync.core.model import LedgerEntry, SheetRow
from backend.sync.core.moved import near_prints

HISTORY_LIMIT = 30
HISTORY_TTL_S = 120 * 86400  # a row untouched for four months forgets its history


def _encode(entry: LedgerEntry) -> str:
    return json.dumps(
        {
            "lead_id": entry.lead_id,
            "contact_id": entry.contact_id,
            "values": dict(entry.values),
            "synced_at": entry.synced_at,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _decode(raw: bytes | str) -> LedgerEntry:
    stored = json.loads(raw)
    return LedgerEntry(
        stored["lead_id"], stored.get("contact_id"), stored.get("values") or {}, stored.get("synced_at", 0.0)
    )


class Ledger:
    def __init__(self, client: redis.Redis, connection_id: str):
        self.client = client
        self.conn = connection_id
        self.key = keys.ledger(connection_id)
        self.lead_key = keys.ledger_lead(connection_id)
        self.print_key = keys.ledger_print(connection_id)
        self.inflight_key = keys.ledger_inflight(connection_id)
        self.answered_key = keys.ledger_answered(connection_id)

    def all(self) -> dict[str, LedgerEntry]:
        return {k.decode(): _decode(v) for k, v in self.client.hgetall(self.key).items()}

    def get_many(self, keys: Iterable[str]) -> dict[str, LedgerEntry]:
        keys = list(keys)
        if not keys:
            return {}
        return {k: _decode(v) for k, v in zip(keys, self.client.hmget(self.key, keys), strict=True) if v}

    def keys_for_leads(self, lead_ids: Iterable[int]) -> dict[int, str]:
        ids = [int(i) for i in lead_ids]
        if not ids:
            return {}
        found = self.client.hmget(self.lead_key, [str(i) for i in ids])
        return {i: k.decode() for i, k in zip(ids, found, strict=True) if k}

    def keys_for_prints(self, prints: Iterable[str]) -> dict[str, list[str]]:
        """Fingerprint (`moved.near_prints`) -> the row keys whose agreed values it is one of."""
        prints = sorted(set(prints))
        if not prints:
            return {}
        found = self.client.hmget(self.print_key, prints)
        return {fingerprint: json.loads(k) for fingerprint, k in zip(prints, found, strict=True) if k}

    def put_many(self, entries: Mapping[str, LedgerEntry]) -> None:
        if not entries:
            return
        old = self.get_many(entries.keys())
        moves = {
            k: (near_prints(old[k].values) if k in old else set(), near_prints(entry.values))
            for k, entry in entries.items()
        }
        prints = self.keys_for_prints(
            {fingerprint for was, now in moves.values() for fingerprint in was ^ now}
        )
        changed: set[str] = set()
        for key, (was, now) in moves.items():
            for fingerprint in sorted(was - now):
                if key in prints.get(fingerprint, []):
                    prints[fingerprint].remove(key)
                    changed.add(fingerprint)
            for fingerprint in sorted(now - was):
                prints.setdefault(fingerprint, [])
                if key not in prints[fingerprint]:
                    prints[fingerprint].append(key)
                    changed.add(fingerprint)
        # a few large commands, not one per entry and print: an import settles 10,000 entries at a time
        unlinked = [
            str(old[k].lead_id) for k, e in entries.items() if k in old and old[k].lead_id != e.lead_id
        ]
        kept = {fp: json.dumps(sorted(prints[fp])) for fp in sorted(changed) if prints[fp]}
        emptied = [fp for fp in sorted(changed) if not prints[fp]]
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(self.key, mapping={k: _encode(entry) for k, entry in entries.items()})
        if unlinked:
            pipe.hdel(self.lead_key, *unlinked)
        pipe.hset(self.lead_key, mapping={str(entry.lead_id): key for key, entry in entries.items()})
        if kept:
            pipe.hset(self.print_key, mapping=kept)
        if emptied:
            pipe.hdel(self.print_key, *emptied)
        pipe.execute()

    def put_inflight(self, writing: Mapping[str, Mapping[str, Any]]) -> None:
        """Before writing into amoCRM: what each row's write sets (kept until its entry settles)."""
        if writing:
            self.client.hset(
                self.inflight_key,
                mapping={k: json.dumps(dict(v), ensure_ascii=False) for k, v in writing.items()},
            )

    def inflight(self, keys_: Iterable[str]) -> dict[str, dict[str, Any]]:
        keys_ = list(keys_)
        if not keys_ or not self.client.exists(self.inflight_key):
            return {}
        raw = self.client.hmget(self.inflight_key, keys_)
        return {k: json.loads(v) for k, v in zip(keys_, raw, strict=True) if v is not None}

    def clear_inflight(self, keys_: Iterable[str]) -> None:
        if keys_ := list(keys_):
            self.client.hdel(self.inflight_key, *keys_)

    def put_answered(self, answered: Mapping[str, Mapping[str, Any]]) -> None:
        """After an edit run: the values (target -> canonical) it asked the add-on to write into each row
        (a new lead's name and stage, canonical forms), which the entry cannot take as agreed before
        anyone sees them land (`adopt_answered`)."""
        if answered:
            self.client.hset(
                self.answered_key,
                mapping={k: json.dumps(dict(v), ensure_ascii=False) for k, v in answered.items()},
            )

    def adopt_answered(
        self, rows: Iterable[SheetRow], base: Mapping[str, LedgerEntry]
    ) -> tuple[dict[str, LedgerEntry], dict[str, dict[str, Any]]]:
        """A run sees `rows`: where a row shows what an edit run asked the add-on to write, that is agreed
        now (written into the entry and returned in the base); what it does not show (the add-on could not
        write it, a person changed it, or the row's values were cut away since) stays unagreed, as before,
        and is returned apart — the row's values as they last were, to recognise them in another row.
        Either way the record goes. -> (base, row key -> values not shown)."""
        rows = [r for r in rows if r.key in base]
        if not rows or not self.client.exists(self.answered_key):
            return dict(base), {}
        raw = self.client.hmget(self.answered_key, [r.key for r in rows])
        adopted: dict[str, LedgerEntry] = {}
        unshown: dict[str, dict[str, Any]] = {}
        seen = []
        for row, value in zip(rows, raw, strict=True):
            if value is None:
                continue
            seen.append(row.key)
            answered = json.loads(value)
            shown = {t: v for t, v in answered.items() if row.values.get(t) == v}
            if len(shown) < len(answered):
                unshown[row.key] = {t: v for t, v in answered.items() if t not in shown}
            entry = base[row.key]
            if shown and any(entry.values.get(t) != v for t, v in shown.items()):
                adopted[row.key] = replace(entry, values={**entry.values, **shown})
        if adopted:
            self.put_many(adopted)
        if seen:
            self.client.hdel(self.answered_key, *seen)
        return {**base, **adopted}, unshown

    def count(self) -> int:
        return int(self.client.hlen(self.key))


class History:
    def __init__(self, client: redis.Redis, connection_id: str):
        self.client = client
        self.conn = connection_id

    def _key(self, row_key: str) -> str:
        return keys.history(self.conn, row_key)

    def record_many(
        self, events: Mapping[str, list[dict[str, Any]]] | Iterable[tuple[str, list[dict[str, Any]]]]
    ) -> None:
        """Append items to rows' histories, sent to Redis 1,000 rows at a time (a pipeline of every row
        of a 100,000-row import would be held in memory whole)."""
        pairs = events.items() if isinstance(events, Mapping) else events
        pipe = self.client.pipeline(transaction=False)
        for n, (row_key, items) in enumerate(pairs, 1):
            if not items:
                continue
            pipe.lpush(self._key(row_key), *[json.dumps(event, ensure_ascii=False) for event in items])
            pipe.ltrim(self._key(row_key), 0, HISTORY_LIMIT - 1)
            pipe.expire(self._key(row_key), HISTORY_TTL_S)
            if n % 1000 == 0:
                pipe.execute()
        pipe.execute()

    def of(self, row_key: str, limit: int = HISTORY_LIMIT) -> list[dict[str, Any]]:
        return [json.loads(x) for x in self.client.lrange(self._key(row_key), 0, limit - 1)]
