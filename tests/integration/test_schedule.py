"""Each scheduled job does its work once per interval however many schedulers enqueue it (an old and a new
revision overlapping in a deploy, or Cloud Scheduler wired as well) — real Redis."""

from __future__ import annotations

import time

import pytest

from backend import schedule
from backend.store import keys


@pytest.mark.parametrize("name", sorted(schedule.SCHEDULE))
def test_a_second_run_within_the_interval_does_nothing(redis_client, name):
    assert schedule.claim(redis_client, name)
    assert not schedule.claim(redis_client, name)  # the other scheduler's run, seconds later
    ttl = redis_client.ttl(keys.schedule_claim(name))
    interval = schedule.SCHEDULE[name][2]
    # held for most of the interval, gone before the next regular run
    assert interval // 2 <= schedule.lease_s(name) < interval
    assert schedule.lease_s(name) - 2 <= ttl <= schedule.lease_s(name)


def test_the_claim_is_not_tied_to_the_wall_clock(redis_client, monkeypatch):
    # The regression: with a tick of `now // interval`, two runs on either side of 06:00:00 both worked.
    quarter = 15 * 60
    boundary = (time.time() // quarter + 1) * quarter
    monkeypatch.setattr(time, "time", lambda: boundary - 0.5)
    assert schedule.claim(redis_client, "reconcile_all")
    monkeypatch.setattr(time, "time", lambda: boundary + 0.5)
    assert not schedule.claim(redis_client, "reconcile_all")


def test_the_next_interval_runs_again_once_the_claim_expired(redis_client):
    assert schedule.claim(redis_client, "reconcile_unhooked")
    redis_client.pexpire(keys.schedule_claim("reconcile_unhooked"), 50)  # the lease running out
    time.sleep(0.1)
    assert schedule.claim(redis_client, "reconcile_unhooked")
