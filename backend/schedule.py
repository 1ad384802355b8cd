"""The schedule: `python -m backend scheduler` runs RQ's cron scheduler (it only enqueues, the workers
run the jobs). Cloud Scheduler calling `python -m backend enqueue <job>` through a Cloud Run job is the
alternative (docs/deploy.md).

Connections whose amoCRM account has no working webhook (amoCRM refused the registration: it needs an
administrator, and some Kommo plans have no API webhooks) learn nothing from amoCRM by themselves:
`reconcile_unhooked` reconciles them every 2 minutes instead of every 15.

Once per interval, whatever the number of schedulers: RQ's cron runs every job when it starts, and during
a deploy an old and a new scheduler overlap (and Cloud Scheduler may be wired as well). Each scheduled job
is enqueued as `run_scheduled(name)`, which first claims the job for a little less than its interval —
`SET sched:{name} NX EX lease` — and does nothing if another run holds the claim. A lease rather than a
wall-clock tick (`now // interval`): two schedulers started together whose runs straddle a tick boundary
would each claim a different tick, and the lease expires on Redis's clock, not on each machine's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from rq.cron import CronScheduler

from backend import queues, services
from backend.amocrm import account as amo_account
from backend.security.crypto import Cipher
from backend.store import keys
from backend.store.tokens import OK, TokenStore
from backend.sync import jobs

log = logging.getLogger(__name__)

UNHOOKED_EVERY_S = 2 * 60


def reconcile_unhooked() -> dict:
    """A reconcile for every mapped connection whose account's webhook is not active (one pending at a
    time per connection, the same flag the sidebar's reconcile uses)."""
    svc = services.current()
    t = amo_account.tenants(svc)
    store = TokenStore(svc.redis, Cipher(svc.settings.token_encryption_keys))
    enqueued = []
    for account_id in store.accounts():
        account = t.account(account_id)
        tokens = store.get(account_id)
        if (
            account is None
            or account.webhook == "active"
            or account.blocked
            or not tokens
            or tokens.status != OK
        ):
            continue
        for cid in t.connections_of(account_id):
            job_id = keys.job_id("reconcile", cid, str(int(time.time())))
            if svc.redis.hget(keys.connection(cid), "mapping") and svc.redis.set(
                keys.reconcile_queued(cid), job_id, nx=True, ex=3600
            ):
                queues.enqueue(svc.redis, queues.SYNC, jobs.reconcile, cid, job_id=job_id, retry=jobs.RETRY)
                enqueued.append(cid)
    return {"enqueued": len(enqueued)}


# job name -> (job, queue, seconds between runs)
SCHEDULE: dict[str, tuple[Callable[[], dict], str, int]] = {
    # heals webhooks amoCRM dropped and edits the trigger missed
    "reconcile_all": (jobs.reconcile_all, queues.DEFAULT, 15 * 60),
    "check_webhooks": (jobs.check_webhooks, queues.DEFAULT, 60 * 60),
    "refresh_tokens": (jobs.refresh_tokens, queues.DEFAULT, 24 * 60 * 60),  # grants lapse after 3 idle months
    "reconcile_unhooked": (reconcile_unhooked, queues.DEFAULT, UNHOOKED_EVERY_S),
}


def lease_s(name: str) -> int:
    """How long a run holds its job: the interval less a minute (less half of it for intervals under two
    minutes), so the next regular run finds the claim gone even when it starts a little earlier in its
    interval than this one did, and a second scheduler's run inside the interval finds it held."""
    interval = SCHEDULE[name][2]
    return interval - min(60, interval // 2)


def claim(client, name: str) -> bool:
    """True for the first caller since the last claim of this job expired."""
    return bool(client.set(keys.schedule_claim(name), 1, nx=True, ex=lease_s(name)))


def run_scheduled(name: str) -> dict:
    """The scheduled job `name`, unless a run of it within its interval already did the work."""
    if not claim(services.current().redis, name):
        log.info("scheduler: %s already ran this interval; skipped", name)
        return {"skipped": "already ran this interval"}
    return SCHEDULE[name][0]()


def run() -> None:
    svc = services.bootstrap()
    scheduler = CronScheduler(connection=svc.redis, logging_level=svc.settings.log_level)
    for name, (_func, queue, interval) in SCHEDULE.items():
        scheduler.register(run_scheduled, queue, args=(name,), interval=interval, name=name)
        log.info("scheduler: %s every %d s on %s", name, interval, queue)
    scheduler.start()
