"""RQ jobs: thin functions that take ids, build services, and call `run_sync` (or the token upkeep).

Entry points put work in Redis first and enqueue a job only if none is pending (a flag per connection
or account), so a burst of 100 edits or webhooks becomes one job that drains them all:
- `request_edits(conn, rows)`       rows from the onEdit trigger  -> `apply_sheet_edits`
- `request_amo_drain(acct, …)`      ids from the webhook intake   -> `apply_amo_changes`
- `request_reconcile(conn)`         the schedule (`reconcile_all`) -> `reconcile`, one queued at most
The job clears the flag before draining, so anything arriving meanwhile gets a new job.
Transient failures (amoCRM/Sheets unavailable, rate limited, a busy lock) raise and RQ retries the job
with backoff; permanent ones (blocked account, lost grant, sheet not shared) are recorded on the
connection for the sidebar and the job ends.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterable, Mapping

import redis
from rq import Retry, get_current_job

from backend import queues, services, shutdown
from backend.amocrm import account as amo_account
from backend.amocrm.errors import AmoAuthError, AmoBlocked, AmoUnavailable
from backend.logs import log_context
from backend.security.crypto import Cipher
from backend.sheets.client import SheetsAccessDenied
from backend.store import keys
from backend.store.tokens import TokenStore
from backend.sync import edit_answers, edit_run, quiet
from backend.sync.columns import SheetLayoutChanged
from backend.sync.run import NotReady, Report, run_sync

log = logging.getLogger(__name__)

RETRY = Retry(max=5, interval=[5, 15, 60, 180, 600])
PERMANENT = (AmoBlocked, AmoAuthError, SheetsAccessDenied, NotReady, SheetLayoutChanged)

# Keep the newest edit time per row key (a late, older edit never moves it back).
_MAX_HSET = """
for i = 1, #ARGV, 2 do
  local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  if tonumber(ARGV[i + 1]) > cur then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  end
