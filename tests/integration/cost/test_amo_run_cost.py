"""An amoCRM change reaches the sheet for one Sheets read and one write (issue 15): the run writes
against its own read of a moment ago instead of reading the key column again — at 60 reads a minute,
the second read halved how many sheets amoCRM's changes could reach. Counted by the Sheets emulator."""

from __future__ import annotations

from sandbox.sheets.quotas import kind_of
from tests.integration.amocrm.conftest import HOST
from tests.integration.sync.test_scenarios import ids, keys_by_name


def by_kind(stack) -> tuple[int, int]:
    calls = stack.sheets.admin.counters()
    reads = sum(n for m, n in calls.items() if kind_of(m) == "read")
    return reads, sum(calls.values()) - reads


def test_an_amo_change_reaches_the_sheet_for_one_read_and_one_write(small):
    olga = ids(small)["Olga Smirnova"]
    small.sheets.admin.reset_counters()
    small.amo.admin.manager_update_lead(HOST, olga, price=777)
    small.settle()
    assert small.row_of(keys_by_name(small)["Olga Smirnova"])["Бюджет"] == 777
    assert by_kind(small) == (1, 1)


def test_the_cells_still_go_to_the_row_of_their_key_after_a_sort_before_the_run(small):
    """The read the run writes against is its own, taken after the sort: the rows are where it saw them."""
    petr = ids(small)["Пётр Иванов"]
    small.sheets.admin.sort(small.spreadsheet_id, "Leads!A1:Z4", "A", ascending=False, header=True)
    small.amo.admin.manager_update_lead(HOST, petr, price=31337)
    small.settle()
    rows = {k: small.row_of(v) for k, v in keys_by_name(small).items()}
    assert rows["Пётр Иванов"]["Бюджет"] == 31337
    assert rows["Иван Петров"]["Бюджет"] == 100 and rows["Olga Smirnova"]["Бюджет"] == 200
