"""When nobody waits for an edit's answer any more (no worker picked the job up in time), the row's status
is written through the Sheets API, as by every run nobody watches (issue 15) — by a later job that
gathers every such answer of the connection into one write, so the edit run itself never waits for a
slot of the paced write quota while other edits queue behind it."""

from __future__ import annotations

import time

from rq import SimpleWorker

from backend import queues
from backend.sync.core.mapping import SPECIAL_COLUMNS
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


def test_an_edited_list_that_is_not_column_ids_is_refused(small):
    key = keys_by_name(small)["Olga Smirnova"]
    row = {"key": key, "row": 3, "edited_at": int(time.time() * 1000), "values": {"c1": "x"}}
    for edited in ("c1", [1], ["not an id!"], ["c"] * 201):
        r = small.call("POST", "/edits", {"rows": [row | {"edited": edited}]})
        assert r.status_code == 400, (edited, r.text)
        assert "edited" in r.json()["detail"]


def post_unwaited(small, name: str, price: str) -> str:
    """The add-on sends an edited budget; no worker runs, so its request stops waiting."""
    mapping = small.backend.tenants.get(small.connection_id).mapping
    column = {c["header"]: c["column"] for c in mapping["columns"]}
    key = keys_by_name(small)[name]
    row = small.row_of(key)
    values = {column[h]: row[h] for h in column} | {column["Бюджет"]: price}
    number = next(i for i, cells in enumerate(small.grid(), 1) if key in cells)
    sent = {"key": key, "row": number, "edited_at": int(time.time() * 1000), "values": values}
    r = small.call("POST", "/edits", {"rows": [sent]})
    assert r.status_code == 202 and r.json()["pending"] == [key], r.text
    return key


def test_late_answers_of_many_edits_go_into_the_sheet_in_one_write_after_the_edits(small):
    keys = [post_unwaited(small, "Olga Smirnova", "901")]
    small.sheets.admin.reset_counters()
    edits = SimpleWorker([queues.queue(queues.EDITS, small.redis)], connection=small.redis)
    edits.work(burst=True, logging_level="WARNING")  # the edit runs alone, before any late write
    keys.append(post_unwaited(small, "Иван Петров", "902"))
    edits.work(burst=True, logging_level="WARNING")
    assert small.sheets.admin.counters() == {}  # the edit runs spent no Sheets call
    prices = {x["id"]: x["price"] for x in small.leads()}
    assert [prices[ids(small)[n]] for n in ("Olga Smirnova", "Иван Петров")] == [901, 902]
    late = [
        j for j in queues.queue(queues.SYNC, small.redis).jobs if j.func_name.endswith("write_late_answers")
    ]
    assert len(late) == 1  # one job for both rows
    small.work()
    assert small.sheets.admin.counters().get("spreadsheets.values.batchUpdate") == 1
    assert all(small.row_of(k)["amo_sync_status"].startswith("✓ ") for k in keys)


def _email_edit(small, email_header: str) -> tuple[str, dict, str]:
    """Olga's e-mail typed in the sheet, the Email column headed `email_header` now; the request the
    add-on sends for it, headers included (what addon/Edits.js headersNow_ reads); the column's letter."""
    mapping = small.backend.tenants.get(small.connection_id).mapping
    column = {c["header"]: c["column"] for c in mapping["columns"]}
    key = keys_by_name(small)["Olga Smirnova"]
    grid = small.grid()
    at = next(i for i, cells in enumerate(grid, 1) if key in cells)
    letter = "ABCDEFGHIJ"[grid[0].index("Email")]
    small.edit(f"Leads!{letter}1", [[email_header]])
    small.edit(f"Leads!{letter}{at}", [["olga.new@x.ru"]])
    index = {h: grid[0].index(h) for h in column}  # by position: two headers may read the same now
    line = small.grid()[at - 1]
    values = {column[h]: line[index[h]] for h in column}
    headers = {column[h]: (email_header if h == "Email" else h) for h in column}
    headers |= {role: header for role, header in SPECIAL_COLUMNS.items()}
    sent = {"key": key, "row": at, "edited_at": int(time.time() * 1000), "values": values}
    return key, {"rows": [sent | {"edited": [column["Email"]]}], "headers": headers}, letter


