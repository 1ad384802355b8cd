"""Faults of deploys: a worker told to shut down mid-import (Cloud Run's SIGTERM), and an old and a new
scheduler running at once."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from rq.job import Job
from rq.registry import FinishedJobRegistry

from backend import queues
from backend.schedule import SCHEDULE
from bench.faults.suite import Context, Result, check, finish, imported, new_tenant, rq_job, wait_phase

STOP_BUDGET_S = 10.0  # Cloud Run's grace between SIGTERM and SIGKILL


def worker_sigterm(ctx: Context) -> Result:
    """SIGTERM to the worker running an import, halfway through creating leads (a deploy). The job stops at
    its next batch, is back in the queue at once with its retries untouched, and another worker finishes
    it: nothing lost, nothing twice."""
    rows = ctx.size(5000, 2000)
    tenant, expected = new_tenant(ctx, "sigterm", rows, bad=ctx.size(40, 6))
    job_id = tenant.start_sync()
    job = wait_phase(ctx, job_id, "creating leads", min_done=ctx.size(1500, 500))
    victim, retries = job.worker_name, job.retries_left
    done = (job.meta.get("progress") or {}).get("done")
    child = ctx.product.workers.pop(victim)
    sent = time.monotonic()
    child.process.send_signal(signal.SIGTERM)
    notes = []
    try:
        child.process.wait(timeout=STOP_BUDGET_S)
    except subprocess.TimeoutExpired:
        notes.append(f"the worker was still running {STOP_BUDGET_S:.0f} s after SIGTERM (Cloud Run kills it)")
        child.process.kill()
        child.process.wait()
    stopped_s = time.monotonic() - sent
    after = rq_job(ctx, job_id)
    if after.get_status() not in ("queued", "started"):  # "started": another worker already took it
        notes.append(f"after the shutdown the job was {after.get_status()}, not back in the queue")
    resumed_s = _wait_started_again(ctx, job_id, victim, sent)
    if resumed_s is None:
        notes.append("no other worker took the job up within 30 s")
    ctx.product.start_worker(f"{victim}-next")
    final = finish(ctx, tenant, job_id)
    if final["status"] != "finished":
        notes.append(f"the import ended {final['status']}: {final.get('error')}")
    end = rq_job(ctx, job_id)
    if end.retries_left != retries:
        notes.append(f"retries left went from {retries} to {end.retries_left}: the shutdown spent one")
    if int(end.meta.get("interrupted", 0)) != 1:
        notes.append(f"the job records {end.meta.get('interrupted')} interruptions, not 1")
    resumed = f"resumed after {resumed_s:.1f} s" if resumed_s is not None else "not resumed"
    return Result(
        f"SIGTERM to {victim} at {done}/{rows} leads; stopped in {stopped_s:.1f} s, {resumed}",
        check(tenant, expected),
        notes,
    )


def _wait_started_again(ctx: Context, job_id: str, victim: str, since: float) -> float | None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job = rq_job(ctx, job_id)
        if job.get_status() in ("started", "finished") and job.worker_name and job.worker_name != victim:
            return time.monotonic() - since
        time.sleep(0.05)
    return None


def two_schedulers(ctx: Context) -> Result:
    """Two scheduler processes start together (an old and a new revision overlapping). RQ's cron runs every
    job at start, so each enqueues all of them; each job does its work once per interval."""
    tenant, expected = imported(ctx, "sched", ctx.size(300, 100))
    r = ctx.product.redis
    for key in r.scan_iter(match="sched:*"):  # a tick claimed by an earlier case's run
        r.delete(key)
    started = time.time()
    argv = [sys.executable, "-m", "backend", "scheduler"]
    procs = [ctx.product.stack.spawn(f"scheduler-{i}", argv) for i in (1, 2)]
    notes = []
    runs: dict[str, list[dict]] = {}
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            runs = _scheduled_runs(ctx, started)
            if sum(len(v) for v in runs.values()) >= 2 * len(SCHEDULE):
                break
            time.sleep(0.2)
    finally:
        for p in procs:
            p.process.send_signal(signal.SIGTERM)
        for p in procs:
            p.process.wait(timeout=30)
    for name in SCHEDULE:
        results = runs.get(name, [])
        worked = [x for x in results if "skipped" not in x]
        if len(results) != 2 or len(worked) != 1:
            notes.append(f"{name}: {len(results)} enqueued, {len(worked)} did the work (want 2 and 1)")
    finish(ctx, tenant, tenant.start_sync())  # the product still syncs, and the sheet is as it should be
    faults = f"two schedulers started together; each enqueued all {len(SCHEDULE)} jobs"
    return Result(faults, check(tenant, expected), notes)


def _scheduled_runs(ctx: Context, since: float) -> dict[str, list[dict]]:
    """name -> return values of the scheduled jobs that finished since `since`."""
    r = ctx.product.redis
    out: dict[str, list[dict]] = {}
    for job_id in FinishedJobRegistry(queues.DEFAULT, connection=r).get_job_ids():
        job = Job.fetch(job_id, connection=r)
        if job.func_name != "backend.schedule.run_scheduled" or job.enqueued_at.timestamp() < since - 1:
            continue
        out.setdefault(job.args[0], []).append(job.return_value() or {})
    return out
