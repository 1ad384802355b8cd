"""Nothing changed, nothing read: a reconcile of a connection where neither side changed costs no Sheets
API call.

- amoCRM's side: the reconcile cursor (`reconcile-cursor:{conn}`, amoCRM's `updated_at` of the newest
  lead a complete run saw). Leads and contacts updated since are listed (two amoCRM calls); none means
  amoCRM has nothing new.
- The sheet's side: its Drive `version` (sheets/drive_version.py, Drive's quota, not the Sheets API's).
  `sheet-seen:{conn}` remembers the version the sheet had right before its last full read. The same
  version now means nobody changed the sheet since — no trigger the add-on missed, no script, no paste.
- A full read at least every RECONCILE_FULL_READ_S whatever the version says: the safety net.
- When the sheet moved but half the minute's Sheets reads (or half the pacer's 10 s) are already taken,
  the sheet's read waits for a later reconcile (`sheet_deferred`) instead of for a slot on a worker:
  amoCRM → sheet runs, with a change somebody made behind them, go first, and the tick that reconciles
  every connection at once neither spends the whole read quota nor holds the workers edits need. The
  add-on delivers people's edits itself, so what waits is a change no trigger reported; amoCRM's side
  is still reconciled, and the safety net is never deferred.

When the sheet is unchanged and amoCRM changed, the reconcile becomes an amoCRM run over exactly the
leads and contacts that changed: when they hold what the ledger holds (our own writes, which amoCRM
announces too) it ends without reading the sheet; otherwise it reads the sheet and writes what changed.

Our own writes move the version too. So that a run's own write-back does not make the next reconcile
read the sheet again, `watch` reads the version before a run and after it wrote: when the sheet was
unchanged before, the version after becomes the seen one. A change somebody else made while the run
was writing is taken as seen then — the add-on delivers people's edits on its own, so this can hide
only a change the trigger never reported (a script, a writer without auto-sync), and only until the
next full read.

Must not import web/.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from backend.amocrm import account as amo_account
from backend.services import Services
from backend.sheets.drive_version import FileVersion, file_version
from backend.store import keys
from backend.sync.run import Parts, Report, parts, run_sync

log = logging.getLogger(__name__)

WATCHED_KINDS = ("full", "amo", "edits", "answers")  # runs that may write the sheet through the Sheets API


def _seen_key(connection_id: str) -> str:
    return keys.sheet_seen(connection_id)


def version_of(svc: Services, spreadsheet_id: str) -> FileVersion | None:
    return file_version(svc.settings.sheets_api_endpoint, spreadsheet_id)


def seen(svc: Services, connection_id: str) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in svc.redis.hgetall(_seen_key(connection_id)).items()}


def sheet_unchanged(svc: Services, connection_id: str, now_version: FileVersion | None, now: float) -> bool:
    """The sheet holds what its last full read saw, and that read is recent enough to trust."""
    last = seen(svc, connection_id)
    if now_version is None or not last:
        return False
    fresh = now - float(last.get("read_at", 0)) < svc.settings.reconcile_full_read_s
    return fresh and last.get("version") == now_version.version


def record_full_read(
    svc: Services, connection_id: str, spreadsheet_id: str, before: FileVersion | None
) -> None:
    """After a complete run that read the sheet: `before` is the version it had right before the read."""
    if before is None:
        svc.redis.delete(_seen_key(connection_id))
        return
    pipe = svc.redis.pipeline()
    pipe.hset(
        _seen_key(connection_id),
        mapping={"version": before.version, "read_at": repr(time.time()), "spreadsheet_id": spreadsheet_id},
    )
    # gone when the safety net is due anyway: a disconnected connection leaves nothing behind for long
    pipe.expire(_seen_key(connection_id), svc.settings.reconcile_full_read_s)
    pipe.execute()


def record_own_write(svc: Services, connection_id: str, before: FileVersion | None) -> None:
    """A run wrote the sheet: if the sheet was unchanged right before it, the new version is ours."""
    last = seen(svc, connection_id)
    if before is None or last.get("version") != before.version:
        return
    after = version_of(svc, last["spreadsheet_id"])
    if after is None:
        return
    # Only if nobody recorded another version meanwhile (a full read of a concurrent reconcile).
    with svc.redis.pipeline() as pipe:
        pipe.watch(_seen_key(connection_id))
        if (pipe.hget(_seen_key(connection_id), "version") or b"").decode() != before.version:
            return
        pipe.multi()
        pipe.hset(_seen_key(connection_id), "version", after.version)
        pipe.execute()


def watch(svc: Services, connection_id: str, kind: str) -> Callable[[Report], None]:
    """Call before a run; call what it returns with the run's report. Costs Drive calls only for
    connections with a seen version and runs that may write the sheet."""
    last = seen(svc, connection_id)
    if kind not in WATCHED_KINDS or not last.get("spreadsheet_id"):
        return lambda report: None
    before = version_of(svc, last["spreadsheet_id"])

    def after(report: Report) -> None:
        if report.sheets_calls and report.status == "finished":
            record_own_write(svc, connection_id, before)

    return after


def amo_changes(p: Parts, since: int) -> tuple[set[int], set[int], int]:
    """Leads and contacts amoCRM updated since `since` -> (lead ids, contact ids, newest updated_at)."""
    params = {"filter[updated_at][from]": since}
    leads = list(p.amo.pages("/api/v4/leads", "leads", params))
    contacts = list(p.amo.pages("/api/v4/contacts", "contacts", params))
    newest = max((int(x.get("updated_at") or 0) for x in [*leads, *contacts]), default=0)
    return {int(x["id"]) for x in leads}, {int(x["id"]) for x in contacts}, newest


def _cursor_key(connection_id: str) -> str:
    return keys.reconcile_cursor(connection_id)  # the one sync/run.py advances after complete runs


def _advance_cursor(svc: Services, connection_id: str, newest: int) -> None:
    """Forward only, a second short of the newest stamp seen (equal stamps may still arrive)."""
    old = int(float(svc.redis.get(_cursor_key(connection_id)) or 0))
    if newest - 1 > old:
        svc.redis.set(_cursor_key(connection_id), newest - 1)


# The share of the minute's Sheets reads above which a moved sheet's read waits for a later reconcile.
DEFER_READ_SHARE = 0.5


def sheet_read_can_wait(svc: Services, connection_id: str, p: Parts, now: float) -> bool:
    """The sheet was read in full within the safety-net interval, and the reads are busy right now."""
    last = seen(svc, connection_id)
    if not last or now - float(last.get("read_at", 0)) >= svc.settings.reconcile_full_read_s:
        return False
    reads = p.sheets.read_limiter
    if reads.pace_limit and reads.used(reads.pace_window_s) >= DEFER_READ_SHARE * reads.pace_limit:
        return True  # the read would wait for the pacer, holding a worker the edits need
    return reads.used() >= DEFER_READ_SHARE * reads.limit


def reconcile(svc: Services, connection_id: str, *, kind: str = "reconcile", progress=None) -> Report:
    """A reconcile that reads the sheet only when its Drive version moved (or the safety net is due),
    and when the reads are busy not even then, until the safety net is due."""
    progress = progress or (lambda phase, done, total: None)
    p = parts(svc, connection_id)
    before = version_of(svc, p.conn.spreadsheet_id)
    cursor = svc.redis.get(_cursor_key(connection_id))
    now = time.time()
    unchanged = bool(cursor) and sheet_unchanged(svc, connection_id, before, now)
    deferred = bool(cursor) and not unchanged and sheet_read_can_wait(svc, connection_id, p, now)
    if unchanged or deferred:
        leads, contacts, newest = amo_changes(p, int(float(cursor)))
        listed = p.amo.stats.calls
        waits = {"sheet_deferred": 1} if deferred else {}
        if not leads and not contacts:
            report = Report(kind, result={"quiet": 1, "healed": 0, **waits}, amo_calls=listed)
            amo_account.tenants(svc).set_fields(
                connection_id, last_sync={"at": time.time(), **report.to_json()}
            )
            return report
        report = run_sync(
            svc,
            connection_id,
            kind="amo",
            lead_ids=leads,
            contact_ids=contacts,
            progress=progress,
            journal_kind=kind,
        )
        if report.status == "finished":
            if report.sheets_calls:
                record_own_write(svc, connection_id, before)
            _advance_cursor(svc, connection_id, newest)
        report.kind, report.amo_calls = kind, report.amo_calls + listed
        # leads stamped in the cursor's last second are listed again each time: echoes, no sheet read
        report.result = {
            **report.result,
            **waits,
            **({"quiet_sheet": 1} if unchanged else {}),
            **({"quiet": 1} if not report.sheets_calls else {}),
        }
        res = report.result  # rows that needed something, as a full reconcile counts them
        res["healed"] = max(0, res.get("rows", 0) - res.get("unchanged", 0) - res.get("errors", 0))
        return report
    report = run_sync(svc, connection_id, kind=kind, progress=progress)
    if report.status == "finished":
        record_full_read(svc, connection_id, p.conn.spreadsheet_id, before)
        record_own_write(svc, connection_id, before)
    return report
