"""Queue names and how jobs are put on them — the one place that knows RQ's queue layout.

Queues, highest priority first (a worker listens to all of them in this order):
- `edits`    rows sent by the add-on's onEdit trigger; a person is waiting to see them in amoCRM
- `webhooks` drains of amoCRM changes collected by the webhook intake
- `sync`     full syncs, previews and reconciles (long, progress in job.meta)
- `default`  maintenance: token keep-alive, webhook health, heartbeats
"""

from __future__ import annotations

from typing import Any

import redis
from rq import Queue

EDITS = "edits"
WEBHOOKS = "webhooks"
SYNC = "sync"
DEFAULT = "default"
ALL = (EDITS, WEBHOOKS, SYNC, DEFAULT)

# Every module that defines a job function. A worker imports them before RQ forks its work horse for a
# job, so no job imports the backend again (where bytecode is not written, as in the image, that means
# compiling it: two thirds of a small job's time). `enqueue` refuses a function from any other module.
JOB_MODULES = ("backend.sync.jobs", "backend.sync.undo", "backend.schedule", "backend.worker")

# How long one attempt may run before RQ kills it: the work plus up to 10 minutes' wait for the lock.
TIMEOUT_S = {EDITS: 30 * 60, WEBHOOKS: 60 * 60, SYNC: 6 * 60 * 60, DEFAULT: 30 * 60}


def queue(name: str, connection: redis.Redis) -> Queue:
    if name not in ALL:
        raise ValueError(f"unknown queue {name!r}; queues are {', '.join(ALL)}")
    return Queue(name, connection=connection)


def enqueue(connection: redis.Redis, name: str, func: Any, *args: Any, **options: Any):
    """Enqueue `func(*args)` on queue `name`. `options` are RQ's (job_id, retry, meta, timeout, …)."""
    module = func.rpartition(".")[0] if isinstance(func, str) else getattr(func, "__module__", "")
    if module not in JOB_MODULES:
        raise ValueError(f"{module or func!r} is not a job module; add it to queues.JOB_MODULES")
    options.setdefault("timeout", TIMEOUT_S.get(name))
    return queue(name, connection).enqueue_call(func, args=args, **options)
