"""Undo a journaled run: every field it changed goes back to its value before the run, on both sides —
unless either side changed it since (then it is kept and listed). Leads the run created are never
deleted: they are tagged, moved to the stage the person picked (if any), and their rows are marked.

The undo is itself a run: under the connection's lock, through the executor (batches, refusals,
intents, the ledger only for what succeeded) and the writeback (cells where their keys are now),
journaled with `trigger=undo` so it can be undone in turn. Re-running it after a crash gives the same
end state: a field already back at its earlier value on both sides counts as restored and is not
written again; a created lead is tagged and moved again (both idempotent in amoCRM).

`decide()` is the pure part (unit-tested); `undo_run()` reads both sides, executes and records.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from backend.errors import AppError, Code
from backend.services import Services
from backend.sheets.layout import read_table
from backend.store import locks
from backend.store.journal import Journal, record_run
from backend.store.ledger import Ledger
from backend.sync import columns
from backend.sync.core.journal import CREATED_FIELD, Change, RunMeta
from backend.sync.core.model import (
    LEAD_STATUS,
    ContactUpdate,
    Counts,
    Guard,
    Outcome,
    Plan,
    RowPlan,
    entity_of,
)
from backend.sync.core.moved import changed_in_several, shuffled_rows
from backend.sync.core.planner import GUARD_MIN_ROWS
from backend.sync.executor import Executor
from backend.sync.intents import Intents
from backend.sync.run import (
    Report,
    _columns,
    _moved_values,
    _settle_sheet_fields,
    edited_times,
    moved_rows_key,
    parts,
)
from backend.sync.snapshot import amo_side, sheet_rows
from backend.sync.writeback import Writeback, stamp

UNDONE_TAG = "undone by sync"
MAX_KEPT_LISTED = 200  # the kept fields a run's meta lists (the count covers them all)
_GONE = object()


class CannotUndo(AppError, status=409, code=Code.CONFLICT):
    pass


@dataclass
class Decision:
    restore: dict[str, dict[str, Any]] = field(default_factory=dict)  # row key -> {target: value}
    already: int = 0  # fields already back at their earlier value (an undo re-run)
    kept: list[dict[str, Any]] = field(default_factory=list)  # {key, lead_id, field, side, now, reason}
    created: dict[str, int] = field(default_factory=dict)  # row key -> lead the run created


def decide(
    changes: Iterable[Change],
    sheet_now: Mapping[str, Mapping[str, Any]],
    amo_now: Mapping[int, Mapping[str, Any]],
) -> Decision:
    """What to restore and what to keep. A field the run changed is restored only if BOTH sides still
    show what the run left there (after a run both sides agree); if one moved since, a person or
    amoCRM changed it after the run and it is kept."""
    decision = Decision()
    seen: set[tuple[str, str]] = set()
    for change in changes:
        if change.field == CREATED_FIELD:
            decision.created[change.key] = int(change.after)
            continue
        if (change.key, change.field) in seen:  # a field journaled on both sides (an undo run's own journal)
            continue
        seen.add((change.key, change.field))
        on_sheet = (
            sheet_now.get(change.key, {}).get(change.field, _GONE) if change.key in sheet_now else _GONE
        )
        in_amo = amo_now[change.lead_id].get(change.field, _GONE) if change.lead_id in amo_now else _GONE
        base = {"key": change.key, "lead_id": change.lead_id, "field": change.field}
        if on_sheet is _GONE:
            decision.kept.append(
                {**base, "side": "sheet", "now": None, "reason": "the row is no longer in the sheet"}
            )
        elif in_amo is _GONE:
            decision.kept.append(
                {**base, "side": "amo", "now": None, "reason": "the lead is gone from amoCRM"}
            )
        elif on_sheet == in_amo == change.after:
            decision.restore.setdefault(change.key, {})[change.field] = change.before
        elif on_sheet == in_amo == change.before:
            decision.already += 1
        elif in_amo != change.after:
            decision.kept.append({**base, "side": "amo", "now": in_amo, "reason": "changed in amoCRM since"})
        else:
            decision.kept.append(
                {**base, "side": "sheet", "now": on_sheet, "reason": "changed in the sheet since"}
            )
    return decision


def undo_run(
    svc: Services,
    connection_id: str,
    run_id: str,
    *,
    stage: int | None = None,
    confirm: bool = False,
    progress=None,
) -> Report:
    """Undo journaled run `run_id` of this connection; `stage`: a status id of the mapping's pipeline
    to move the leads it created to (they are tagged UNDONE_TAG in any case). Like a sync, an undo
    that would change more than the blast-radius share of the synced rows waits for `confirm`."""
    progress = progress or (lambda phase, done, total: None)
    started_at = time.time()
    with locks.hold(
        svc.redis, locks.connection_lock_name(connection_id), ttl_s=locks.CONNECTION_LOCK_TTL_S, wait_s=600
    ):
        journal = Journal(svc.redis, connection_id)
        meta = journal.run(run_id)
        if meta is None:
            raise CannotUndo("That run is unknown or older than 30 days.")
        if meta.truncated:
            raise CannotUndo(
                "That run changed more fields than its journal keeps; it cannot be undone whole."
            )
        p = parts(svc, connection_id)
        pipeline = p.ctx.catalog.pipeline(p.mapping.pipeline_id)
        if stage is not None and not any(
            status.status_id == stage for status in (pipeline.statuses if pipeline else ())
        ):
            raise CannotUndo("That stage is not in the pipeline of this sheet's new leads.")
        changes = journal.changes(run_id, 0, meta.changes or 1)
        report = _undo(svc, p, meta, changes, stage, confirm, progress, started_at)
    report.amo_calls = p.amo.stats.calls
    report.sheets_calls = p.sheets.total_calls
    report.duration_ms = int((time.time() - started_at) * 1000)
    return report


def undo_guard(changed: int, synced: int, share: float) -> Guard:
    """The sync's share-of-rows guard, for the rows an undo would change."""
    known = max(synced, 1)
    return Guard(
        "share_of_rows",
        changed >= GUARD_MIN_ROWS and changed > share * known,
        f"the undo would change {changed} of {known} synced rows (limit {share:.0%})",
    )


