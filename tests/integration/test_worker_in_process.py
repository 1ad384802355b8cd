"""Where a job runs: small jobs (edits, drains, maintenance) in the worker's own process, `sync` jobs in a
forked work horse; a job in the process is still beaten for, stopped by a shutdown and leaves no tenant's
data behind. Against a real Redis and a real `python -m backend worker` process."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from rq import Queue
from rq.registry import StartedJobRegistry
from rq.worker import WorkerStatus

from backend import queues, shutdown, worker
from backend.sync.core import normalize
from tests.conftest import ROOT


def _burst_worker(*names: str) -> list[str]:
    return [sys.executable, "-m", "backend", "worker", "--burst", "--queues", ",".join(names)]


def test_small_jobs_run_in_the_worker_process_and_sync_jobs_in_a_horse(redis_client, subprocess_env):
    small = queues.enqueue(redis_client, queues.DEFAULT, "backend.worker.heartbeat", "small")
    big = queues.enqueue(redis_client, queues.SYNC, "backend.worker.heartbeat", "big")
    edit = queues.enqueue(redis_client, queues.EDITS, "backend.worker.heartbeat", "edit")

    argv = _burst_worker(queues.EDITS, queues.SYNC, queues.DEFAULT)
    proc = subprocess.run(argv, env=subprocess_env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr

    pids = {}
    for job in (small, big, edit):
        job.refresh()
        assert job.get_status() == "finished", job.exc_info
        pids[job.return_value()["note"]] = job.return_value()["pid"]
    assert pids["small"] == pids["edit"], "two small jobs ran in different processes"
    assert pids["big"] != pids["small"], "a sync job ran in the worker's process, not in a horse of its own"


def test_a_long_job_in_the_process_keeps_its_registry_entry_alive(redis_client, subprocess_env):
    """Without beats while it runs, a job longer than the abandoned margin would be taken for a dead
    worker's and run a second time."""
    queue = Queue(queues.DEFAULT, connection=redis_client)
    job = queue.enqueue("time.sleep", worker.JOB_MONITORING_INTERVAL_S + 3)
    registry = StartedJobRegistry(queues.DEFAULT, connection=redis_client)
    proc = subprocess.Popen(
        _burst_worker(queues.DEFAULT),
        env=subprocess_env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not redis_client.zcard(registry.key):
            assert time.monotonic() < deadline, "the worker did not start the job"
            time.sleep(0.05)
        first = redis_client.zrange(registry.key, 0, -1, withscores=True)[0][1]
        later = first
        while later <= first and job.get_status(refresh=True) == "started":
            time.sleep(0.2)
            entries = redis_client.zrange(registry.key, 0, -1, withscores=True)
            later = entries[0][1] if entries else later
        assert later > first, "no beat extended the running job's entry"
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
    assert job.get_status(refresh=True) == "finished"


def test_a_job_in_the_process_leaves_no_normalized_values_behind(redis_client):
    normalize.email("someone@example.com")  # what a job in this process would have cached
    queue = queues.queue(queues.DEFAULT, redis_client)
    queues.enqueue(redis_client, queues.DEFAULT, "backend.worker.heartbeat", "caches")
    w = worker.GracefulWorker([queue], connection=redis_client)
    w.work(burst=True)  # runs the job here: `default` is an in-process queue

    assert normalize.email.cache_info().currsize == 0
    assert normalize.phone.cache_info().currsize == 0


def test_a_shutdown_asks_the_job_in_the_process_to_stop(redis_client):
    w = worker.GracefulWorker([queues.queue(queues.EDITS, redis_client)], connection=redis_client)
    w.set_state(WorkerStatus.BUSY)  # as while it runs a job
    w._in_process_job = True
    try:
        w.request_stop(signal.SIGTERM, None)
        try:
            shutdown.checkpoint()
            stopped = False
        except shutdown.StopRequested:
            stopped = True
        assert stopped, "the running job was not asked to stop"
    finally:
        shutdown._requested.clear()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
