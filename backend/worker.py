"""The queue worker process: `python -m backend worker [--burst] [--queues edits,sync]`.

Owns the worker bootstrap (settings, logging, Redis — built once, so every job finds them in
`backend.services.current()`), how a job is run, the graceful shutdown, and the maintenance jobs that
belong to no single connection (`heartbeat`).

How a job runs: jobs of the `sync` queue (imports, full syncs, reconciles: their size has no bound) get
a work horse of their own, forked per job as RQ does, so their memory goes back to the system when they
end. Jobs of the other queues (an edit, a drain of amoCRM's changes, maintenance: small and many) run in
the worker's own process: a fork cost more CPU than such a job (docs/performance.md). A thread beats
for them while they run, as RQ's worker does for a horse, so a worker killed mid-job is still noticed
within seconds; after each, the per-process caches that a horse would have taken with it are emptied,
so no tenant's data stays in the worker.

Shutdown: on SIGTERM (Cloud Run gives 10 s before SIGKILL) RQ's warm shutdown waits for the running job;
`GracefulWorker` also asks that job to stop at its next batch boundary (SIGUSR1 to a work horse, the flag
itself for a job in the process), and it is re-enqueued at once without spending a retry
(`backend/shutdown.py`). A second SIGTERM is RQ's cold shutdown (the job is killed).
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Sequence

import redis
from rq import Worker, get_current_job
from rq.exceptions import AbandonedJobError
from rq.worker import WorkerStatus

from backend import queues, services, shutdown
from backend.store import keys

log = logging.getLogger(__name__)

HEARTBEAT_KEY = keys.worker_heartbeat()

# Beat, clean and dequeue often: a killed worker's job resumes only at a cleaning after its heartbeat expired.
JOB_MONITORING_INTERVAL_S = 5
MAINTENANCE_INTERVAL_S = 15
WORKER_TTL_S = 30  # the dequeue waits WORKER_TTL_S - 15
# How long past a missed beat a running job counts as abandoned. RQ's fixed 60 s made a killed worker's
# sync wait over a minute; three missed beats are enough here, and a job wrongly thought abandoned while
# its worker stalls is still safe: its retry waits for the connection's run lock.
ABANDONED_MARGIN_S = 15
# Queues whose jobs run in the worker's process (see the module's docstring); the rest fork a horse.
IN_PROCESS_QUEUES = frozenset({queues.EDITS, queues.WEBHOOKS, queues.DEFAULT})


class GracefulWorker(Worker):
    """RQ's worker, whose warm shutdown also asks the running job to stop at its next batch boundary."""

    _in_process_job = False  # True while a job of IN_PROCESS_QUEUES runs here

    def setup_work_horse_signals(self) -> None:
        super().setup_work_horse_signals()
        shutdown.install_in_work_horse()

    def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:
        """RQ's own rule with `ABANDONED_MARGIN_S` in place of its 60 s."""
        beat = self.job_monitoring_interval
        if job.timeout and job.timeout > 0:
            beat = min(job.timeout - working_time, beat)
        return int(beat) + ABANDONED_MARGIN_S

    def handle_abandoned(self, job, exc_type, exc_value, traceback) -> bool:
        """A job whose worker died (kill -9, out of memory, a lost instance) goes back on its queue at once.

        RQ schedules it by the job's first retry interval instead, and a scheduled job waits for a live
        scheduler: the dead worker's scheduler lock holds for another minute. The job is not at fault, so
        it is not backed off; it still spends one retry, so a job that kills its worker each time ends.
        """
        if exc_type is AbandonedJobError and job.retries_left and job.retry_intervals:
            intervals = list(job.retry_intervals)
            intervals[max(len(intervals) - job.retries_left, 0)] = 0  # the slot `job.retry` reads next
            job.retry_intervals = intervals
        return True  # let RQ's own handling (the retry) go on

    def execute_job(self, job, queue) -> None:
        if queue.name not in IN_PROCESS_QUEUES:
            super().execute_job(job, queue)  # fork a work horse
            return
        execution = self.prepare_execution(job)
        beats = _Beats(self, job, execution)
        self._in_process_job = True
        beats.start()
        try:
            self.perform_job(job, queue, execution)  # what RQ's SimpleWorker does
        finally:
            beats.stop()
            self._in_process_job = False
            forget_tenant_caches()
        self.set_state(WorkerStatus.IDLE)

    def request_stop(self, signum, frame) -> None:
        if self._in_process_job or self.horse_pid:
            log.info("worker %s: shutting down; asking the running job to stop at its next batch", self.name)
        if self._in_process_job:
            shutdown.request()
        elif self.horse_pid:
            try:
                os.kill(self.horse_pid, signal.SIGUSR1)
            except ProcessLookupError:
                pass  # the horse just finished
        super().request_stop(signum, frame)


