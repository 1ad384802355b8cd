"""The edit run plans from the values the add-on sent (issue 15): through `request_edits`, as the edits
endpoint calls it, and RQ's own worker. A lead-only edit does not read the row's contact (one amoCRM
call less: what an edit waits for under a burst is the account's 7 requests a second), and still never
overwrites a contact a manager changed meanwhile."""

from __future__ import annotations

import time

from backend.sync import edit_answers, jobs
from tests.integration.amocrm.conftest import HOST
from tests.integration.sync.test_scenarios import ids, keys_by_name


def send(stack, name: str, *, read: dict | None = None, **changed: str) -> edit_answers.Waiter:
    """The row of `name` as the add-on would send it after a person typed `changed` (header -> text),
    with the edits endpoint's waiter registered first; close it after the work for the answer. `read`:
    the row as the add-on read it (default: as it is now); `edited` names the columns typed."""
    mapping = stack.backend.tenants.get(stack.connection_id).mapping
    column = {c["header"]: c["column"] for c in mapping["columns"]}
    key = read["amo_sync_id"] if read else keys_by_name(stack)[name]
    row = read or stack.row_of(key)
    values = {column[h]: changed.get(h, row[h]) for h in column}
    at = time.time()
    sent = {"row": 2, "values": values, "lead_id": row["amo_lead_id"], "edited_at": at}
    sent["edited"] = [column[h] for h in changed]
    waiter = edit_answers.Waiter(stack.redis, stack.connection_id, {key: at})
    jobs.request_edits(stack.redis, stack.connection_id, {key: at}, {key: sent})
    return waiter


def lead(stack, lead_id: int) -> dict:
    return next(x for x in stack.leads() if x["id"] == lead_id)


def test_a_budget_edit_reads_the_lead_not_its_contact_and_reads_no_sheet(small):
    small.amo.admin.set_faults(webhook_drop=100)  # amoCRM's echo of our write is not this run's cost
    small.amo.admin.reset_counters()
    small.sheets.admin.reset_counters()
    waiter = send(small, "Olga Smirnova", Бюджет="4321")
    small.work()
    answers, pending = waiter.close()
    olga = ids(small)["Olga Smirnova"]
    assert lead(small, olga)["price"] == 4321
    calls = small.amo.admin.counters()["by_account_endpoint"][HOST]
    assert calls == {"GET /api/v4/leads": 1, "PATCH /api/v4/leads": 1}, calls
    assert small.sheets.admin.counters() == {}
    assert not pending and answers[keys_by_name(small)["Olga Smirnova"]]["cells"]["sync"].startswith("✓ ")


def test_a_contact_a_manager_renamed_meanwhile_survives_a_budget_edit(small):
    olga = ids(small)["Olga Smirnova"]
    contact_id = lead(small, olga)["_embedded"]["contacts"][0]["id"]
    small.amo.admin.set_faults(webhook_drop=100)  # its webhook is late: the run cannot know
    small.amo.admin.manager_update_contact(HOST, contact_id, name="Ольга Смирнова")
    send(small, "Olga Smirnova", Бюджет="555")
    small.work()  # nobody waits for this answer: the run writes it through the Sheets API
    assert lead(small, olga)["price"] == 555
    contact = next(c for c in small.contacts() if c["id"] == contact_id)
    assert contact["name"] == "Ольга Смирнова"


def test_a_name_edit_reads_and_updates_the_contact(small):
    olga = ids(small)["Olga Smirnova"]
    contact_id = lead(small, olga)["_embedded"]["contacts"][0]["id"]
    small.amo.admin.set_faults(webhook_drop=100)
    small.amo.admin.reset_counters()
    send(small, "Olga Smirnova", Имя="Olga S.").close()
    small.work()
    calls = small.amo.admin.counters()["by_account_endpoint"][HOST]
    assert calls.get("GET /api/v4/contacts") == 1, calls
    assert next(c for c in small.contacts() if c["id"] == contact_id)["name"] == "Olga S."


