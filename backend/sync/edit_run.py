"""An edit run planned from the values the add-on sent: no Sheets API call on the way in (the add-on
read the row in the document it runs in and signed what it sent), none on the way out (the lead id,
link, status and canonical values go back to the add-on, which writes them into the row under its
document lock, by key — sync/edit_answers.py). Only when nobody waits for an answer any more is it
written through the Sheets API, as every run did before — by a later job of its own (`write_late`) that
writes every late answer of the connection gathered by then in one read and one write: an edit run never
sleeps for a slot of the paced write quota while edits queue behind it.

The rest is the ordinary run (sync/run.py): under the connection's lock, crashed creates adopted first,
the same planner, guards, executor, ledger and history. What only a read of the whole sheet can judge is
not judged here but handed to that run (`defer`): a row sent without a value for every mapped column (a
column deleted: its cells must not read as cleared), a row that needs its key or lead-id cells changed
(a copy of a synced row), rows holding another row's agreed values (moved or sorted without the sync's
columns), a row whose values in columns its edit did not touch differ from the agreed state (read before
a run wrote it, or sent again from the add-on's queue), a new row of a known customer (or a synced
row's values cut into a new row and edited), and a plan the guards hold for a person's confirmation.
The ledger's sheet-side base is not moved for cells the add-on writes (the run cannot see them land):
they are recorded (`Ledger.put_answered`) and the next run that sees the row show them takes them as
agreed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import replace

from backend import queues
from backend.amocrm import account as amo_account
from backend.services import Services
from backend.sheets.layout import Table, read_table
from backend.store import locks
from backend.store.contact_directory import ContactDirectory
from backend.store.journal import record_run
from backend.store.ledger import Ledger
from backend.sync import edit_answers
from backend.sync.core.model import Counts, LedgerEntry, Plan, entity_of
from backend.sync.core.moved import changed_in_several, far_prints, near_prints
from backend.sync.core.planner import plan
from backend.sync.executor import Executor
from backend.sync.intents import Intents
from backend.sync.run import (
    CONNECTION_COLUMNS_EXTRA,
    Parts,
    PhaseTimer,
    Progress,
    Report,
    _adopt_pending,
    _moved_values,
    moved_rows_key,
    parts,
    plan_input,
    writes_amocrm_took,
)
from backend.sync.snapshot import AmoSide, amo_side, sheet_rows
from backend.sync.writeback import Writeback

log = logging.getLogger(__name__)


def _table(p: Parts, rows: Mapping[str, dict]) -> tuple[Table, list[int]]:
    """The sent rows as a table of their own (row i of it = the i-th sent row) and their sheet rows."""
    keys = list(rows)
    cells: dict[str, list] = {"key": keys, "lead_id": [rows[k].get("lead_id") or "" for k in keys]}
    cells["sync"] = [""] * len(keys)  # the status cell is not sent: the answer writes it
    for c in p.mapping.columns:
        cells[c.column] = [rows[k]["values"].get(c.column, "") for k in keys]
    return Table("", {}, {}, cells, len(keys)), [int(rows[k]["row"]) for k in keys]


def run_edits(
    svc: Services,
    connection_id: str,
    *,
    take: Callable[[], Mapping[str, dict]],
    defer: Callable[[Mapping[str, float]], None] = lambda rows: None,
    progress: Progress | None = None,
) -> Report:
    """`take()` -> the rows to plan: key -> {row (1-based, as the add-on saw it), values: {column id:
    cell}, lead_id, edited_at}. Called once the connection's lock is held, so a burst of edits that
    arrived while the previous run worked is planned, read from amoCRM and written in one go.
    `defer(key -> edit time)` receives the rows this run leaves to a run that reads the sheet."""
    started = time.monotonic()
    timer = PhaseTimer(progress or (lambda phase, done, total: None))
    with locks.hold(
        svc.redis, locks.connection_lock_name(connection_id), ttl_s=locks.CONNECTION_LOCK_TTL_S, wait_s=600
    ):
        timer("starting", 0, 1)
        rows = take()
        if not rows:
            return Report("edits", result={"rows": 0})
        p = parts(svc, connection_id)
        report = _run_edits_locked(svc, p, rows, timer, defer)
    report.phases_ms = timer.finish()
    report.amo_calls = p.amo.stats.calls
    report.sheets_calls = p.sheets.total_calls
    report.duration_ms = int((time.monotonic() - started) * 1000)
    amo_account.tenants(svc).set_fields(connection_id, last_sync={"at": time.time(), **report.to_json()})
    return report


def _run_edits_locked(
    svc: Services,
    p: Parts,
    rows: Mapping[str, dict],
    progress: Progress,
    defer: Callable[[Mapping[str, float]], None],
) -> Report:
    started = time.time()
    cid = p.conn.id
    ledger, intents = Ledger(svc.redis, cid), Intents(svc.redis, cid)
    report = Report("edits")
    mapped = [c.column for c in p.mapping.columns]
    partial = {k for k, r in rows.items() if any(c not in r["values"] for c in mapped)}
    if partial:  # the add-on did not find a mapped column: only a read of the sheet can say why
        log.info("edit run: %d rows sent without every mapped column, left to a sheet read", len(partial))
        defer({k: float(rows[k]["edited_at"]) for k in partial})
        rows = {k: r for k, r in rows.items() if k not in partial}
        if not rows:
            report.result = {"deferred": len(partial)}
            return report
    _adopt_pending(p, ledger, intents)
    table, sheet_row = _table(p, rows)
    edited = {k: float(r["edited_at"]) for k, r in rows.items()}
    side = sheet_rows(table, p.mapping, p.ctx, edited, ledger=ledger)
    # grid index as the add-on saw it (header = 0); the add-on re-finds the row by key when it writes
    by_key = dict(zip(rows, sheet_row, strict=True))
    planned = [replace(r, row=by_key[r.key] - 1) for r in side.rows if r.key in by_key]
    base, _ = ledger.adopt_answered(planned, ledger.get_many(r.key for r in planned))
    moved, scrambled = _moved_values(ledger, planned, planned, base, whole_sheet=False)
    # several cells of a row changed at once (values cut away, or a range sorted under it): only a read of
    # the sheet can tell, the add-on sent this row alone
    emptied = [r.key for r in planned if (entry := base.get(r.key)) and changed_in_several(r, entry)]
    # a cell the edit did not touch that differs from the agreed state was written by something the add-on
    # did not report, or read before a run wrote it (a queued row sent again, a run in between): only
    # the sheet as it is now says what it holds
    emptied += [
        r.key for r in planned if (entry := base.get(r.key)) and _beyond_edit(p, r, entry, rows[r.key])
    ]
    # a new row within a field of a synced row's agreed values may hold that row's values cut or copied
    # out of it and edited since: whether that row was emptied only a read of the sheet shows
    emptied += _near_synced(ledger, [r for r in planned if r.lead_id is None and r.key not in base])
    held = svc.redis.hgetall(moved_rows_key(cid)) if planned else {}
    if {k.decode() for kv in held.items() for k in kv} & {r.key for r in planned}:
        emptied.append("a row held as moved")  # or whose values were moved: only a read of the sheet tells
    if (
        side.new_keys or side.cleared or side.held or moved or scrambled or emptied
    ):  # key cells to change, rows to compare (values cut away may be in a row the add-on did not send)
        why = "key cells to change" if side.new_keys or side.cleared or side.held else "values of other rows"
        return _deferred(report, rows, defer, len(partial), why)
    progress("reading amoCRM", 0, 1)
    directory = ContactDirectory(svc.redis, p.account.id, p.ctx.region)
    amo = _amo_side(p, planned, base, directory)
    base = writes_amocrm_took(ledger, base, amo)
    progress("planning", 0, 1)
    the_plan = plan(plan_input(svc, p, planned, amo, base, full_scan=False, synced_rows=ledger.count()))
    if the_plan.needs_confirmation:  # the run that reads the sheet holds it and tells the sidebar
        return _deferred(report, rows, defer, len(partial), "held by a guard")
    if any(r.create_lead is not None and isinstance(r.contact, int) for r in the_plan.rows):
        # a new row of a known customer: a new deal, or a synced row's values cut or copied into a new row
        # and edited — whether that row was emptied only a read of the sheet shows
        return _deferred(report, rows, defer, len(partial), "a new row joins a known contact")
    report.preview = dict(the_plan.counts.__dict__)
    report.guards = [g.__dict__ for g in the_plan.guards]
    out = Executor(p.amo, p.ctx, p.mapping, ledger, intents, directory, amo, progress, previous=base).run(
        the_plan
    )
    now = time.time()
    writeback = Writeback.for_run(svc.redis, p, table.layout(), "edits")
    cells = writeback.cells(the_plan, out, now)
    answers: dict[str, dict] = {k: {"cells": {}, "edited_at": edited[k]} for k in rows}
    for column, by_key in cells.items():
        for key, value in by_key.items():
            answers[key]["cells"][column] = value
    # what the add-on is asked to write: agreed once a run sees the row show it (`Ledger.adopt_answered`)
    ledger.put_answered(
        {
            r.key: {t: r.base[t] for t in r.sheet_update if t in r.base}
            for r in the_plan.rows
            if r.sheet_update and answers.get(r.key, {}).get("cells") and r.key not in out.failed
        }
    )
    edit_answers.store_answers(svc.redis, cid, answers)
    progress("recording history", 0, 1)
    writeback.record(
        the_plan,
        out,
        now,
        {r.key: r.values for r in planned},
        {i: lead.values for i, lead in amo.leads.items()},
    )
    nobody = [k for k in edit_answers.unwaited(svc.redis, cid, answers) if answers[k]["cells"]]
    if nobody and edit_answers.leave_for_later(svc.redis, cid, nobody):
        queues.enqueue(svc.redis, queues.SYNC, "backend.sync.jobs.write_late_answers", cid)
    report.result = {**report.preview, **out.counts, "failed": len(out.failed), "answers_later": len(nobody)}
    answered = {k for k, a in answers.items() if a["cells"]}  # the add-on or write_late writes them
    record_run(svc.redis, p, "edits", the_plan, out, planned, amo.leads, answered, report.result, started)
    progress("done", 1, 1)
    return report


def _near_synced(ledger: Ledger, fresh: list) -> list[str]:
    """New rows within one field of a synced row's agreed values (two, where its entry lacks a field held
    in conflict): what the ledger's index of fingerprints finds. Further off, a new row of a known
    customer is caught when it would join that customer's contact."""
    if not fresh or not ledger.count():
        return []
    prints = {r.key: near_prints(r.values) | far_prints(r.values) for r in fresh}
    owners = ledger.keys_for_prints(set().union(*prints.values()))
    return [key for key, ps in prints.items() if any(k != key for p in ps for k in owners.get(p, ()))]


