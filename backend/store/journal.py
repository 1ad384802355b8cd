"""The run journal in Redis (record types in `sync/core/journal.py`). Per connection:

- `journal:{conn}:runs`            sorted set  run id -> started_at (newest last)
- `journal:{conn}:run:{run}`       string      the run's meta (JSON)
- `journal:{conn}:changes:{run}`   list        the run's changes, in order, each a compact JSON array
- `journal:{conn}:health`          hash        amo_answered_at: when amoCRM last answered a run

Names from `store/keys.py`; every key names the connection, so a disconnect's erase removes them all.
Bounded: runs live RETENTION_S (every key expires), a connection keeps at most MAX_RUNS runs and
MAX_STORED changes over all of them (the oldest runs go first), and a run keeps at most MAX_CHANGES
changes (its meta says when more were made).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Set
from typing import Any

import redis

from backend.store import keys
from backend.sync.core.journal import TRIGGERS, Change, RunMeta, Tally, changes, new_run_id
from backend.sync.core.model import Plan

RETENTION_S = 30 * 86400
MAX_RUNS = 200  # per connection: a week of busy edits; older runs go before 30 days are up
MAX_CHANGES = 20_000  # per run: an import of more rows keeps its first changes and says it was cut
MAX_STORED = 100_000  # per connection, over all its runs: older runs go first
_BATCH = 1000  # changes per RPUSH: bounded commands


def _dumps(x: Any) -> str:
    return json.dumps(x, ensure_ascii=False, separators=(",", ":"))


class Journal:
    def __init__(
        self,
        client: redis.Redis,
        connection_id: str,
        *,
        max_runs: int = MAX_RUNS,
        max_changes: int = MAX_CHANGES,
        max_stored: int = MAX_STORED,
    ):
        self.client = client
        self.conn = connection_id
        self.max_runs, self.max_changes, self.max_stored = max_runs, max_changes, max_stored
        self.runs_key = keys.journal_runs(connection_id)
        self.health_key = keys.journal_health(connection_id)

    def _meta_key(self, run_id: str) -> str:
        return keys.journal_run(self.conn, run_id)

    def _changes_key(self, run_id: str) -> str:
        return keys.journal_changes(self.conn, run_id)

    # --- writing ---------------------------------------------------------------------------------

    def put(self, meta: RunMeta, changes: Iterable[Change]) -> None:
        """Store a run: changes first (up to max_changes), then the meta, then its place in the list —
        a run is listed only once it is whole."""
        writer = self.writer(meta.run_id)
        writer.add(changes)
        writer.finish(meta)

    def writer(self, run_id: str) -> RunWriter:
        """A run's changes as they come, then its meta (a first import adds a batch of rows at a time)."""
        return RunWriter(self, run_id)

    def _trim(self, now: float) -> None:
        """Forget runs past retention or beyond max_runs (the list's entries and their keys)."""
        old = [x.decode() for x in self.client.zrangebyscore(self.runs_key, 0, now - RETENTION_S)]
        extra = self.client.zcard(self.runs_key) - len(old) - self.max_runs
        if extra > 0:
            old += [x.decode() for x in self.client.zrange(self.runs_key, len(old), len(old) + extra - 1)]
        old += self._over_budget(set(old))
        if not old:
            return
        pipe = self.client.pipeline(transaction=True)
        pipe.zrem(self.runs_key, *old)
        for run_id in old:
            pipe.delete(self._meta_key(run_id), self._changes_key(run_id))
        pipe.execute()

    def _over_budget(self, going: set[str]) -> list[str]:
        """Runs past the connection's budget of stored changes, oldest first (the newest always stays)."""
        newest = [x.decode() for x in self.client.zrevrange(self.runs_key, 0, -1)]
        newest = [r for r in newest if r not in going]
        pipe = self.client.pipeline(transaction=False)
        for run_id in newest:
            pipe.llen(self._changes_key(run_id))
        total, over = 0, []
        for n, (run_id, size) in enumerate(zip(newest, pipe.execute(), strict=True)):
            total += size
            if n and total > self.max_stored:
                over.append(run_id)
        return over

    def amo_answered(self, at: float) -> None:
        pipe = self.client.pipeline(transaction=False)
        pipe.hset(self.health_key, "amo_answered_at", at)
        pipe.expire(self.health_key, RETENTION_S)
        pipe.execute()

    # --- reading ---------------------------------------------------------------------------------

    def runs(self, limit: int = 50, before: str | None = None) -> list[RunMeta]:
        """Newest first; `before` (a run id) pages on to older runs."""
        upper = "+inf"
        if before is not None:
            score = self.client.zscore(self.runs_key, before)
            if score is None:
                return []
            upper = f"({score}"
        ids = [
            x.decode() for x in self.client.zrevrangebyscore(self.runs_key, upper, "-inf", start=0, num=limit)
        ]
        if not ids:
            return []
        raws = self.client.mget([self._meta_key(r) for r in ids])
        return [RunMeta.from_json(json.loads(raw)) for raw in raws if raw]

    def run(self, run_id: str) -> RunMeta | None:
        raw = self.client.get(self._meta_key(run_id))
        return RunMeta.from_json(json.loads(raw)) if raw else None

    def changes(self, run_id: str, offset: int = 0, limit: int = 500) -> list[Change]:
        raw = self.client.lrange(self._changes_key(run_id), offset, offset + limit - 1)
        return [Change.from_row(json.loads(x)) for x in raw]

    def amo_answered_at(self) -> float | None:
        raw = self.client.hget(self.health_key, "amo_answered_at")
        return float(raw) if raw else None


