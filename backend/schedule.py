"""The schedule: `python -m backend scheduler` runs RQ's cron scheduler (one process; it only enqueues,
the workers run the jobs). On Cloud Run it can share the worker service; Cloud Scheduler calling
`python -m backend enqueue <job>` through a Cloud Run job is the alternative (docs/deploy.md).
"""

from __future__ import annotations

import logging

from rq.cron import CronScheduler

from backend import queues, services
from backend.sync import jobs

log = logging.getLogger(__name__)

# job -> (queue, seconds between runs)
SCHEDULE = {
    jobs.reconcile_all: (
        queues.DEFAULT,
        15 * 60,
    ),  # heals webhooks amoCRM dropped and edits the trigger missed
    jobs.check_webhooks: (queues.DEFAULT, 60 * 60),
    jobs.refresh_tokens: (queues.DEFAULT, 24 * 60 * 60),  # grants lapse after 3 idle months
}


def run() -> None:
    svc = services.bootstrap()
    scheduler = CronScheduler(
        connection=svc.redis, logging_level=svc.settings.log_level, name="sheets-amo-sync"
    )
    for func, (queue, interval) in SCHEDULE.items():
        scheduler.register(func, queue, interval=interval, name=func.__name__)
        log.info("scheduler: %s every %d s on %s", func.__name__, interval, queue)
    scheduler.start()