def _beyond_edit(p: Parts, row, entry: LedgerEntry, sent: Mapping) -> bool:
    """The sent row differs from its agreed values in a mapped column its edit did not touch."""
    if sent.get("edited") is None:  # an older add-on: every value is the person's
        return False
    touched = set(sent["edited"])
    targets = [c.target for c in p.mapping.columns if c.column not in touched]
    return any(row.values.get(t) != entry.values.get(t) for t in targets)


def _deferred(
    report: Report,
    rows: Mapping[str, dict],
    defer: Callable[[Mapping[str, float]], None],
    partial: int,
    why: str,
) -> Report:
    log.info("edit run: %d rows left to a run that reads the sheet (%s)", len(rows), why)
    defer({k: float(r["edited_at"]) for k, r in rows.items()})
    report.result = {"deferred": len(rows) + partial}
    return report


def _amo_side(p: Parts, rows: list, base: Mapping[str, LedgerEntry], directory: ContactDirectory) -> AmoSide:
    """The amoCRM side of the edited rows. When no row changed a contact field (the sent values equal
    the rows' base) and every row is synced already, the contacts are not read: their fields are taken
    from the base, as for leads a reconcile did not see change — the planner then has nothing to do on
    them, and a change a manager made meanwhile arrives through its webhook. One amoCRM call less per
    edit run: under a burst, the account's 7 requests a second are what an edit waits for."""
    contact_cols = [c for c in p.mapping.columns if entity_of(c.target) == "contact"]
    targets = [c.target for c in contact_cols]
    untouched = bool(contact_cols) and all(
        (entry := base.get(r.key)) is not None
        and r.lead_id in (None, entry.lead_id)
        and all(t in entry.values and r.values.get(t) == entry.values[t] for t in targets)
        for r in rows
    )
    if not untouched:
        return amo_side(p.amo, p.mapping, p.ctx, rows, base, directory, {})
    leads_only = replace(p.mapping, columns=tuple(c for c in p.mapping.columns if c not in contact_cols))
    side = amo_side(p.amo, leads_only, p.ctx, rows, base, None, {})
    by_lead = {entry.lead_id: entry for entry in base.values()}
    for lead_id, lead in list(side.leads.items()):
        entry = by_lead.get(lead_id)
        if entry is None or lead.contact_id != entry.contact_id:
            return amo_side(p.amo, p.mapping, p.ctx, rows, base, directory, {})  # relinked: read it all
        side.leads[lead_id] = replace(lead, values={**lead.values, **{t: entry.values[t] for t in targets}})
    return side