def _undo(svc, p, meta: RunMeta, changes: list[Change], stage, confirm, progress, started_at) -> Report:
    cid = p.conn.id
    ledger, intents = Ledger(svc.redis, cid), Intents(svc.redis, cid)
    progress("reading the sheet", 0, 1)
    table = read_table(p.sheets, p.conn.spreadsheet_id, p.conn.sheet_id, _columns(p.mapping))
    columns.check(table, p.mapping)  # a mapped column gone: stop before any write, saying which (as a sync)
    edited = edited_times(svc, cid)
    # rows with one key are told apart with the ledger, as in a sync run
    side = sheet_rows(table, p.mapping, p.ctx, edited, ledger=ledger)
    # a key on two rows (a copy pasted with its key cells): a sync tells them apart and re-keys the copy;
    # until it has, neither gets a restored value nor a stage, only the mark — on the first of exact
    # copies that nothing tells apart (held, all of them; a copy whose key cell was cleared holds the
    # keyed row too)
    rows_of: dict[str, list[int]] = {}
    for i in range(table.row_count):
        rows_of.setdefault(str(table.cell("key", i)).strip(), []).append(i + 1)
    copied = {k for k, at in rows_of.items() if k and len(at) > 1}
    twins = {k: held[0] for k, at in rows_of.items() if k and (held := [i for i in at if i in side.held])}
    table = table.layout()
    keys = {c.key for c in changes}
    rows = [r for r in side.rows if r.key in keys and r.key not in side.new_keys.values()]
    base = ledger.get_many(keys)
    progress("reading amoCRM", 0, 1)
    amo = amo_side(p.amo, p.mapping, p.ctx, [], base, None)
    decision = decide(
        changes, {r.key: r.values for r in rows}, {i: lead.values for i, lead in amo.leads.items()}
    )
    # a row showing another synced row's values (a range sorted without the key columns), or whose values
    # were cut into another row, gets no cell: they are not its lead's
    others = [r for r in side.rows if r.lead_id is None and r.key not in keys]
    moved, scrambled = _moved_values(ledger, side.rows, [*rows, *others], base)
    if moved:  # remembered as a sync run does: the undo's stage may make them harder to recognise after
        svc.redis.hset(moved_rows_key(cid), mapping=moved)
    remembered = {v.decode() for v in svc.redis.hvals(moved_rows_key(cid))}
    shuffled = shuffled_rows(side.rows, ledger.get_many(r.key for r in side.rows if r.lead_id is not None))
    scrambled = {**scrambled, **{k: k for k in (*moved.values(), *remembered, *shuffled)}}
    mapped = {c.target for c in p.mapping.columns}
    status = f"{p.mapping.pipeline_id}:{stage}" if stage is not None else None
    now = time.time()
    by_key = {r.key: r for r in rows}
    plan_rows: list[RowPlan] = []
    contact_values: dict[int, dict[str, Any]] = {}
    contact_keys: dict[int, list[str]] = {}
    lead_of = {c.key: c.lead_id for c in changes if c.field != CREATED_FIELD}
    for key, fields in list(decision.restore.items()):  # what is kept here leaves `restore`
        entry = base.get(key)
        if key in scrambled or key in copied or key in twins:
            why = (
                "the row shows the values of another row, or its values were moved (a sort or a cut?)"
                if key in scrambled
                else "the row has an exact copy and nothing tells which is the original: delete the copy"
                if key in twins
                else "the row has a copy pasted with its key cells: sync first, so the copy becomes a new row"
            )
            decision.kept.extend({**_kept(key, t), "reason": why} for t in fields)
            del decision.restore[key]
            continue
        if entry is None or key not in by_key or entry.lead_id != lead_of.get(key):
            decision.kept.extend(
                {
                    "key": key,
                    "lead_id": None,
                    "field": t,
                    "side": "sheet",
                    "now": None,
                    "reason": "the row is no longer linked to its lead",
                }
                for t in fields
            )
            del decision.restore[key]
            continue
        lead_now = amo.leads.get(entry.lead_id)
        if lead_now is not None and lead_now.contact_id != entry.contact_id:
            # its contact fields now show another contact (a manager changed the lead's main contact):
            # the values the run wrote are not in the contact it wrote them to, and writing the earlier
            # ones there would change a contact no row shows
            switched = [t for t in fields if entity_of(t) == "contact"]
            decision.kept.extend(
                {
                    **_kept(key, t),
                    "lead_id": entry.lead_id,
                    "side": "amo",
                    "reason": "the lead's main contact was changed in amoCRM since",
                }
                for t in switched
            )
            fields = {t: v for t, v in fields.items() if t not in switched}
            if not fields:
                del decision.restore[key]
                continue
            decision.restore[key] = fields
        contact_update = {t: v for t, v in fields.items() if entity_of(t) == "contact"}
        if contact_update and entry.contact_id:
            contact_values.setdefault(entry.contact_id, {}).update(contact_update)
            contact_keys.setdefault(entry.contact_id, []).append(key)
        plan_rows.append(
            RowPlan(
                key,
                by_key[key].row,
                Outcome.UPDATE,
                lead_id=entry.lead_id,
                contact=entry.contact_id,
                lead_update={t: v for t, v in fields.items() if entity_of(t) == "lead"},
                contact_update=contact_update,
                sheet_update=dict(fields),
                base={**entry.values, **fields},
                message=f"↶ undone {stamp(now)}",
                mark=True,
            )
        )
    for key, lead_id in list(decision.created.items()):
        if lead_id not in amo.leads:  # deleted in amoCRM since: nothing left to tag or move
            decision.kept.append(
                {
                    "key": key,
                    "lead_id": lead_id,
                    "field": CREATED_FIELD,
                    "side": "amo",
                    "now": None,
                    "reason": "the lead is gone from amoCRM",
                }
            )
            del decision.created[key]
            continue
        entry = base.get(key)
        moved = {LEAD_STATUS: status} if status else {}
        # a row whose data a person cut or cleared away gets its mark, not a stage in an empty row; the
        # stage joins the row's base only where the sheet shows it (else a later run writes it there)
        # nor in a row changed in several cells since its last sync: it may show another row's values
        # (a range sorted without the key columns under values no synced row holds)
        shown = {
            t: v
            for t, v in moved.items()
            if t in mapped
            and _has_data(by_key.get(key))
            and key not in scrambled
            and key not in copied
            and (entry is None or not changed_in_several(by_key[key], entry))
        }
        plan_rows.append(
            RowPlan(
                key,
                by_key[key].row if key in by_key else twins.get(key),
                Outcome.UPDATE,
                lead_id=lead_id,
                contact=entry.contact_id if entry else None,
                lead_update=moved,
                sheet_update=shown,
                base={**(entry.values if entry else {}), **shown},
                message=f"↶ undone {stamp(now)}: lead {lead_id} kept, tagged “{UNDONE_TAG}”",
                mark=True,
                ledger_dirty=entry is not None,
            )
        )
    plan = Plan(
        rows=tuple(plan_rows),
        new_contacts=(),
        contact_updates=tuple(
            ContactUpdate(cid_, values, tuple(contact_keys[cid_])) for cid_, values in contact_values.items()
        ),
        counts=Counts(rows=len(plan_rows), update_amo=len(plan_rows)),
    )
    changed = sum(
        1
        for row_plan in plan_rows
        if row_plan.lead_update or row_plan.contact_update or row_plan.sheet_update
    )
    guard = undo_guard(changed, ledger.count(), svc.settings.blast_radius_share)
    if guard.tripped and not confirm:
        preview = {
            "rows": changed,
            "restore": sum(len(f) for f in decision.restore.values()),
            "kept": len(decision.kept),
        }
        return Report("undo", status="waiting_confirmation", preview=preview, guards=[guard.__dict__])
    progress("restoring amoCRM", 0, 1)
    executor = Executor(p.amo, p.ctx, p.mapping, ledger, intents, None, amo, progress, previous=base)
    out = executor.run(plan)
    if decision.created:
        tags = [
            {"id": lead_id, "tags_to_add": [{"name": UNDONE_TAG}]} for lead_id in decision.created.values()
        ]
        p.amo.update("leads", tags)
    progress("writing the sheet", 0, 1)
    writeback = Writeback.for_run(svc.redis, p, table, "undo")
    written = writeback.write(plan, out, now)
    _settle_sheet_fields(ledger, plan, out, writeback.written)
    writeback.record(
        plan, out, now, {r.key: r.values for r in rows}, {i: lead.values for i, lead in amo.leads.items()}
    )
    restored = sum(
        len(f) for k, f in decision.restore.items() if k not in out.failed and k in base and k in by_key
    )
    kept = decision.kept + [
        {
            "key": k,
            "lead_id": base[k].lead_id if k in base else None,
            "field": t,
            "side": "amo",
            "now": None,
            "reason": out.failed[k],
        }
        for k, f in decision.restore.items()
        if k in out.failed
        for t in f
    ]
    kept = [k | _who_and_when(k, p.ctx.catalog, amo, edited) for k in kept]
    result = {
        "restored": restored + decision.already,
        "kept": len(kept),
        "leads_kept": len(decision.created),
        "failed": len(out.failed),
        "cells_written": written,
    }
    record_run(
        svc.redis,
        p,
        "undo",
        plan,
        out,
        rows,
        amo.leads,
        writeback.written,
        result,
        started_at,
        undo_of=meta.run_id,
        kept=kept[:MAX_KEPT_LISTED],
    )
    progress("done", 1, 1)
    return Report("undo", result=result)


