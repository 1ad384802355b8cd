"""Nothing changed, nothing read (issue 15): a reconcile of a connection where neither side changed costs
0 Sheets API calls, as the Sheets emulator counts them; a change on either side is still found — amoCRM's
through its updated_at cursor, the sheet's through its Drive version — and a full read still comes when
the safety-net interval has passed."""

from __future__ import annotations

import time

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