def olga_email(small) -> str:
    olga = ids(small)["Olga Smirnova"]
    contact_id = next(x for x in small.leads() if x["id"] == olga)["_embedded"]["contacts"][0]["id"]
    contact = next(c for c in small.contacts() if c["id"] == contact_id)
    fields = contact.get("custom_fields_values") or []
    return next(f["values"][0]["value"] for f in fields if f.get("field_code") == "EMAIL")


def test_edits_sent_under_a_header_renamed_into_another_field_stop_as_every_run_does(small):
    """Email renamed "Телефон" (the Phone column's name): which field the column holds is no longer
    certain. Planned from the values, the edit would go to amoCRM as an e-mail; the run that reads the
    sheet stops instead and says which column and what to do (issue 13: every kind of run)."""
    key, body, letter = _email_edit(small, "Телефон")
    small.sheets.admin.reset_counters()
    r = small.call("POST", "/edits", body)
    assert r.status_code == 202, r.text
    small.work()
    assert olga_email(small) == "olga@x.ru"  # nothing was synced
    status = small.row_of(key)["amo_sync_status"]
    assert status.startswith("⚠") and "Column C is mapped as “Email”" in status, status
    assert "now headed “Телефон”" in status, status
    assert small.sheets.admin.counters().get("spreadsheets.values.batchGetByDataFilter"), "the sheet was read"
    # the header put back: the add-on asks for a reconcile (an edit of the header row), and the e-mail
    # typed while the header was wrong goes to amoCRM then
    small.edit(f"Leads!{letter}1", [["Email"]])
    assert small.call("POST", "/reconcile").status_code == 202
    small.work()
    assert olga_email(small) == "olga.new@x.ru"
    assert small.row_of(key)["amo_sync_status"].startswith("✓ ")


def test_edits_sent_with_the_headers_the_mapping_names_are_planned_from_the_values(small):
    """The same edit with the header as it was: the headers check does not get in the way of an edit
    (every system column's header counts too), and no Sheets read happens."""
    key, body, _ = _email_edit(small, "Email")
    small.sheets.admin.reset_counters()
    r = small.call("POST", "/edits", body)
    assert r.status_code == 202, r.text
    edits = SimpleWorker([queues.queue(queues.EDITS, small.redis)], connection=small.redis)
    edits.work(burst=True, logging_level="WARNING")  # the edit run alone, before the late answer's write
    assert olga_email(small) == "olga.new@x.ru"
    assert small.sheets.admin.counters() == {}  # planned from the values: no read of the sheet
    small.work()
    assert small.row_of(key)["amo_sync_status"].startswith("✓ ")


def test_headers_that_are_not_header_texts_are_refused(small):
    key = keys_by_name(small)["Olga Smirnova"]
    row = {"key": key, "row": 3, "edited_at": int(time.time() * 1000), "values": {"c1": "x"}}
    for headers in ("Email", {"c1": 5}, {"not an id!": "Email"}, {f"c{i}": "x" for i in range(205)}):
        r = small.call("POST", "/edits", {"rows": [row], "headers": headers})
        assert r.status_code == 400, (headers, r.text)
        assert "headers" in r.json()["detail"]


def test_the_headers_of_200_mapped_columns_and_the_sync_s_own_four_are_taken(small):
    """As many mapped columns as an edit's values may carry, plus the four system columns' headers."""
    key = keys_by_name(small)["Olga Smirnova"]
    row = {"key": key, "row": 3, "edited_at": int(time.time() * 1000)}  # no values: a key-only edit
    headers = {f"c{i}": "x" for i in range(200)} | {role: h for role, h in SPECIAL_COLUMNS.items()}
    r = small.call("POST", "/edits", {"rows": [row], "headers": headers})
    assert r.status_code == 202, r.text