def _kept(key: str, target: str) -> dict[str, Any]:
    return {"key": key, "lead_id": None, "field": target, "side": "sheet", "now": None}


def _has_data(row) -> bool:
    return row is not None and any(v not in (None, "") for v in row.values.values())


def _who_and_when(kept: dict, catalog, amo, edited: Mapping[str, float]) -> dict:
    """When the kept field's side last changed, and (in amoCRM) by whom — as far as the sides say."""
    at: float | None = None
    by: str | None = None
    if kept["side"] == "sheet":
        at = edited.get(kept["key"])
    elif (lead := amo.raw_leads.get(kept["lead_id"] or 0)) is not None:
        entity = lead
        if entity_of(kept["field"]) == "contact":
            main = ((lead.get("_embedded") or {}).get("contacts") or [{}])[0].get("id")
            entity = amo.raw_contacts.get(int(main)) if main else None
        if entity:
            at = float(entity.get("updated_at") or 0) or None
            user = catalog.users.get(int(entity.get("updated_by") or 0))
            by = (user[0] or user[1]) if user else None
    return {"at": dt.datetime.fromtimestamp(at, dt.UTC).isoformat() if at else None, "by": by}


# --- the RQ job --------------------------------------------------------------------------------------


def undo_job(connection_id: str, run_id: str, stage: int | None = None, confirm: bool = False) -> dict:
    """RQ job: undo a run; a run that cannot be undone ends the job with the reason (no retry)."""
    from rq import get_current_job

    from backend import services
    from backend.logs import log_context
    from backend.sync import jobs

    job = get_current_job()
    with log_context(connection_id=connection_id, job_id=job.id if job else None):
        try:
            report = undo_run(
                services.current(),
                connection_id,
                run_id,
                stage=stage,
                confirm=confirm,
                progress=jobs._progress,
            )
        except CannotUndo as exc:
            if job is not None:
                job.meta["error"] = {"code": str(exc.code), "detail": exc.detail}
                job.save_meta()
            return {"status": "failed", "error": {"code": str(exc.code), "detail": exc.detail}}
        except jobs.PERMANENT as exc:
            return jobs._permanent(connection_id, exc)
        return jobs._finish(connection_id, report)
