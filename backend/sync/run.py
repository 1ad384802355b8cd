"""One sync run for one connection: read both sides -> plan -> guards -> execute -> write back.

Every job (full sync, preview, sheet edits, amoCRM changes, reconcile) is a `run_sync` with a different
scope, under the connection's Redis lock, so two runs never interleave their writes to one sheet.

Sheets calls per run: 1 read of every connection column; +1 read and +1 write when rows had no key yet
(keys are written before any amoCRM write, where the rows sit right then); at the end 1 re-read of the
columns to be written (every cell goes where its column and its row are now) and 1 write. An amoCRM run
whose read is seconds old writes against that read instead of re-reading: 1 read and 1 write. A first
import of more than IMPORT_BATCHED_ABOVE rows writes back once per batch: +1 read and +1 write a batch.
amoCRM calls: leads and contacts by id (250 per call), then writes (250 per call).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from backend.amocrm import account as amo_account
from backend.amocrm.client import AmoClient
from backend.errors import AppError, Code
from backend.services import Services
from backend.sheets.client import SheetsClient
from backend.sheets.layout import Table, read_table
from backend.store import keys, locks
from backend.store.connections import Account, Connection
from backend.store.contact_directory import ContactDirectory
from backend.store.journal import RunRecord
from backend.store.ledger import Ledger
from backend.sync import columns, unsynced
from backend.sync.core.batches import contact_batches
from backend.sync.core.fields import Context
from backend.sync.core.mapping import ColumnMapping
from backend.sync.core.model import AmoLead, LedgerEntry, Outcome, Plan, SheetRow
from backend.sync.core.moved import (
    agreement,
    changed_in_several,
    far_prints,
    find_moved,
    moved_away_rows,
    near_prints,
    shuffled_rows,
)
from backend.sync.core.planner import PlanInput, plan
from backend.sync.executor import ExecutionResult, Executor, Progress
from backend.sync.intents import Intents, row_of
from backend.sync.snapshot import AmoSide, amo_side, place_keys, sheet_rows
from backend.sync.writeback import Writeback, ranges

log = logging.getLogger(__name__)

CONNECTION_COLUMNS_EXTRA = ("key", "lead_id", "link", "sync")


class NotReady(AppError, status=409, code=Code.NOT_CONNECTED):
    pass


@dataclass
class Report:
    kind: str
    status: str = "finished"  # finished | waiting_confirmation | preview
    preview: dict[str, int] = field(default_factory=dict)
    result: dict[str, int] = field(default_factory=dict)
    guards: list[dict] = field(default_factory=list)
    amo_calls: int = 0
    sheets_calls: int = 0
    duration_ms: int = 0
    phases_ms: dict[str, int] = field(default_factory=dict)  # time spent in each progress phase

    def to_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


def sheets_client(svc: Services, web_share: str = "") -> SheetsClient:
    """The Sheets client under this deployment's quota; `web_share`: a web request's (SheetsClient.build)."""
    settings = svc.settings
    return SheetsClient.build(
        endpoint=settings.sheets_api_endpoint,
        client=svc.redis,
        reads_per_minute=settings.sheets_reads_per_minute,
        writes_per_minute=settings.sheets_writes_per_minute,
        web_share=web_share,
    )


@dataclass
class Parts:
    conn: Connection
    account: Account
    mapping: ColumnMapping
    ctx: Context
    amo: AmoClient
    sheets: SheetsClient


def parts(svc: Services, connection_id: str) -> Parts:
    tenants = amo_account.tenants(svc)
    conn = tenants.get(connection_id)
    if conn is None:
        raise NotReady(f"connection {connection_id} does not exist")
    if not conn.account_id or (account := tenants.account(conn.account_id)) is None:
        raise NotReady("connect amoCRM first")
    if not conn.mapping:
        raise NotReady("save a column mapping first")
    amo = amo_account.client_for(svc, account)
    catalog = amo_account.catalog(svc, account, amo)
    mapping = ColumnMapping.from_json(conn.mapping)
    ctx = Context(catalog, mapping.pipeline_id, svc.settings.default_phone_region)
    return Parts(conn, account, mapping, ctx, amo, sheets_client(svc))


def _columns(mapping: ColumnMapping) -> list[str]:
    return [*CONNECTION_COLUMNS_EXTRA, *(c.column for c in mapping.columns)]


def edited_times(svc: Services, connection_id: str) -> dict[str, float]:
    return {k.decode(): float(v) for k, v in svc.redis.hgetall(keys.edited_at(connection_id)).items()}


def _write_new_keys(
    p: Parts, table: Table, keys: dict[int, str], cleared: set[int], held: dict[int, str]
) -> None:
    """Keys (and, for a copy of a synced row, empty lead id and link cells; for a row held, its status)
    at the row positions of `table`, which was read right before this write."""
    data = ranges(table, "key", keys) + ranges(table, "sync", held)
    for column in ("lead_id", "link"):
        data += ranges(table, column, dict.fromkeys(cleared, ""))
    p.sheets.update_values(p.conn.spreadsheet_id, data)


def _with_keys(table: Table, keys: dict[int, str], cleared: set[int], held: dict[int, str]) -> Table:
    """The table as it must read back after `keys` were written and nothing else changed — then the
    rows parsed before are still right and 10,000 rows need not be parsed twice."""
    cells = dict(table.cells)
    for column, values in (
        ("key", keys),
        ("lead_id", dict.fromkeys(cleared, "")),
        ("link", dict.fromkeys(cleared, "")),
        ("sync", held),
    ):
        if not values:
            continue
        col = list(cells.get(column, []))
        col += [""] * (max(values) - len(col))
        for row_index, value in values.items():
            col[row_index - 1] = value
        cells[column] = col
    return replace(table, cells=cells, row_count=max(table.row_count, *(len(c) for c in cells.values())))


def _stop_for_layout(p: Parts, table: Table, scope: set[str] | None, preview: bool) -> None:
    """A sheet missing a column the run needs stops here, before any write: the rows in scope say why in
    their status cell (when that column is there), and the run ends with the same sentence."""
    try:
        columns.check(table, p.mapping)
    except columns.SheetLayoutChanged as exc:
        if not preview and {"key", "sync"} <= set(table.positions):
            message = f"⚠ {exc.extra['problems'][0]} {columns.NOTHING_SYNCED}"
            rows = {
                i + 1: message
                for i, k in enumerate(table.cells.get("key", []))
                if str(k).strip()
                and (scope is None or str(k).strip() in scope)
                and str(table.cell("sync", i)) != message
            }
            if rows:
                p.sheets.update_values(p.conn.spreadsheet_id, ranges(table, "sync", rows))
        raise


class PhaseTimer:
    """A Progress that passes every call on and measures how long each phase took (for the report,
    the logs and `make bench`: where a run's time goes)."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.phases: dict[str, float] = {}
        self._phase, self._since = "", time.monotonic()

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase != self._phase:
            self.finish()
            self._phase, self._since = phase, time.monotonic()
        self.progress(phase, done, total)

    def finish(self) -> dict[str, int]:
        now = time.monotonic()
        if self._phase:
            self.phases[self._phase] = self.phases.get(self._phase, 0.0) + now - self._since
        self._since = now
        return {k: round(v * 1000) for k, v in self.phases.items()}


def run_sync(
    svc: Services,
    connection_id: str,
    *,
    kind: str,
    preview: bool = False,
    confirm: bool = False,
    keys: Iterable[str] | None = None,
    lead_ids: Iterable[int] = (),
    contact_ids: Iterable[int] = (),
    progress: Progress = lambda phase, done, total: None,
    journal_kind: str | None = None,
) -> Report:
    """`journal_kind`: what started the run, for its journal, when the run's own kind says less (a
    reconcile that only had amoCRM's changes to look at runs as kind "amo")."""
    started = time.monotonic()
    timer = PhaseTimer(progress)
    with locks.hold(
        svc.redis, locks.connection_lock_name(connection_id), ttl_s=locks.CONNECTION_LOCK_TTL_S, wait_s=600
    ):
        timer("starting", 0, 1)
        p = parts(svc, connection_id)
        report = _run_sync_locked(
            svc,
            p,
            kind,
            preview,
            confirm,
            keys,
            set(lead_ids),
            set(contact_ids),
            timer,
            journal_kind=journal_kind,
        )
    report.phases_ms = timer.finish()
    report.amo_calls = p.amo.stats.calls
    report.sheets_calls = p.sheets.total_calls
    report.duration_ms = int((time.monotonic() - started) * 1000)
    if report.status == "finished" and not preview:
        amo_account.tenants(svc).set_fields(connection_id, last_sync={"at": time.time(), **report.to_json()})
    return report


def _run_sync_locked(
    svc, p: Parts, kind, preview, confirm, keys, lead_ids, contact_ids, progress, journal_kind=None
) -> Report:
    started_at = time.time()  # the run's wall-clock start, for its journal
    cid = p.conn.id
    ledger, intents = Ledger(svc.redis, cid), Intents(svc.redis, cid)
    report = Report(kind)
    if not preview:
        _adopt_pending(p, ledger, intents)
    scope = _scope(kind, keys, lead_ids, contact_ids, ledger)  # from the ledger alone: no sheet needed
    known_leads: dict[int, dict] = {}
    if kind == "amo" and not preview:
        echo = _amo_echo(p, ledger, scope or set(), progress)
        if isinstance(echo, Report):
            return echo
        known_leads = echo
    progress("reading the sheet", 0, 1)
    table = read_table(p.sheets, p.conn.spreadsheet_id, p.conn.sheet_id, _columns(p.mapping))
    read_at = time.monotonic()
    _stop_for_layout(p, table, scope, preview)
    side = sheet_rows(table, p.mapping, p.ctx, edited_times(svc, cid), ledger=ledger)
    given_back = dict(side.rekeyed)  # the re-read below no longer sees the keys these rows had
    keyed_now: set[str] = set()
    if (side.new_keys or side.cleared or side.held) and not preview:
        # Keys go in before any amoCRM write (a created lead is never orphaned), at positions read again
        # right now: a sort since the first read must not put a key on another row.
        now = read_table(p.sheets, p.conn.spreadsheet_id, p.conn.sheet_id, _columns(p.mapping))
        read_at = time.monotonic()
        _stop_for_layout(p, now, scope, preview)
        placed, cleared, held = place_keys(table, now, side)
        unchanged = now == table and placed == side.new_keys and cleared == side.cleared
        table = _with_keys(now, placed, cleared, held)  # the first read goes: one sheet held, not two
        if placed or cleared or held:
            _write_new_keys(p, now, placed, cleared, held)
        keyed_now = set(placed.values())
        if not unchanged:  # the sheet changed meanwhile: parse what it holds now
            side = sheet_rows(table, p.mapping, p.ctx, edited_times(svc, cid), ledger=ledger, mint=False)
        del now
    fresh = table if kind == "amo" else None  # small runs the quota is short for: see Writeback.fresh
    table = table.layout()  # the rows live on in `side`; the raw cells are not needed again
    full_scan = kind in ("full", "reconcile")
    if scope is not None:
        scope |= keyed_now  # rows a person added that the trigger did not key: sync them now, whatever ran
    rows = side.rows if scope is None else [r for r in side.rows if r.key in scope]
    base = ledger.all() if full_scan else ledger.get_many(r.key for r in rows)
    if scope is not None:
        base.update(ledger.get_many(k for k in scope if k not in base))
    unshown: dict[str, dict] = {}
    if not preview:  # values an edit run's answer wrote into rows this run sees are agreed now
        base, unshown = ledger.adopt_answered(side.rows, base)
    progress("reading amoCRM", 0, 1)
    directory = ContactDirectory(svc.redis, p.account.id, p.ctx.region, connection_id=cid)
    known, synthesized = (known_leads, {}) if kind != "reconcile" else _reconcile_delta(svc, p, base)
    amo = amo_side(
        p.amo,
        p.mapping,
        p.ctx,
        rows,
        {k: entry for k, entry in base.items() if entry.lead_id not in synthesized},
        directory,
        known,
    )
    amo.leads.update(synthesized)
    in_scope = {r.key for r in rows}
    # new rows out of this run's scope still count: a synced row whose values were cut into one is held
    others = [] if scope is None else [r for r in side.rows if r.lead_id is None and r.key not in in_scope]
    # a row that no longer shows what an edit run's answer wrote into it (its values cut away since) is
    # still recognised by them in another row
    compared = {
        k: replace(e, values={**e.values, **unshown[k]}) if k in unshown else e for k, e in base.items()
    }
    if scope is not None:
        # the run read every row: a synced row out of its scope may show a scoped row's values (a range
        # sorted under both), or a scoped row another's — even one changed in a single cell since, which
        # alone reads as an edit — and only comparing those rows finds it
        outside = [r for r in side.rows if r.lead_id is not None and r.key not in in_scope]
        compared |= ledger.get_many(r.key for r in outside)
        others += [r for r in outside if _changed_fields(r, compared) >= 1]
    moved, scrambled = _moved_values(
        ledger, side.rows, [*rows, *others], compared, unseen_emptied=side.held_emptied
    )
    present = {r.key: r for r in side.rows}
    dealt = any((src_row := present.get(src)) is None or not _emptied(src_row) for src in moved.values())
    # rows showing unsynced rows' last values: the ledger cannot know those (sync/unsynced.py)
    # a scoped run that read the sheet looks too (an amoCRM change to a lead whose row a sort dealt an
    # unsynced row's values must not push those)
    deal = (
        unsynced.dealt(svc.redis, cid, side.rows, base if full_scan else compared, given_back | side.rekeyed)
        if full_scan or scope is not None
        else unsynced.Deal()
    )
    scrambled |= {k: "" for k in deal.into_synced if k not in scrambled}
    if deal.sorted:  # unsynced rows dealt other values: never created from what a sort gave them
        scrambled |= {k: "" for k in deal.changed if k not in scrambled}
    if (
        scrambled or dealt or deal.sorted
    ):  # a range was sorted without the key columns (or a synced row's values turned
        # up in another row while its own row is gone or shows other values: a sort, not a cut into a new
        # row): rows edited in several cells since may be among the sorted ones, out of recognition, and
        # so are changed rows whose values another row shows now (the other half of a swap) — held with
        # them until the sort is undone
        shown = set(scrambled.values())
        scrambled |= {
            r.key: ""
            for r in rows
            if r.key not in scrambled
            and (_changed_fields(r, base) >= 2 or (r.key in shown and _changed_fields(r, base) >= 1))
        }
    scrambled |= {k: "" for k in shuffled_rows(rows, base) if k not in scrambled}
    if not preview:
        moved = _remembered_moves(svc, cid, ledger, side.rows, moved)
    base = writes_amocrm_took(ledger, base, amo)
    batches = [rows]
    if len(rows) > IMPORT_BATCHED_ABOVE and full_scan and not base and not moved and not scrambled:
        if all(r.lead_id is None for r in rows):  # a first import: every row is new
            batches = contact_batches(rows, IMPORT_BATCH_ROWS)
    keep_seen = full_scan and not deal.into_synced and not deal.sorted  # else the evidence stays as it was
    if keep_seen and not preview:  # before any write: a run failing half way must not lose what it saw
        unsynced.remember(svc.redis, cid, side.rows, set(base))
    record = RunRecord(svc.redis, p, journal_kind or kind, started_at)
    created: set[str] = set()
    result: dict[str, int] = {}
    for n, batch in enumerate(batches):
        step = _BatchProgress(progress, n, len(batches))
        step("planning", 0, 1)
        the_plan = plan(
            plan_input(
                svc,
                p,
                batch,
                amo,
                base,
                full_scan=full_scan,
                synced_rows=len(base) if full_scan else ledger.count(),
                moved=moved,
                scrambled=scrambled,
                held=side.held_keys,
            )
        )
        _add(report.preview, _counts(the_plan))
        report.guards = _guards(report.guards, the_plan)
        if preview:
            continue
        if the_plan.needs_confirmation and not confirm:  # every kind of run: edits too
            report.status = "waiting_confirmation"  # a batch of a first import never trips one
            break
        executor = Executor(p.amo, p.ctx, p.mapping, ledger, intents, directory, amo, step, previous=base)
        out = executor.run(the_plan)
        _remember_deleted(svc, cid, the_plan)
        created |= out.lead_ids.keys()
        now = time.time()
        if fresh is not None and time.monotonic() - read_at > FRESH_READ_S:
            fresh = None
        writeback = Writeback.for_run(svc.redis, p, table, kind, fresh)
        step("writing the sheet", 0, 1)
        written = writeback.write(the_plan, out, now)
        _settle_sheet_fields(ledger, the_plan, out, writeback.written)
        step("recording history", 0, 1)
        sheet_before = {r.key: r.values for r in batch}
        amo_before = {i: lead.values for i, lead in amo.leads.items()}
        writeback.record(the_plan, out, now, sheet_before, amo_before)
        record.add(the_plan, out, sheet_before, amo_before, writeback.written)
        _add(result, {**out.counts, "failed": len(out.failed), "cells_written": written})
        if (journal_kind or kind) == "reconcile":
            _add(result, {"healed": len(the_plan.actions)})
        del the_plan, out, writeback
    if preview:
        report.status = "preview"
        return report
    if report.status == "waiting_confirmation" and not result:
        return report  # nothing was written
    if keep_seen and created:  # the rows that got a lead are no longer unsynced (else: as remembered)
        unsynced.remember(svc.redis, cid, side.rows, set(base) | created)
    report.result = {**report.preview, **result}
    if full_scan and report.status == "finished":
        _advance_cursor(svc, p, amo.raw_leads)
    record.finish(report.result)
    progress("done", 1, 1)
    return report


# A first import of more rows than IMPORT_BATCHED_ABOVE plans, writes and records IMPORT_BATCH_ROWS at a
# time (sync/core/batches.py): the worker's memory follows the batch, not the sheet. Smaller imports
# fit whole, and each batch costs a Sheets read and write of its own.
IMPORT_BATCHED_ABOVE = 20_000
IMPORT_BATCH_ROWS = 5000


class _BatchProgress:
    """Progress of batch n of a batched import, as one bar: each phase's count runs over all batches."""

    def __init__(self, progress: Progress, n: int, batches: int):
        self.progress, self.n, self.batches = progress, n, batches

    def __call__(self, phase: str, done: int, total: int) -> None:
        if self.batches == 1:
            self.progress(phase, done, total)
        else:
            self.progress(phase, self.n * total + done, self.batches * total)


def _add(into: dict[str, int], counts: Mapping[str, int]) -> None:
    for name, value in counts.items():
        into[name] = into.get(name, 0) + value


def _guards(before: list[dict], the_plan: Plan) -> list[dict]:
    """The guards of a run planned in batches: a guard tripped by any batch is tripped."""
    now = [g.__dict__ for g in the_plan.guards]
    if not before:
        return now
    return [b if b["tripped"] or not n["tripped"] else n for b, n in zip(before, now, strict=True)]


# An amoCRM run writes against its own read while that read is younger than this (Writeback.fresh).
FRESH_READ_S = 5.0

ECHO_CHUNK = 2500  # leads compared at a time: the echo of a 100,000-row import is never held whole


def _amo_echo(p: Parts, ledger: Ledger, scope: set[str], progress: Progress) -> Report | dict[int, dict]:
    """amoCRM's webhooks announce our own writes too. When every changed lead (and its main contact)
    still holds exactly what its row's base holds, the change is an echo and the sheet has nothing to
    learn: answer without reading the sheet — a Sheets read per echo would spend the service account's
    60 reads a minute on nothing. Leads are compared ECHO_CHUNK at a time; at the first real change the
    chunk's leads are returned for the full run, which fetches the rest."""
    base = ledger.get_many(scope)
    report = Report("amo", result={"rows": len(base), "unchanged": len(base), "echo": 1})
    targets = [c.target for c in p.mapping.columns]
    items = list(base.items())
    for start in range(0, len(items), ECHO_CHUNK):
        progress("reading amoCRM", start, len(items))
        chunk = dict(items[start : start + ECHO_CHUNK])
        amo = amo_side(p.amo, p.mapping, p.ctx, [], chunk, None)
        for entry in chunk.values():
            lead = amo.leads.get(entry.lead_id)
            if (
                lead is None
                or lead.contact_id != entry.contact_id
                or any(t not in entry.values or lead.values.get(t) != entry.values[t] for t in targets)
            ):
                return amo.raw_leads
    progress("done", 1, 1)
    return report  # also when no row of this sheet shows these leads (rows being keyed sync on their own)


def _moved_values(
    ledger: Ledger,
    sheet: list[SheetRow],
    rows: list[SheetRow],
    base: dict[str, LedgerEntry],
    whole_sheet: bool = True,
    unseen_emptied: Iterable[str] = (),
) -> tuple[dict[str, str], dict[str, str]]:
    """Rows holding another synced row's agreed values (`sync/core/moved.py`), found through the ledger's
    index of near fingerprints: one read of the index, one of the candidates' entries."""
    synced = ledger.count()
    # invalid cells count as empty: still found; with nothing synced yet the index has nothing to find
    near = {r.key: near_prints(r.values) for r in rows} if synced else {}
    fresh = [r for r in rows if r.lead_id is None and r.key not in base]
    if (
        whole_sheet
        and len(fresh) <= MAX_CUT_SOURCES
        and synced > sum(1 for r in sheet if r.lead_id is not None)
    ):
        # synced rows gone from the sheet (deleted, or their values cut into a new row): a few new rows
        # are also looked up two fields off — a field held in conflict has no agreed value in the entry
        for r in fresh:
            near[r.key] |= far_prints(r.values)
    owners = ledger.keys_for_prints(set().union(*near.values())) if near else {}
    candidates = {
        key: {k for fingerprint in prints for k in owners.get(fingerprint, ()) if k != key}
        for key, prints in near.items()
    }
    new = [r.key for r in rows if r.lead_id is None and r.key not in base]
    bases = dict(base)
    if whole_sheet and new:  # sources of a cut, even when its values changed since: rows that moved away
        keyed = [r.key for r in sheet if r.lead_id is not None and r.key not in bases]
        bases |= ledger.get_many(keyed) if keyed else {}
        sources = [*moved_away_rows(sheet, bases), *unseen_emptied]
        if 0 < len(sources) <= MAX_CUT_SOURCES:
            for key in new:
                candidates.setdefault(key, set()).update(sources)
    candidates = {key: others for key, others in candidates.items() if others}
    if not candidates:
        return {}, {}
    need = (set(candidates) | set().union(*candidates.values())) - bases.keys()
    bases |= ledger.get_many(sorted(need)) if need else {}
    return find_moved(sheet, rows, bases, candidates, whole_sheet, unseen_emptied)


def writes_amocrm_took(ledger: Ledger, base: dict[str, LedgerEntry], amo: AmoSide) -> dict[str, LedgerEntry]:
    """Values a failed run was writing (a timeout after amoCRM applied them) that amoCRM shows now are
    that run's writes, no one's change: they join the rows' base, here and in the ledger — else a
    person's later edit back to the old value would lose to them as "changed in amoCRM"."""
    pending = ledger.inflight(base)
    took: dict[str, LedgerEntry] = {}
    for key, values in pending.items():
        entry = base[key]
        lead = amo.leads.get(entry.lead_id)
        shown = {
            t: v for t, v in values.items() if lead is not None and t in lead.values and lead.values[t] == v
        }
        if shown:
            took[key] = replace(entry, values={**entry.values, **shown})
    if took:
        ledger.put_many(took)
    ledger.clear_inflight(pending)
    return {**base, **took}


def _changed_fields(row: SheetRow, base: dict[str, LedgerEntry]) -> int:
    entry = base.get(row.key)
    return agreement(row.values, entry.values)[1] if entry is not None else 0


MAX_CUT_SOURCES = 100  # rows moved away compared with every new row; more is no cut but a busy sheet


def moved_rows_key(connection_id: str) -> str:
    return keys.moved_rows(connection_id)


def _remembered_moves(
    svc: Services, connection_id: str, ledger: Ledger, sheet: list[SheetRow], moved: dict[str, str]
) -> dict[str, str]:
    """A row once found holding a synced row's values stays held, whatever is typed into it since, until
    its key cells come back (or it is cleared, deleted, or the synced row shows its values again): the
    person was told, and more edits must not turn it into a second lead for the same data. When it is
    deleted or cleared while the synced row still shows other values, that row stays held instead."""
    name = moved_rows_key(connection_id)
    known = {k.decode(): v.decode() for k, v in svc.redis.hgetall(name).items()}
    if not known and not moved:
        return moved
    present = {r.key: r for r in sheet}
    related = ledger.get_many(sorted({*known, *known.values()}))
    out = dict(moved)
    drop = []
    for new, src in known.items():
        row, src_row, src_le = present.get(new), present.get(src), related.get(src)
        gone = row is None or _emptied(row)
        if gone and src_row is not None and src_le is not None and changed_in_several(src_row, src_le):
            # the values went away with the row they were moved to: what the synced row shows now is
            # some other row's, pushing it would overwrite its lead — held until it shows its own values
            # again or its key cells are cleared (then it is a new row)
            out.setdefault(new, src)
            continue
        if (
            row is None
            or new in related  # it got synced: its own key cells
            or row.lead_id is not None
            or _emptied(row)
            or src_le is None
            or (src_row is not None and agreement(src_row.values, src_le.values)[1] == 0)
        ):
            drop.append(new)
        else:
            out.setdefault(new, src)
    pipe = svc.redis.pipeline()
    if drop:
        pipe.hdel(name, *drop)
    if fresh := {new: source for new, source in moved.items() if known.get(new) != source}:
        pipe.hset(name, mapping=fresh)
    pipe.execute()
    return out


def _emptied(row: SheetRow) -> bool:
    return all(v is None for v in row.values.values())


def _settle_sheet_fields(ledger: Ledger, the_plan: Plan, out: ExecutionResult, written: set[str]) -> None:
    """Now that the sheet shows them, the fields written into it join the rows' base (see executor)."""
    settled = {}
    for row_plan in the_plan.rows:
        ids = out.settled.get(row_plan.key)
        if row_plan.sheet_update and ids is not None and row_plan.key in written:
            settled[row_plan.key] = LedgerEntry(ids[0], ids[1], dict(row_plan.base), time.time())
            if len(settled) >= 1000:
                ledger.put_many(settled)
                settled = {}
    ledger.put_many(settled)


def _scope(kind, keys, lead_ids, contact_ids, ledger: Ledger) -> set[str] | None:
    if kind in ("full", "reconcile"):
        return None
    scope = set(keys or ())
    if lead_ids:
        scope.update(ledger.keys_for_leads(lead_ids).values())
    if contact_ids:
        scope.update(k for k, entry in ledger.all().items() if entry.contact_id in contact_ids)
    return scope


def plan_input(
    svc: Services,
    p: Parts,
    rows: Iterable[SheetRow],
    amo: AmoSide,
    base: Mapping[str, LedgerEntry],
    *,
    full_scan: bool,
    synced_rows: int,
    moved: Mapping[str, str] | None = None,
    scrambled: Mapping[str, str] | None = None,
    held: Iterable[str] = (),
) -> PlanInput:
    """What every run gives the planner: the mapping's rules and create defaults, the rows in scope with
    their amoCRM side and ledger base, and the guards' share taken of `synced_rows`."""
    return PlanInput(
        rules=p.mapping.rules(),
        rows=tuple(rows),
        leads=amo.leads,
        ledger=base,
        contacts=amo.contacts,
        create_defaults=_defaults(p),
        full_scan=full_scan,
        blast_radius=svc.settings.blast_radius_share,
        synced_rows=synced_rows,
        moved=moved or {},
        scrambled=scrambled or {},
        held=frozenset(held),
    )


def _defaults(p: Parts) -> dict[str, str | None]:
    status = p.mapping.default_status_id or (
        first.status_id if (first := p.ctx.catalog.first_status(p.mapping.pipeline_id)) else None
    )
    out: dict[str, str | None] = {"lead.status": f"{p.mapping.pipeline_id}:{status}" if status else None}
    if p.ctx.catalog.current_user_id:
        out["lead.responsible"] = str(p.ctx.catalog.current_user_id)
    return out


def _counts(the_plan: Plan) -> dict[str, int]:
    return dict(the_plan.counts.__dict__)


def _adopt_pending(p: Parts, ledger: Ledger, intents: Intents) -> None:
    """Leads and contacts a crashed run created but never recorded: found by their row's tag, leads go
    into the ledger and contacts are reused by the next create of the same contact."""
    contacts = intents.recover(p.amo, "contact")
    intents.done(list(intents.pending("contact")))
    intents.adopt_contacts({ref: int(c["id"]) for ref, c in contacts.items()})
    if contacts:
        log.warning(
            "connection %s: adopted %d contacts created by an interrupted run", p.conn.id, len(contacts)
        )
    found = intents.recover(p.amo, "lead")
    if found:
        entries = {}
        for key, lead in found.items():
            contacts = (lead.get("_embedded") or {}).get("contacts") or []
            entries[key] = LedgerEntry(
                int(lead["id"]), int(contacts[0]["id"]) if contacts else None, {}, time.time()
            )
        ledger.put_many(entries)
        log.warning("connection %s: adopted %d leads created by an interrupted run", p.conn.id, len(entries))
    intents.done(list(intents.pending("lead")))
    intents.done([ref for ref in contacts if row_of(ref) in found])  # their leads were found with them


def _deleted_key(connection_id: str) -> str:
    return keys.deleted_leads(connection_id)


def _remember_deleted(svc: Services, connection_id: str, the_plan: Plan) -> None:
    """Leads a run found deleted in amoCRM. A reconcile takes unchanged leads from the ledger, and amoCRM's
    updated_at listing never shows a deleted lead: without this a reconcile would bring it back."""
    gone = [
        row_plan.lead_id
        for row_plan in the_plan.rows
        if row_plan.outcome is Outcome.DELETED_IN_AMO and row_plan.lead_id
    ]
    if gone:
        svc.redis.sadd(_deleted_key(connection_id), *gone)


def _reconcile_delta(
    svc: Services, p: Parts, base: dict[str, LedgerEntry]
) -> tuple[dict[int, dict], dict[int, AmoLead]]:
    """amoCRM's changes since the last complete run (an updated_at cursor); leads that did not change are
    taken from the ledger instead of being read again — they still hold the last agreed values."""
    raw = svc.redis.get(_cursor_key(p))
    if not raw:
        return {}, {}  # no cursor yet: read every lead, like a full sync
    since = int(float(raw))
    params = {"filter[updated_at][from]": since, "with": "contacts"}
    changed = {int(lead["id"]): lead for lead in p.amo.pages("/api/v4/leads", "leads", params)}
    changed_contacts = {
        int(c["id"]) for c in p.amo.pages("/api/v4/contacts", "contacts", {"filter[updated_at][from]": since})
    }
    targets = {c.target for c in p.mapping.columns}
    ours = {entry.lead_id for entry in base.values()}
    deleted = {int(x) for x in svc.redis.smembers(_deleted_key(p.conn.id))}
    deleted |= _deleted_since(p, since)
    # rows on one contact may hold different agreed values of it (a row whose cell was invalid kept its
    # old one while another row filled the contact): such a contact is read, not taken from either
    seen: dict[int, set[tuple]] = {}
    for entry in base.values():
        contact = tuple(sorted((t, v) for t, v in entry.values.items() if t.startswith("contact.")))
        seen.setdefault(entry.contact_id, set()).add(contact)
    synthesized: dict[int, AmoLead] = {}
    for entry in base.values():
        if entry.lead_id in changed or entry.lead_id in deleted or entry.contact_id in changed_contacts:
            continue
        if not targets <= set(entry.values) or len(seen[entry.contact_id]) > 1:
            continue
        synthesized[entry.lead_id] = AmoLead(
            entry.lead_id, dict(entry.values), entry.contact_id, entry.synced_at, entry.synced_at
        )
    return {i: lead for i, lead in changed.items() if i in ours}, synthesized


def _deleted_since(p: Parts, since: int) -> set[int]:
    """Leads deleted (or merged away) in amoCRM since the cursor. The updated_at listing never shows a
    deleted lead, and its webhook may have been lost: the event log is where a reconcile learns of it."""
    params = {
        "filter[type]": "lead_deleted",
        "filter[entity]": "lead",
        "filter[created_at][from]": since,
        "limit": EVENTS_PAGE,
    }
    return {int(e["entity_id"]) for e in p.amo.pages("/api/v4/events", "events", params)}


EVENTS_PAGE = 100  # the events list's maximum page (amoCRM API v4, GET /api/v4/events)


def _cursor_key(p: Parts) -> str:
    return keys.reconcile_cursor(p.conn.id)


def _advance_cursor(svc: Services, p: Parts, raw_leads: dict[int, dict]) -> None:
    """After a complete read: the newest updated_at seen, minus a second (equal stamps may still arrive)."""
    newest = max((int(lead.get("updated_at") or 0) for lead in raw_leads.values()), default=0) - 1
    old = int(float(svc.redis.get(_cursor_key(p)) or 0))
    if newest > old:
        svc.redis.set(_cursor_key(p), newest)
