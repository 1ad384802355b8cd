"""A job whose worker died goes back on its queue at once; a job that failed on its own still backs off.

Runs RQ's own cleaning of the started-job registry (what a live worker's maintenance calls) against a
real Redis, with the handler the product's worker installs.
"""

from __future__ import annotations

from rq import Queue, Retry
from rq.job import JobStatus
from rq.registry import ScheduledJobRegistry, StartedJobRegistry, clean_registries

from backend.worker import GracefulWorker

RETRY = Retry(max=3, interval=[5, 15, 60])


def _abandoned_job(redis_client, queue: Queue):
    """A job a worker took and then stopped beating for: STARTED, its registry entry expired."""
    job = queue.enqueue("backend.worker.heartbeat", retry=RETRY)
    queue.remove(job)
    job.set_status(JobStatus.STARTED)
    registry = StartedJobRegistry(queue.name, connection=redis_client)
    redis_client.zadd(registry.key, {f"{job.id}:execution-1": 1})  # expired long ago
    return job


def test_a_job_of_a_killed_worker_is_requeued_at_once_and_spends_one_retry(redis_client):
    queue = Queue("sync", connection=redis_client)
    worker = GracefulWorker([queue], connection=redis_client)
    job = _abandoned_job(redis_client, queue)

    clean_registries(queue, [worker.handle_abandoned])

    job.refresh()
    assert job.id in queue.job_ids, "the job waits instead of going back on its queue"
    assert job.id not in ScheduledJobRegistry(queue=queue)
    assert job.retries_left == 2
    assert job.retry_intervals == [0, 15, 60]  # a later failure of the job itself still backs off 15 s


def test_without_the_handler_rq_schedules_the_retry(redis_client):
    """What the handler changes: RQ alone schedules it by the first interval (then waits for a scheduler)."""
    queue = Queue("sync", connection=redis_client)
    job = _abandoned_job(redis_client, queue)

    clean_registries(queue, [])

    assert job.id not in queue.job_ids
    assert job.id in ScheduledJobRegistry(queue=queue)


def test_a_job_that_failed_on_its_own_is_not_hurried(redis_client):
    queue = Queue("sync", connection=redis_client)
    worker = GracefulWorker([queue], connection=redis_client)
    job = queue.enqueue("backend.worker.heartbeat", retry=RETRY)

    assert worker.handle_abandoned(job, ValueError, ValueError("bad row"), None) is True
    assert job.retry_intervals == [5, 15, 60]
