"""When nobody waits for an edit's answer any more (no worker picked the job up in time), the run
writes the row's status through the Sheets API, as every run nobody watches does (issue 15)."""

from __future__ import annotations

import time

from tests.integration.sync.test_scenarios import ids, keys_by_name


def test_an_answer_nobody_waits_for_is_written_through_the_sheets_api(small):
    mapping = small.backend.tenants.get(small.connection_id).mapping
    column = {c["header"]: c["column"] for c in mapping["columns"]}
    key = keys_by_name(small)["Olga Smirnova"]
    row = small.row_of(key)
    values = {column[h]: row[h] for h in column}
    values[column["Бюджет"]] = "999"
    small.edit("Leads!D3", [["999"]])
    sent = {"key": key, "row": 3, "edited_at": int(time.time() * 1000), "values": values}
    r = small.call("POST", "/edits", {"rows": [sent]})  # no worker runs: the request stops waiting
    assert r.status_code == 202 and r.json()["rows"] == [] and r.json()["pending"] == [key]
    small.sheets.admin.reset_counters()
    small.work()
    olga = ids(small)["Olga Smirnova"]
    assert next(x for x in small.leads() if x["id"] == olga)["price"] == 999
    assert small.row_of(key)["amo_sync_status"].startswith("✓ ")
    calls = small.sheets.admin.counters()
    assert calls.get("spreadsheets.values.batchUpdate") == 1, calls


def test_values_that_are_not_cells_are_refused(small):
    key = keys_by_name(small)["Olga Smirnova"]
    bad = {"key": key, "row": 3, "edited_at": int(time.time() * 1000), "values": {"c1": {"x": 1}}}
    r = small.call("POST", "/edits", {"rows": [bad]})
    assert r.status_code == 400