class _Beats(threading.Thread):
    """Beats for a job that runs in the worker's process, every `job_monitoring_interval` as RQ's worker
    does while it waits for a horse. A late beat after the job ended is harmless: RQ only extends
    registry entries that still exist (`xx`) and drops a job key a beat re-created."""

    def __init__(self, worker: GracefulWorker, job, execution) -> None:
        super().__init__(name=f"beats-{job.id}", daemon=True)
        self._worker, self._job, self._execution = worker, job, execution
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(self._worker.job_monitoring_interval):
            try:
                self._worker.maintain_heartbeats(self._job, self._execution)
            except redis.RedisError as exc:  # the next beat tries again; three missed ones end the job
                log.warning("worker %s: heartbeat failed: %s", self._worker.name, type(exc).__name__)

    def stop(self) -> None:
        self._done.set()
        self.join()


def forget_tenant_caches() -> None:
    """Empty the per-process caches a job fills with a tenant's data (normalized e-mails and phones, the
    account's catalog), as a work horse would by exiting."""
    from backend.amocrm import account
    from backend.sync.core import normalize

    account.forget_catalogs()
    normalize.forget()


def heartbeat(note: str = "") -> dict:
    """A no-op job that proves a worker picks up work: records who ran it and when."""
    job = get_current_job()
    record = {
        "job_id": job.id if job else "",
        "note": note,
        "pid": str(os.getpid()),
        "host": socket.gethostname(),
        "at": f"{time.time():.3f}",
    }
    services.current().redis.hset(HEARTBEAT_KEY, mapping=record)
    log.info("worker: heartbeat %s", note)
    return record


def import_jobs() -> None:
    for module in queues.JOB_MODULES:
        importlib.import_module(module)


def warm_up(svc: services.Services) -> None:
    """Load, once in the parent, what every job would otherwise load after RQ forks its work horse: the
    job modules and all they import, the Sheets API resource tree (it renders every method's docstring)
    and the phone metadata of the default region. A horse inherits them, so no job pays for them."""
    import_jobs()
    from backend.sheets.client import api_resources
    from backend.sync.core import normalize

    api_resources(svc.settings.sheets_api_endpoint)
    normalize.phone("+7 912 000-00-00", svc.settings.default_phone_region)
    normalize.email("warm-up@example.com")


def run(queue_names: Sequence[str] = queues.ALL, *, burst: bool = False, name: str | None = None) -> bool:
    svc = services.bootstrap()
    warm_up(svc)
    unknown = [q for q in queue_names if q not in queues.ALL]
    if unknown:
        raise SystemExit(f"unknown queue(s) {', '.join(unknown)}; queues are {', '.join(queues.ALL)}")
    worker = GracefulWorker(
        [queues.queue(q, svc.redis) for q in queue_names],
        connection=svc.redis,
        name=name,
        job_monitoring_interval=JOB_MONITORING_INTERVAL_S,
        maintenance_interval=MAINTENANCE_INTERVAL_S,
        worker_ttl=WORKER_TTL_S,
    )
    worker.push_exc_handler(worker.handle_abandoned)
    log.info("worker: listening on %s%s", ", ".join(queue_names), " (burst)" if burst else "")
    return worker.work(burst=burst, logging_level=svc.settings.log_level, with_scheduler=True)
