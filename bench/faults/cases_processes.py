"""Faults of the product's own processes: a worker killed mid-import, Redis restarted mid-run."""

from __future__ import annotations

from bench.faults.suite import Context, Result, check, finish, new_tenant, rq_job, wait_phase


def worker_killed(ctx: Context) -> Result:
    """kill -9 of the worker running an import (and its work horse), halfway through creating leads;
    a new worker process starts. RQ notices the abandoned job, retries it; the retry adopts the leads
    the dead run created (write intents) and finishes — nothing twice."""
    rows = ctx.size(5000, 2000)
    tenant, expected = new_tenant(ctx, "kill9", rows, bad=ctx.size(40, 6))
    job_id = tenant.start_sync()
    job = wait_phase(ctx, job_id, "creating leads", min_done=ctx.size(2500, 500))
    victim = job.worker_name
    done = (job.meta.get("progress") or {}).get("done")
    killed = ctx.product.kill_worker(victim)
    notes = [] if len(killed) >= 2 else [f"the work horse was not among the killed processes {killed}"]
    if rq_job(ctx, job_id).get_status() != "started":  # the case proves nothing unless it hit mid-job
        notes.append(f"the kill came too late: the job was {rq_job(ctx, job_id).get_status()}")
    ctx.product.start_worker(f"{victim}-restarted")
    job = finish(ctx, tenant, job_id)
    if job["status"] != "finished":
        notes.append(f"the import ended {job['status']}: {job.get('error')}")
    return Result(
        f"kill -9 of {victim} + its work horse at {done}/{rows} leads; new worker started",
        check(tenant, expected),
        notes,
    )


def redis_restarted(ctx: Context) -> Result:
    """Redis (AOF on) stopped and started again while an import creates contacts: the running job loses
    its connection; the work resumes from what Redis kept and ends with everything synced once."""
    rows = ctx.size(3000, 1000)
    tenant, expected = new_tenant(ctx, "redis", rows, bad=ctx.size(20, 4))
    job_id = tenant.start_sync()
    wait_phase(ctx, job_id, "creating contacts", min_done=250)
    ctx.product.restart_redis()
    job = finish(ctx, tenant, job_id)
    notes = [] if job["status"] == "finished" else [f"the import ended {job['status']}: {job.get('error')}"]
    status = rq_job(ctx, job_id).get_status()
    if status != "finished":
        notes.append(f"the job is {status} in RQ")
    return Result(
        "redis-server restarted (AOF) while contacts were being created", check(tenant, expected), notes
    )