class RunWriter:
    """Changes are stored as they are added, each push with the retention expiry (a run that dies half
    way leaves nothing for good); the run is listed only by `finish`."""

    def __init__(self, journal: Journal, run_id: str):
        self.journal, self.key = journal, journal._changes_key(run_id)
        self.stored = self.total = 0
        journal.client.delete(self.key)

    def add(self, changes: Iterable[Change]) -> None:
        batch: list[str] = []
        for change in changes:
            self.total += 1
            if self.stored >= self.journal.max_changes:
                continue
            batch.append(_dumps(change.to_row()))
            self.stored += 1
            if len(batch) >= _BATCH:
                self._push(batch)
                batch = []
        if batch:
            self._push(batch)

    def _push(self, batch: list[str]) -> None:
        pipe = self.journal.client.pipeline(transaction=False)
        pipe.rpush(self.key, *batch)
        pipe.expire(self.key, RETENTION_S)
        pipe.execute()

    def finish(self, meta: RunMeta) -> None:
        journal = self.journal
        meta.changes, meta.truncated = self.total, self.total > self.stored
        pipe = journal.client.pipeline(transaction=True)
        pipe.expire(self.key, RETENTION_S)
        pipe.set(journal._meta_key(meta.run_id), _dumps(meta.to_json()), ex=RETENTION_S)
        pipe.zadd(journal.runs_key, {meta.run_id: meta.started_at})
        pipe.expire(journal.runs_key, RETENTION_S)
        pipe.execute()
        journal._trim(meta.finished_at)


class RunRecord:
    """One run's journal, fed a plan at a time as the run goes (a first import runs in batches of rows):
    `add` after each plan both sides took, `finish` once. `record_run` is the one-plan case."""

    def __init__(
        self,
        client: redis.Redis,
        parts: Any,
        kind: str,
        started_at: float,
        *,
        undo_of: str = "",
        kept: list[dict[str, Any]] | None = None,
    ):
        self.parts, self.kind, self.started_at = parts, kind, started_at
        self.undo_of, self.kept = undo_of, list(kept or [])
        self.run_id = new_run_id(started_at)
        self.journal = Journal(client, parts.conn.id)
        self.writer = self.journal.writer(self.run_id)
        self.tally = Tally(errors=0)

    def add(
        self,
        plan: Plan,
        out: Any,
        sheet_before: Mapping[str, Mapping[str, Any]],
        amo_before: Mapping[int, Mapping[str, Any]],
        written: Set[str],
    ) -> None:
        """`sheet_before`: row key -> the row's values as read; `amo_before`: lead id -> its values."""
        items = changes(
            self.kind, plan, out.failed, out.lead_ids, out.contact_ids, written, sheet_before, amo_before
        )
        self.writer.add(self.tally.feed(items))

    def finish(self, result: Mapping[str, int]) -> str:
        now = time.time()
        counts = self.tally.counts  # complete: every change has streamed past
        counts["errors"] = int(result.get("failed", 0)) + int(result.get("errors", 0))
        counts["healed"] = int(result.get("healed", 0))
        meta = RunMeta(
            run_id=self.run_id,
            connection_id=self.parts.conn.id,
            trigger=TRIGGERS.get(self.kind, self.kind),
            started_at=self.started_at,
            finished_at=now,
            counts=counts,
            undo_of=self.undo_of,
            kept=self.kept,
        )
        meta.counts.update({k: int(result[k]) for k in ("restored", "kept", "leads_kept") if k in result})
        self.writer.finish(meta)
        if self.parts.amo.stats.calls:
            self.journal.amo_answered(now)
        return meta.run_id


def record_run(
    client: redis.Redis,
    parts: Any,
    kind: str,
    plan: Plan,
    out: Any,
    rows: Iterable[Any],
    leads: Mapping[int, Any],
    written: Set[str],
    result: Mapping[str, int],
    started_at: float,
    *,
    undo_of: str = "",
    kept: list[dict[str, Any]] | None = None,
) -> str:
    """The hook `run.py` calls once a run wrote both sides: journal it; return the run's id.
    `parts` is the run's `Parts`, `out` the executor's `ExecutionResult`, `rows` the sheet rows as read and
    `leads` amoCRM's leads as read (their values are the fields' values before the run)."""
    record = RunRecord(client, parts, kind, started_at, undo_of=undo_of, kept=kept)
    record.add(
        plan, out, {r.key: r.values for r in rows}, {i: lead.values for i, lead in leads.items()}, written
    )
    return record.finish(result)