def write_late(svc: Services, connection_id: str, *, kind: str = "answers", progress=None) -> Report:
    """Every answer of the connection nobody waited for, written through the Sheets API at once."""
    report = Report(kind)
    with locks.hold(
        svc.redis, locks.connection_lock_name(connection_id), ttl_s=locks.CONNECTION_LOCK_TTL_S, wait_s=600
    ):
        keys = edit_answers.take_late(svc.redis, connection_id)
        if keys:
            p = parts(svc, connection_id)
            report.result = {"cells_written": _write_unclaimed(svc, p, time.time(), keys)}
            report.sheets_calls = p.sheets.total_calls
    return report


def _write_unclaimed(svc: Services, p: Parts, now: float, keys: list[str]) -> int:
    """Answers no add-on waits for: written through the Sheets API, as by any run nobody watches."""
    claimed = edit_answers.claim(svc.redis, p.conn.id, dict.fromkeys(keys, 0.0))
    if not claimed:
        return 0
    columns = [*CONNECTION_COLUMNS_EXTRA, *(c.column for c in p.mapping.columns)]
    table = read_table(p.sheets, p.conn.spreadsheet_id, p.conn.sheet_id, columns).layout()
    writeback = _Answered.for_run(svc.redis, p, table, "edits")
    log.info("connection %s: %d edited rows answered through the Sheets API", p.conn.id, len(claimed))
    writeback.answered = {}
    for key, answer in claimed.items():
        for column, value in answer["cells"].items():
            writeback.answered.setdefault(column, {})[key] = value
    # a key found on two rows is left alone: no plan to tell which
    return writeback.write(_NO_PLAN, None, now)


_NO_PLAN = Plan((), (), (), Counts())


class _Answered(Writeback):
    """A write-back of answers already worked out (an unclaimed older answer's cells included)."""

    answered: dict[str, dict]

    def cells(self, plan, out, now):
        return self.answered
