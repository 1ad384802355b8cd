"""Stopping a running job at its next batch boundary when its worker is told to shut down.

Cloud Run sends SIGTERM and kills the container 10 s later. The worker (`worker.py`) passes the request
on to its work horse (SIGUSR1), where `request()` sets a flag; the job's progress callback — called after
every batch, once that batch's work is recorded (ledger, intents) — calls `checkpoint()`, which raises
`StopRequested`. The job then asks RQ to run it again at once without spending a retry (`resume_at_once`)
and the next worker carries on from what the ledger holds. A horse that reaches no boundary before the
container dies is the kill -9 case: RQ's abandoned-job detection resumes it later.
"""

from __future__ import annotations

import signal
import threading

from backend.errors import AppError

_requested = threading.Event()


class StopRequested(AppError, status=503):
    """The worker is shutting down: this job stops here and runs again at once elsewhere."""


def request(*_signal_args) -> None:
    _requested.set()


def install_in_work_horse() -> None:
    """SIGUSR1 asks this process (an RQ work horse) to stop at the next batch boundary."""
    _requested.clear()
    signal.signal(signal.SIGUSR1, request)


def checkpoint() -> None:
    """Raise StopRequested if a shutdown was requested; call only where the work done so far is recorded."""
    if _requested.is_set():
        raise StopRequested("the worker is shutting down; the job continues on another worker")


def resume_at_once(job) -> None:
    """Make RQ's failure path re-enqueue `job` at the front of its queue with no delay, leaving its count of
    retries and its later intervals as they were: one retry is added, with a zero interval at the index
    RQ will read next (RQ reads `intervals[len(intervals) - retries_left]`)."""
    left = job.retries_left or 0
    intervals = list(job.retry_intervals or [0])
    if len(intervals) < left:  # RQ repeats the first interval for the retries the list does not cover
        intervals = [intervals[0]] * (left - len(intervals)) + intervals
    intervals.insert(len(intervals) - left, 0)
    job.retry_intervals = intervals
    job.retries_left = left + 1
    job.enqueue_at_front_on_retry = True
    job.meta["interrupted"] = int(job.meta.get("interrupted", 0)) + 1
    job.save_meta()
