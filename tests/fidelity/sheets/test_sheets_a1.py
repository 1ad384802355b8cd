"""A1 notation as Google reads it, through google-api-python-client (values.get / batchGet)."""

from __future__ import annotations

import pytest
from sheets_helpers import api_error, values_of


@pytest.fixture
def tabs(admin) -> str:
    return admin.create_spreadsheet(
        "Tabs",
        sheets=[
            {
                "title": "Sheet1",
                "rows": [["a1", "b1", "c1", "d1"], ["a2", "b2", "c2", "d2"], ["a3", "b3", "c3", "d3"]],
            },
            {"title": "It's mine", "rows": [["quoted"]]},
            {"title": "Class Data", "rows": [["h"], ["spaced"]]},
            {"title": "Лист 1", "rows": [["кириллица"]]},
        ],
    )


def get(svc, sid: str, range_: str) -> dict:
    return svc.spreadsheets().values().get(spreadsheetId=sid, range=range_).execute()


def test_quoted_title_with_apostrophe_and_space(svc, tabs):
    got = get(svc, tabs, "'It''s mine'!A1:B2")
    assert got["range"] == "'It''s mine'!A1:B2"
    assert got["values"] == [["quoted"]]


def test_unquoted_title_with_space_is_accepted(svc, tabs):
    # Google's own Python quickstart reads 'Class Data!A2:E' without quotes.
    got = get(svc, tabs, "Class Data!A2:E")
    assert got["range"] == "'Class Data'!A2:E1000"
    assert got["values"] == [["spaced"]]


def test_non_ascii_title(svc, tabs):
    got = get(svc, tabs, "'Лист 1'!A1")
    assert got["range"] == "'Лист 1'!A1"
    assert got["values"] == [["кириллица"]]


def test_whole_columns_are_bounded_to_the_grid(svc, tabs):
    got = get(svc, tabs, "Sheet1!A:C")
    assert got["range"] == "Sheet1!A1:C1000"
    assert got["values"][0] == ["a1", "b1", "c1"]


def test_open_ended_rows_start_at_the_given_row(svc, tabs):
    got = get(svc, tabs, "Sheet1!A2:C")
    assert got["range"] == "Sheet1!A2:C1000"
    assert got["values"] == [["a2", "b2", "c2"], ["a3", "b3", "c3"]]


def test_whole_rows(svc, tabs):
    got = get(svc, tabs, "Sheet1!2:3")
    assert got["range"] == "Sheet1!A2:Z3"
    assert got["values"] == [["a2", "b2", "c2", "d2"], ["a3", "b3", "c3", "d3"]]


def test_single_cell(svc, tabs):
    got = get(svc, tabs, "Sheet1!B2")
    assert got == {"range": "Sheet1!B2", "majorDimension": "ROWS", "values": [["b2"]]}


def test_whole_sheet_by_title_bare_and_quoted(svc, tabs):
    assert get(svc, tabs, "Sheet1")["range"] == "Sheet1!A1:Z1000"
    assert get(svc, tabs, "'Sheet1'")["values"][2] == ["a3", "b3", "c3", "d3"]


def test_range_without_sheet_reads_the_first_sheet(svc, tabs):
    assert values_of(svc, tabs, "C3") == [["c3"]]


def test_reversed_corners_are_normalised(svc, tabs):
    got = get(svc, tabs, "Sheet1!B2:A1")
    assert got["range"] == "Sheet1!A1:B2"


def test_lowercase_and_absolute_markers(svc, tabs):
    assert get(svc, tabs, "sheet1!$a$1:$b$1")["values"] == [["a1", "b1"]]


def test_r1c1_notation(svc, tabs):
    assert get(svc, tabs, "Sheet1!R2C2:R3C3")["values"] == [["b2", "c2"], ["b3", "c3"]]


def test_batch_get_keeps_request_order(svc, tabs):
    got = (
        svc.spreadsheets()
        .values()
        .batchGet(spreadsheetId=tabs, ranges=["Sheet1!D3", "'It''s mine'!A1"])
        .execute()
    )
    assert [vr["values"] for vr in got["valueRanges"]] == [[["d3"]], [["quoted"]]]


@pytest.mark.parametrize(
    "bad",
    [
        "Nope!A1",
        "Sheet1!A1:ZZZZ1",
        "Sheet1!A0",
        "'Unclosed!A1",
        "Sheet1!A:5",
        "Sheet1!",
        "Sheet1!A1:B2:C3",
        "My Sheet",
    ],
)
def test_unparsable_ranges_are_400_with_googles_message(svc, tabs, bad):
    status, error = api_error(lambda: get(svc, tabs, bad))
    assert status == 400
    assert error == {"code": 400, "message": f"Unable to parse range: {bad}", "status": "INVALID_ARGUMENT"}


def test_reading_a_range_that_starts_past_the_grid_is_400(svc, tabs):
    status, error = api_error(lambda: get(svc, tabs, "Sheet1!A1001:B1002"))
    assert status == 400
    assert (
        error["message"] == "Range (Sheet1!A1001:B1002) exceeds grid limits. Max rows: 1000, max columns: 26"
    )


def test_reading_a_range_that_runs_past_the_grid_is_clipped(svc, tabs):
    # Only a range that starts outside the grid is an error; one that starts inside is cut to the grid.
    got = get(svc, tabs, "Sheet1!A1:ZZ1")
    assert got["range"] == "Sheet1!A1:Z1"
    assert got["values"] == [["a1", "b1", "c1", "d1"]]


def test_a_bad_range_in_batch_get_fails_the_whole_call(svc, tabs):
    status, error = api_error(
        lambda: (
            svc.spreadsheets()
            .values()
            .batchGet(spreadsheetId=tabs, ranges=["Sheet1!A1", "Nope!A1"])
            .execute()
        )
    )
    assert (status, error["message"]) == (400, "Unable to parse range: Nope!A1")
