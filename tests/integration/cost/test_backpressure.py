"""At most one queued reconcile per connection (issue 15): the schedule's tick, a second scheduler and a
person pressing Reconcile all meet at one marker, set in one SET NX — real Redis, RQ's own worker."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from backend import queues
from backend.sync import jobs


def queued_reconciles(stack) -> list[str]:
    return [j for j in queues.queue(queues.SYNC, stack.redis).job_ids if j.startswith("reconcile-")]


def test_ticks_while_a_reconcile_waits_enqueue_nothing_more(small):
    assert jobs.reconcile_all() == {"enqueued": 1, "already_queued": 0}
    for _ in range(5):  # the worker is behind: five more ticks
        assert jobs.reconcile_all() == {"enqueued": 0, "already_queued": 1}
    assert len(queued_reconciles(small)) == 1
    # the person's Reconcile joins the waiting run instead of adding one
    r = small.call("POST", "/reconcile")
    assert r.status_code == 202 and r.json()["job_id"] == queued_reconciles(small)[0]
    small.work()
    job = small.call("GET", f"/jobs/{r.json()['job_id']}").json()
    assert job["status"] == "finished"
    # once it ran, the next tick queues a new one
    assert jobs.reconcile_all() == {"enqueued": 1, "already_queued": 0}
    assert len(queued_reconciles(small)) == 1


def test_requests_racing_from_many_threads_queue_one_job(small):
    with ThreadPoolExecutor(8) as pool:
        ask = lambda _: jobs.request_reconcile(small.redis, small.connection_id)  # noqa: E731
        results = list(pool.map(ask, range(32)))
    assert sum(1 for _, new in results if new) == 1
    assert len({job_id for job_id, _ in results}) == 1
    assert queued_reconciles(small) == [results[0][0]]


def test_a_lost_job_does_not_block_reconciles_for_longer_than_it_could_wait(small):
    job_id, new = jobs.request_reconcile(small.redis, small.connection_id)
    assert new
    marker_ttl = small.redis.ttl(f"reconcile-queued:{small.connection_id}")
    job_ttl = small.redis.ttl(f"rq:job:{job_id}")
    assert 0 < marker_ttl <= jobs.RECONCILE_WAIT_S and 0 < job_ttl <= jobs.RECONCILE_WAIT_S