end
return 1
"""


def _progress(phase: str, done: int, total: int) -> None:
    if phase not in ("recording history", "done"):  # after the sheet write, finishing beats stopping
        shutdown.checkpoint()  # called between batches, once their work is recorded: a safe place to stop
    job = get_current_job()
    if job is None:
        return
    job.meta["progress"] = {
        "phase": phase,
        "done": done,
        "total": total,
        "percent": round(100 * done / total, 1) if total else 0.0,
    }
    job.save_meta()


AUTOMATIC = ("amo", "reconcile", "edits")  # runs nobody watches: a tripped guard must reach the sidebar


def _finish(connection_id: str, report: Report) -> dict:
    job = get_current_job()
    if job is not None:
        job.meta["report"] = report.to_json()
        job.save_meta()
    if report.status == "finished":
        amo_account.tenants(services.current()).set_fields(connection_id, last_error="")
    elif report.status == "waiting_confirmation" and report.kind in AUTOMATIC:
        reasons = "; ".join(g["reason"] for g in report.guards if g["tripped"])
        source = "the sheet" if report.kind == "edits" else "amoCRM"
        amo_account.tenants(services.current()).set_fields(
            connection_id,
            last_error=f"Changes from {source} are waiting for confirmation ({reasons}). "
            "Run a sync from the sidebar to review and confirm them.",
        )
    log.info(
        "connection %s: %s run %s: %s",
        connection_id,
        report.kind,
        report.status,
        report.result or report.preview,
        extra={"duration_ms": report.duration_ms, "phases_ms": report.phases_ms},
    )
    return report.to_json()


def _permanent(connection_id: str, exc: Exception) -> dict:
    svc = services.current()
    amo_account.tenants(svc).set_fields(connection_id, last_error=str(getattr(exc, "detail", exc)))
    job = get_current_job()
    problem = {"code": str(getattr(exc, "code", "error")), "detail": str(getattr(exc, "detail", exc))}
    if job is not None:
        job.meta["error"] = problem
        job.save_meta()
    log.warning("connection %s: run stopped: %s", connection_id, problem["detail"])
    return {"status": "failed", "error": problem}


def _run_as_job(connection_id: str, runner=run_sync, **kwargs) -> dict:
    """`runner` for the connection as the current RQ job: its logs carry the job id, the sheet writes it
    makes are marked as ours, a permanent error is recorded and answered, a shutdown puts the job back."""
    job = get_current_job()
    svc = services.current()
    with log_context(connection_id=connection_id, job_id=job.id if job else None):
        try:
            after = quiet.watch(svc, connection_id, kwargs.get("kind", ""))  # our own sheet writes
            report = runner(svc, connection_id, progress=_progress, **kwargs)
            after(report)
            return _finish(connection_id, report)
        except PERMANENT as exc:
            return _permanent(connection_id, exc)
        except shutdown.StopRequested:
            if job is not None:
                shutdown.resume_at_once(job)  # RQ's failure path re-enqueues it, no retry spent
            log.info("connection %s: run stopped at a batch boundary for a shutdown", connection_id)
            raise


# --- jobs --------------------------------------------------------------------------------------------


def full_sync(connection_id: str, preview: bool = False, confirm: bool = False) -> dict:
    return _run_as_job(connection_id, kind="full", preview=preview, confirm=confirm)


def reconcile(connection_id: str) -> dict:
    services.current().redis.delete(keys.reconcile_queued(connection_id))  # later requests get a new run
    return _run_as_job(
        connection_id, runner=quiet.reconcile, kind="reconcile"
    )  # reads the sheet only if it moved


def apply_sheet_edits(connection_id: str) -> dict:
    client = services.current().redis
    client.delete(keys.edits_queued(connection_id))
    taken: dict[str, dict] = {}
    deferred: dict[str, float] = {}  # rows the edit run leaves to a run that reads the sheet

    def take() -> dict[str, dict]:  # under the connection's lock: what arrived meanwhile joins this run
        taken.update(edit_answers.take_sent(client, connection_id))
        return dict(taken)

    try:
        # rows with values: no sheet read
        out = _run_as_job(connection_id, runner=edit_run.run_edits, take=take, defer=deferred.update)
    except Exception:
        edit_answers.store_values(client, connection_id, taken)
        _requeue_edits(client, connection_id, {k: float(v["edited_at"]) for k, v in taken.items()})
        raise
    pending = {**deferred, **edit_answers.take_unsent(client, connection_id)}
    if not pending:  # rows sent without values (a retry, an older add-on) are read from the sheet
        return out
    try:
        return _run_as_job(connection_id, kind="edits", keys=sorted(pending))
    except Exception:
        _requeue_edits(client, connection_id, pending)
        raise


def write_late_answers(connection_id: str) -> dict:
    """Edit answers nobody waited for (the add-on's request gave up), gathered per connection and written
    through the Sheets API in one go, on the `sync` queue: edits and amoCRM's changes go first."""
    return _run_as_job(connection_id, runner=edit_run.write_late, kind="answers")


def apply_amo_changes(account_id: int) -> dict:
    client = services.current().redis
    space_drains(client, account_id)
    client.delete(keys.drain_queued(account_id))
    pipe = client.pipeline(transaction=True)
    for name in ("leads", "contacts"):
        pipe.smembers(keys.changed(name, account_id))
        pipe.delete(keys.changed(name, account_id))
    leads, _, contacts, _ = pipe.execute()
    lead_ids, contact_ids = {int(x) for x in leads}, {int(x) for x in contacts}
    if not lead_ids and not contact_ids:
        return {"status": "finished"}
    svc = services.current()
    results = {}
    try:
        for cid in amo_account.tenants(svc).live_connections_of(account_id):
            results[cid] = _run_as_job(cid, kind="amo", lead_ids=lead_ids, contact_ids=contact_ids)
    except Exception:
        request_amo_drain(client, account_id, lead_ids, contact_ids, enqueue=False)
        raise
    return {"status": "finished", "connections": results}


def reconcile_all() -> dict:
    """Scheduled: a reconcile for every connection that has a mapping and none waiting already."""
    svc = services.current()
    count = skipped = 0
    for raw in svc.redis.scan_iter(keys.connection("*")):
        cid = raw.decode().split(":", 1)[1]
        if svc.redis.hget(raw, "mapping"):
            if request_reconcile(svc.redis, cid)[1]:
                count += 1
            else:
                skipped += 1
    return {"enqueued": count, "already_queued": skipped}


def refresh_tokens(now: float | None = None) -> dict:
    """Scheduled: refresh grants idle for two weeks, long before amoCRM's 3-month lapse."""
    svc = services.current()
    refreshed, failed, busy = [], [], []
    tenants = amo_account.tenants(svc)
    for account_id in TokenStore(svc.redis, Cipher(svc.settings.token_encryption_keys)).accounts():
        account = tenants.account(account_id)
        if account is None:
            continue
        try:
            if amo_account.token_manager(svc, account).refresh_if_idle(now):
                refreshed.append(account_id)
        except AmoAuthError:
            failed.append(account_id)
        except AmoUnavailable:  # amoCRM busy for this account: the others still get their keep-alive
            busy.append(account_id)
    return {"refreshed": refreshed, "needs_reconnect": failed, "busy": busy}


# --- entry points --------------------------------------------------------------------------------------


def request_edits(
    client: redis.Redis,
    connection_id: str,
    edits: Mapping[str, float],
    rows: Mapping[str, dict] | None = None,
) -> str | None:
    """Record edited row keys with their edit times (and the rows' values, when the add-on sent them);
    enqueue one job unless one is pending."""
    pipe = client.pipeline(transaction=True)  # a run never sees a row's edit time without its values
    edit_answers.store_values(pipe, connection_id, rows or {})
    _requeue_edits(pipe, connection_id, edits)
    pipe.execute()
    if client.set(keys.edits_queued(connection_id), 1, nx=True, ex=3600):
        job = queues.enqueue(client, queues.EDITS, apply_sheet_edits, connection_id, retry=RETRY)
        return job.id
    return None


# A queued reconcile and its marker expire together: a job lost from the queue never blocks the next.
RECONCILE_WAIT_S = 3600


def request_reconcile(client: redis.Redis, connection_id: str) -> tuple[str, bool]:
    """At most one queued reconcile per connection (the marker is set before the job exists, in one SET
    NX, so two schedulers or a scheduler and a person cannot both enqueue). -> (job id, newly queued).
    The job deletes the marker when it starts: a request made during a run gets a run of its own."""
    job_id = keys.job_id("reconcile", connection_id, secrets.token_hex(6))
    marker = keys.reconcile_queued(connection_id)
    if not client.set(marker, job_id, nx=True, ex=RECONCILE_WAIT_S):
        return (client.get(marker) or b"").decode(), False
    try:
        queues.enqueue(
            client,
            queues.SYNC,
            reconcile,
            connection_id,
            job_id=job_id,
            retry=RETRY,
            ttl=RECONCILE_WAIT_S,
            meta={"connection_id": connection_id, "kind": "reconcile"},
        )
    except Exception:
        client.delete(marker)  # no job behind it: the next request must be free to enqueue one
        raise
    return job_id, True


def _requeue_edits(client, connection_id: str, edits: Mapping[str, float]) -> None:
    if not edits:
        return
    args = [x for k, t in edits.items() for x in (k, repr(float(t)))]
    client.eval(_MAX_HSET, 2, keys.edits(connection_id), keys.edited_at(connection_id), *args)


def request_amo_drain(
    client: redis.Redis,
    account_id: int,
    lead_ids: Iterable[int],
    contact_ids: Iterable[int],
    *,
    enqueue: bool = True,
) -> str | None:
    pipe = client.pipeline()
    if lead_ids := list(lead_ids):
        pipe.sadd(keys.changed("leads", account_id), *lead_ids)
    if contact_ids := list(contact_ids):
        pipe.sadd(keys.changed("contacts", account_id), *contact_ids)
    pipe.execute()
    if enqueue and client.set(keys.drain_queued(account_id), 1, nx=True, ex=3600):
        return queues.enqueue(client, queues.WEBHOOKS, apply_amo_changes, account_id, retry=RETRY).id
    return None


DRAIN_SPACING_S = 1.0


def space_drains(client: redis.Redis, account_id: int) -> float:
    """At most one drain of an account starts per DRAIN_SPACING_S: a drain that follows another too soon
    waits out the rest (the one queued drain meanwhile gathers every change that arrives), so a flood of
    webhooks — amoCRM's, or forged from a leaked hook URL — cannot spend the account's amoCRM requests.
    Returns the seconds waited."""
    wait_s = max(0, client.pttl(_drain_recent(account_id))) / 1000
    if wait_s:
        time.sleep(wait_s)
    client.set(_drain_recent(account_id), 1, px=int(DRAIN_SPACING_S * 1000))
    return wait_s


def _drain_recent(account_id: int) -> str:
    return keys.drain_recent(account_id)


def check_webhooks() -> dict:
    """Scheduled: notice webhooks amoCRM disabled (after failures) and register them again."""
    from backend.amocrm.connect import check_webhook
    from backend.amocrm.errors import AmoError

    svc = services.current()
    tenants = amo_account.tenants(svc)
    states = {}
    for account_id in TokenStore(svc.redis, Cipher(svc.settings.token_encryption_keys)).accounts():
        account = tenants.account(account_id)
        if account is None or account.blocked or not tenants.connections_of(account_id):
            continue
        try:
            states[account_id] = check_webhook(svc, account)
        except AmoError as exc:
            states[account_id] = f"failed: {exc.detail}"
    return states