def test_a_row_sent_without_a_mapped_column_is_left_to_a_run_that_reads_the_sheet(small):
    """The add-on sends only the mapped columns it finds: a deleted Email column must never read as "the
    person cleared every e-mail". Such a row is planned from the sheet, where the columns check decides."""
    olga = ids(small)["Olga Smirnova"]
    contact_id = lead(small, olga)["_embedded"]["contacts"][0]["id"]
    email_before = next(c for c in small.contacts() if c["id"] == contact_id)["custom_fields_values"]
    mapping = small.backend.tenants.get(small.connection_id).mapping
    key = keys_by_name(small)["Olga Smirnova"]
    row = small.row_of(key)
    column = {c["header"]: c["column"] for c in mapping["columns"]}
    values = {column[h]: ("777" if h == "Бюджет" else row[h]) for h in column if h != "Email"}
    at = time.time()
    small.sheets.admin.reset_counters()
    jobs.request_edits(
        small.redis,
        small.connection_id,
        {key: at},
        {key: {"row": 2, "values": values, "lead_id": row["amo_lead_id"], "edited_at": at}},
    )
    small.work()
    contact = next(c for c in small.contacts() if c["id"] == contact_id)
    assert contact["custom_fields_values"] == email_before  # the e-mail was not cleared
    assert small.sheets.admin.counters(), "the row was read from the sheet"


def test_a_row_sent_again_after_runs_wrote_it_does_not_take_back_what_they_wrote(small):
    """Olga's budget typed; the add-on's delivery failed, and a run that read the sheet applied it. Then
    an amoCRM → sheet run wrote a manager's new contact name into the row, and the add-on delivered the
    row it had queued: the old name, in a column the edit did not touch, was the only value off the
    agreed state, and the run pushed it back over the manager's. Such a row is now planned from the
    sheet as it is."""
    olga = ids(small)["Olga Smirnova"]
    key = keys_by_name(small)["Olga Smirnova"]
    number = next(i for i, cells in enumerate(small.grid(), 1) if key in cells)
    small.edit(f"Leads!D{number}", [["4242"]])
    read = small.row_of(key)  # what the add-on read and queued
    jobs.request_edits(small.redis, small.connection_id, {key: time.time()})  # no values: a sheet read
    small.work()
    assert lead(small, olga)["price"] == 4242
    contact_id = lead(small, olga)["_embedded"]["contacts"][0]["id"]
    small.amo.admin.manager_update_contact(HOST, contact_id, name="Ольга Смирнова")
    small.settle()  # its webhook: the run writes the new name into the row
    assert small.row_of(key)["Имя"] == "Ольга Смирнова"
    send(small, "Olga Smirnova", read=read, Бюджет="4242").close()
    small.work()
    assert next(c for c in small.contacts() if c["id"] == contact_id)["name"] == "Ольга Смирнова"
    assert small.row_of(key)["Имя"] == "Ольга Смирнова"


def test_a_new_row_two_fields_off_a_synced_row_is_planned_from_the_sheet(small):
    """Olga's values cut into a new row (her row emptied, the key cells left behind) and two of them
    changed: the add-on sends the new row alone. Planned from its values it became a second lead for
    Olga; a new row that close to a synced row is now planned from the sheet, which shows the emptied
    row it came from."""
    before = len(small.leads())
    key = keys_by_name(small)["Olga Smirnova"]
    grid = small.grid()
    number = next(i for i, cells in enumerate(grid, 1) if key in cells)
    old = small.row_of(key)
    small.edit(f"Leads!A{number}:E{number}", [["", "", "", "", ""]])
    moved = ["Olga Smirnova", "8 912 000-00-77", old["Email"], "999", old["Статус"]]
    new_key = "rCutOlga00001"
    small.edit(f"Leads!A{len(grid) + 1}:F{len(grid) + 1}", [[*moved, new_key]])
    mapping = small.backend.tenants.get(small.connection_id).mapping
    column = {c["header"]: c["column"] for c in mapping["columns"]}
    at = time.time()
    values = dict(
        zip([column[h] for h in ("Имя", "Телефон", "Email", "Бюджет", "Статус")], moved, strict=True)
    )
    sent = {"row": len(grid) + 1, "values": values, "lead_id": "", "edited_at": at, "edited": list(values)}
    jobs.request_edits(small.redis, small.connection_id, {new_key: at}, {new_key: sent})
    small.work()
    assert len(small.leads()) == before, "no second lead for Olga's values"
