"""The schedule: `python -m backend scheduler` runs RQ's cron scheduler (it only enqueues, the workers
run the jobs). Cloud Scheduler calling `python -m backend enqueue <job>` through a Cloud Run job is the
alternative (docs/deploy.md).

Once per tick, whatever the number of schedulers: RQ's cron runs every job when it starts, and during a
deploy an old and a new scheduler overlap (and Cloud Scheduler may be wired as well). Each scheduled job
is enqueued as `run_scheduled(name)`, which first claims the tick — `SET sched:{name}:{tick} NX` with the
tick the wall clock's `now // interval` — and does nothing if another run already claimed it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from rq.cron import CronScheduler

from backend import queues, services
from backend.sync import jobs

log = logging.getLogger(__name__)

# job name -> (job, queue, seconds between runs)
SCHEDULE: dict[str, tuple[Callable[[], dict], str, int]] = {
    # heals webhooks amoCRM dropped and edits the trigger missed
    "reconcile_all": (jobs.reconcile_all, queues.DEFAULT, 15 * 60),
    "check_webhooks": (jobs.check_webhooks, queues.DEFAULT, 60 * 60),
    "refresh_tokens": (jobs.refresh_tokens, queues.DEFAULT, 24 * 60 * 60),  # grants lapse after 3 idle months
}


def tick_key(name: str, now: float | None = None) -> str:
    interval = SCHEDULE[name][2]
    return f"sched:{name}:{int((time.time() if now is None else now) // interval)}"


def claim_tick(client, name: str, now: float | None = None) -> bool:
    """True for the first caller in this job's current tick; the key outlives the tick by one interval."""
    return bool(client.set(tick_key(name, now), 1, nx=True, ex=2 * SCHEDULE[name][2]))


def run_scheduled(name: str) -> dict:
    """The scheduled job `name`, unless this tick already ran it."""
    if not claim_tick(services.current().redis, name):
        log.info("scheduler: %s already ran this tick; skipped", name)
        return {"skipped": "already ran this tick"}
    return SCHEDULE[name][0]()


def run() -> None:
    svc = services.bootstrap()
    scheduler = CronScheduler(connection=svc.redis, logging_level=svc.settings.log_level)
    for name, (_func, queue, interval) in SCHEDULE.items():
        scheduler.register(run_scheduled, queue, args=(name,), interval=interval, name=name)
        log.info("scheduler: %s every %d s on %s", name, interval, queue)
    scheduler.start()
