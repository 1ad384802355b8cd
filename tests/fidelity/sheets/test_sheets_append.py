"""values.append and its table detection, including the pitfalls a backend must avoid."""

from __future__ import annotations

import pytest
from sheets_helpers import tag_rows, tags_by_row, values_of

# The worked example of Google's "Append values" guide: tables A1:C2 and B4:D6.
GUIDE_SHEET = [
    ["x", "y", "z"],
    ["x", "y", "z"],
    [],
    ["", "x", "y"],
    ["", "", "y", "z"],
    ["", "x", "y", "z"],
]


def append(svc, sid, range_, values, **kw):
    return (
        svc.spreadsheets()
        .values()
        .append(spreadsheetId=sid, range=range_, valueInputOption="RAW", body={"values": values}, **kw)
        .execute()
    )


@pytest.mark.parametrize(
    ("range_", "table", "written_at"),
    [
        ("Sheet1", "Sheet1!B4:D6", "Sheet1!B7"),  # the last table in the sheet
        ("Sheet1!B4", "Sheet1!B4:D6", "Sheet1!B7"),
        ("Sheet1!C5:D5", "Sheet1!B4:D6", "Sheet1!B7"),
        ("Sheet1!B2:D4", "Sheet1!B4:D6", "Sheet1!B7"),  # touches both tables: the last one wins
        ("Sheet1!A3:G10", "Sheet1!B4:D6", "Sheet1!B7"),
        ("Sheet1!A1", "Sheet1!A1:C2", "Sheet1!A3"),
        ("Sheet1!E4", None, "Sheet1!E4"),  # in no table: written where the range starts
        ("Sheet1!A4", None, "Sheet1!A4"),
    ],
)
def test_table_detection_follows_googles_worked_example(svc, admin, range_, table, written_at):
    sid = admin.create_spreadsheet("Guide", GUIDE_SHEET)
    got = append(svc, sid, range_, [["new"]])
    assert got.get("tableRange") == table
    assert got["updates"]["updatedRange"] == written_at


def test_pitfall_a_blank_row_ends_the_table_and_overwrite_clobbers_rows_below(svc, admin):
    sid = admin.create_spreadsheet("Gap", [["name"], ["Ann"], [], ["Zed"]])
    got = append(svc, sid, "Sheet1!A1", [["Bob"], ["Cid"]])
    assert got["tableRange"] == "Sheet1!A1:A2"
    assert got["updates"]["updatedRange"] == "Sheet1!A3:A4"
    assert values_of(svc, sid) == [["name"], ["Ann"], ["Bob"], ["Cid"]]  # "Zed" was overwritten


def test_the_whole_column_range_appends_after_the_last_table(svc, admin):
    sid = admin.create_spreadsheet("Gap", [["name"], ["Ann"], [], ["Zed"]])
    got = append(svc, sid, "Sheet1!A:A", [["Bob"]])
    assert got["updates"]["updatedRange"] == "Sheet1!A5"


def test_pitfall_data_starting_in_a_later_column_shifts_the_append(svc, admin):
    sid = admin.create_spreadsheet("Offset", [["", "name", "email"], ["", "Ann", "a@x"]])
    got = append(svc, sid, "Sheet1!A:Z", [["Bob", "b@x"]])
    assert got["tableRange"] == "Sheet1!B1:C2"
    assert got["updates"]["updatedRange"] == "Sheet1!B3:C3"  # from column B, not A
    assert values_of(svc, sid)[2] == ["", "Bob", "b@x"]


def test_insert_rows_pushes_rows_and_their_metadata_down(svc, admin):
    sid = admin.create_spreadsheet("Insert", [["h"], ["a"], [], ["below"]])
    tag_rows(svc, sid, 0, {3: "below"})
    got = append(svc, sid, "Sheet1!A1", [["b"], ["c"]], insertDataOption="INSERT_ROWS")
    assert got["updates"]["updatedRange"] == "Sheet1!A3:A4"
    assert values_of(svc, sid) == [["h"], ["a"], ["b"], ["c"], [], ["below"]]
    assert tags_by_row(svc, sid) == {5: "below"}
    props = svc.spreadsheets().get(spreadsheetId=sid).execute()["sheets"][0]["properties"]
    assert props["gridProperties"]["rowCount"] == 1002


def test_append_on_an_empty_sheet_writes_at_the_top_without_a_table_range(svc, admin):
    sid = admin.create_spreadsheet("Empty", [])
    got = append(svc, sid, "Sheet1", [["a", "b"]])
    assert "tableRange" not in got
    assert got["updates"] == {
        "spreadsheetId": sid,
        "updatedRange": "Sheet1!A1:B1",
        "updatedRows": 1,
        "updatedColumns": 2,
        "updatedCells": 2,
    }


def test_append_past_the_last_row_grows_the_grid(svc, admin):
    sid = admin.create_spreadsheet(
        "Full", sheets=[{"title": "Sheet1", "rows": [["a"], ["b"]], "rowCount": 2}]
    )
    got = append(svc, sid, "Sheet1", [["c"], ["d"]])
    assert got["updates"]["updatedRange"] == "Sheet1!A3:A4"
    props = svc.spreadsheets().get(spreadsheetId=sid).execute()["sheets"][0]["properties"]
    assert props["gridProperties"]["rowCount"] == 4


def test_append_user_entered_and_include_values(svc, admin):
    sid = admin.create_spreadsheet("Typed", [["when", "n"]])
    got = (
        svc.spreadsheets()
        .values()
        .append(
            spreadsheetId=sid,
            range="Sheet1!A1",
            valueInputOption="USER_ENTERED",
            includeValuesInResponse=True,
            responseValueRenderOption="UNFORMATTED_VALUE",
            body={"values": [["2024-01-15", "5"]]},
        )
        .execute()
    )
    assert got["updates"]["updatedData"]["values"] == [[45306, 5]]
