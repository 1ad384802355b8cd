"""Nothing changed, nothing read (issue 15): a reconcile of a connection where neither side changed costs
0 Sheets API calls, as the Sheets emulator counts them; a change on either side is still found — amoCRM's
through its updated_at cursor, the sheet's through its Drive version — and a full read still comes when
the safety-net interval has passed. While half the minute's reads are taken, a moved sheet's read waits
for a later reconcile (never the safety net's)."""

from __future__ import annotations

import time

from backend.store.ratelimit import SlidingWindowLimiter
from tests.integration.amocrm.conftest import HOST
from tests.integration.sync.test_scenarios import ids, keys_by_name


def reconcile(stack) -> dict:
    r = stack.call("POST", "/reconcile")
    assert r.status_code == 202, r.text
    stack.work()
    job = stack.call("GET", f"/jobs/{r.json()['job_id']}").json()
    assert job["status"] == "finished", job
    return job


def sheets_calls(stack) -> int:
    return sum(stack.sheets.admin.counters().values())


def quiet_twice(stack) -> None:
    """Whatever the last run did, the sheet is now in its seen state: two reconciles read nothing."""
    for _ in range(2):
        stack.sheets.admin.reset_counters()
        job = reconcile(stack)
        assert sheets_calls(stack) == 0 and job["result"]["quiet"] == 1, job


def test_a_quiet_connection_costs_no_sheets_call(small):
    reconcile(small)  # the first reconcile reads the sheet: nothing was seen yet
    quiet_twice(small)


def test_an_amo_change_whose_webhook_was_lost_reaches_the_sheet_and_the_next_run_is_quiet_again(small):
    reconcile(small)
    olga = ids(small)["Olga Smirnova"]
    small.amo.admin.set_faults(webhook_drop=100)
    small.amo.admin.manager_update_lead(HOST, olga, price=555)
    small.amo.admin.drain_webhooks()
    small.amo.admin.advance(2)
    job = reconcile(small)
    assert job["result"]["quiet_sheet"] == 1 and job["result"]["update_sheet"] == 1, job
    assert job["result"]["healed"] == 1
    assert small.row_of(keys_by_name(small)["Olga Smirnova"])["Бюджет"] == 555
    quiet_twice(small)  # our own write-back moved the sheet's version, and that is remembered


def test_an_edit_no_trigger_reported_is_found_by_the_drive_version(small):
    reconcile(small)
    small.edit("Leads!D2", [["4242"]])  # a person's edit, and no add-on delivered it
    small.sheets.admin.reset_counters()
    job = reconcile(small)
    assert sheets_calls(small) > 0 and "quiet" not in job["result"]
    ivan = ids(small)["Иван Петров"]
    assert next(x for x in small.leads() if x["id"] == ivan)["price"] == 4242
    quiet_twice(small)


def test_the_safety_net_reads_the_sheet_once_the_interval_has_passed(small):
    reconcile(small)
    interval = small.backend.settings.reconcile_full_read_s
    small.redis.hset(f"sheet-seen:{small.connection_id}", "read_at", repr(time.time() - interval - 1))
    small.sheets.admin.reset_counters()
    job = reconcile(small)
    assert sheets_calls(small) > 0 and "quiet" not in job["result"]
    quiet_twice(small)


def take_reads(stack, n: int) -> None:
    """Other connections' runs took `n` of this minute's Sheets reads."""
    s = stack.backend.settings
    reads = SlidingWindowLimiter(stack.redis, "sheets:read", s.sheets_reads_per_minute, window_s=60.0)
    for _ in range(n):
        reads.reserve()


def test_a_moved_sheet_waits_for_its_read_while_the_reads_are_busy_and_is_read_once_they_are_not(small):
    reconcile(small)
    small.edit("Leads!D2", [["4343"]])  # nobody delivered it: only a read of the sheet finds it
    take_reads(small, small.backend.settings.sheets_reads_per_minute // 2)
    small.sheets.admin.reset_counters()
    job = reconcile(small)
    assert sheets_calls(small) == 0 and job["result"]["sheet_deferred"] == 1, job
    ivan = ids(small)["Иван Петров"]
    assert next(x for x in small.leads() if x["id"] == ivan)["price"] == 100
    small.redis.delete("ratelimit:sheets:read")  # a quieter minute
    job = reconcile(small)
    assert sheets_calls(small) > 0 and "sheet_deferred" not in job["result"]
    assert next(x for x in small.leads() if x["id"] == ivan)["price"] == 4343
    quiet_twice(small)


def test_the_safety_net_is_not_deferred_by_busy_reads(small):
    reconcile(small)
    interval = small.backend.settings.reconcile_full_read_s
    small.redis.hset(f"sheet-seen:{small.connection_id}", "read_at", repr(time.time() - interval - 1))
    take_reads(small, small.backend.settings.sheets_reads_per_minute // 2)
    small.sheets.admin.reset_counters()
    job = reconcile(small)
    assert sheets_calls(small) > 0 and "sheet_deferred" not in job["result"]


def test_a_moved_sheet_waits_while_the_pacer_has_no_read_free_now(small):
    """Half the pacer's stretch taken (10 s of a 60-a-minute quota: 5 reads): the read would wait on a
    worker for the pacer, so it waits for a later reconcile instead."""
    reconcile(small)
    small.edit("Leads!D2", [["4444"]])
    limit = small.backend.settings.sheets_reads_per_minute
    take_reads(small, max(1, limit // 6) // 2)
    small.sheets.admin.reset_counters()
    job = reconcile(small)
    assert sheets_calls(small) == 0 and job["result"]["sheet_deferred"] == 1, job
