"""Values and row/column developer metadata follow insertDimension / deleteDimension / moveDimension;
sortRange moves values only."""

from __future__ import annotations

import pytest
from sheets_helpers import api_error, tag_rows, tags_by_row, values_of

ROWS = [["h"], ["r1"], ["r2"], ["r3"], ["r4"]]


@pytest.fixture
def tagged(svc, admin) -> str:
    """Rows h, r1..r4 with ROW metadata row=<value of the row> on every data row."""
    sid = admin.create_spreadsheet("Tagged", ROWS)
    tag_rows(svc, sid, 0, {1: "r1", 2: "r2", 3: "r3", 4: "r4"})
    return sid


def batch(svc, sid, *requests):
    return svc.spreadsheets().batchUpdate(spreadsheetId=sid, body={"requests": list(requests)}).execute()


def rows(start, end, sheet_id=0, dimension="ROWS"):
    return {"sheetId": sheet_id, "dimension": dimension, "startIndex": start, "endIndex": end}


def assert_tags_follow_values(svc, sid):
    """Every tagged row still holds the value it was tagged with."""
    col_a = [r[0] if r else "" for r in values_of(svc, sid)]
    for index, tag in tags_by_row(svc, sid).items():
        assert col_a[index] == tag


def test_insert_dimension_moves_values_and_metadata_down(svc, tagged):
    batch(svc, tagged, {"insertDimension": {"range": rows(2, 4)}})
    assert values_of(svc, tagged) == [["h"], ["r1"], [], [], ["r2"], ["r3"], ["r4"]]
    assert tags_by_row(svc, tagged) == {1: "r1", 4: "r2", 5: "r3", 6: "r4"}
    assert_tags_follow_values(svc, tagged)


def test_delete_dimension_deletes_the_rows_metadata_and_shifts_the_rest_up(svc, tagged):
    batch(svc, tagged, {"deleteDimension": {"range": rows(2, 4)}})
    assert values_of(svc, tagged) == [["h"], ["r1"], ["r4"]]
    assert tags_by_row(svc, tagged) == {1: "r1", 2: "r4"}


@pytest.mark.parametrize(
    ("source", "destination", "expected"),
    [
        ((1, 2), 4, ["h", "r2", "r3", "r1", "r4"]),  # down: destination is counted before the move
        ((3, 5), 1, ["h", "r3", "r4", "r1", "r2"]),  # up, two rows
        ((1, 2), 5, ["h", "r2", "r3", "r4", "r1"]),  # to the end of the data
    ],
)
def test_move_dimension_moves_values_and_metadata_together(svc, tagged, source, destination, expected):
    batch(svc, tagged, {"moveDimension": {"source": rows(*source), "destinationIndex": destination}})
    assert [r[0] for r in values_of(svc, tagged)] == expected
    assert_tags_follow_values(svc, tagged)


def test_move_columns_moves_column_metadata(svc, admin):
    sid = admin.create_spreadsheet("Cols", [["name", "email", "id"], ["Ann", "a@x", "1"]])
    batch(
        svc,
        sid,
        {
            "createDeveloperMetadata": {
                "developerMetadata": {
                    "metadataKey": "col",
                    "metadataValue": "id",
                    "visibility": "DOCUMENT",
                    "location": {"dimensionRange": rows(2, 3, dimension="COLUMNS")},
                }
            }
        },
    )
    batch(svc, sid, {"moveDimension": {"source": rows(2, 3, dimension="COLUMNS"), "destinationIndex": 0}})
    assert values_of(svc, sid) == [["id", "name", "email"], ["1", "Ann", "a@x"]]
    found = (
        svc.spreadsheets()
        .developerMetadata()
        .search(
            spreadsheetId=sid, body={"dataFilters": [{"developerMetadataLookup": {"metadataKey": "col"}}]}
        )
        .execute()
    )
    assert (
        found["matchedDeveloperMetadata"][0]["developerMetadata"]["location"]["dimensionRange"]["startIndex"]
        == 0
    )


def test_insert_and_delete_columns_move_column_metadata(svc, admin):
    sid = admin.create_spreadsheet("Cols", [["name", "email", "id"]])
    batch(
        svc,
        sid,
        {
            "createDeveloperMetadata": {
                "developerMetadata": {
                    "metadataKey": "col",
                    "metadataValue": "email",
                    "visibility": "DOCUMENT",
                    "location": {"dimensionRange": rows(1, 2, dimension="COLUMNS")},
                }
            }
        },
    )
    batch(svc, sid, {"insertDimension": {"range": rows(0, 2, dimension="COLUMNS")}})
    assert values_of(svc, sid) == [["", "", "name", "email", "id"]]
    lookup = {"dataFilters": [{"developerMetadataLookup": {"metadataKey": "col"}}]}
    found = svc.spreadsheets().developerMetadata().search(spreadsheetId=sid, body=lookup).execute()
    assert (
        found["matchedDeveloperMetadata"][0]["developerMetadata"]["location"]["dimensionRange"]["startIndex"]
        == 3
    )
    batch(svc, sid, {"deleteDimension": {"range": rows(3, 4, dimension="COLUMNS")}})
    assert values_of(svc, sid) == [["", "", "name", "id"]]
    assert svc.spreadsheets().developerMetadata().search(spreadsheetId=sid, body=lookup).execute() == {}


def test_sort_range_moves_values_but_row_metadata_stays_on_its_row(svc, tagged):
    # Google does not document what a sort does to row metadata; the sandbox keeps it on the row index
    # (a sort moves cell contents, not rows), so a backend must key rows by a value column instead.
    batch(
        svc,
        tagged,
        {
            "sortRange": {
                "range": {
                    "sheetId": 0,
                    "startRowIndex": 1,
                    "endRowIndex": 5,
                    "startColumnIndex": 0,
                    "endColumnIndex": 1,
                },
                "sortSpecs": [{"dimensionIndex": 0, "sortOrder": "DESCENDING"}],
            }
        },
    )
    assert [r[0] for r in values_of(svc, tagged)] == ["h", "r4", "r3", "r2", "r1"]
    assert tags_by_row(svc, tagged) == {1: "r1", 2: "r2", 3: "r3", 4: "r4"}


def test_sort_orders_numbers_then_text_then_booleans_with_blanks_last(svc, admin):
    sid = admin.create_spreadsheet(
        "Mixed", [["b", "x"], ["TRUE", "x"], ["", "blank"], ["10", "x"], ["A", "x"], ["2", "x"]]
    )
    batch(
        svc,
        sid,
        {
            "sortRange": {
                "range": {
                    "sheetId": 0,
                    "startRowIndex": 0,
                    "endRowIndex": 6,
                    "startColumnIndex": 0,
                    "endColumnIndex": 2,
                },
                "sortSpecs": [{"dimensionIndex": 0}],
            }
        },
    )
    got = values_of(svc, sid, valueRenderOption="UNFORMATTED_VALUE")
    assert [r[0] for r in got] == [2, 10, "A", "b", True, ""]
    assert got[-1] == ["", "blank"]  # whole rows of the range move together


def test_sort_only_moves_the_columns_inside_the_range(svc, admin):
    sid = admin.create_spreadsheet("Part", [["2", "two", "keep1"], ["1", "one", "keep2"]])
    batch(
        svc,
        sid,
        {
            "sortRange": {
                "range": {
                    "sheetId": 0,
                    "startRowIndex": 0,
                    "endRowIndex": 2,
                    "startColumnIndex": 0,
                    "endColumnIndex": 2,
                },
                "sortSpecs": [{"dimensionIndex": 0, "sortOrder": "ASCENDING"}],
            }
        },
    )
    assert values_of(svc, sid) == [["1", "one", "keep1"], ["2", "two", "keep2"]]


def test_append_dimension_adds_rows_at_the_end(svc, admin):
    sid = admin.create_spreadsheet("Grow", [["a"]])
    batch(svc, sid, {"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 5}})
    props = svc.spreadsheets().get(spreadsheetId=sid).execute()["sheets"][0]["properties"]
    assert props["gridProperties"]["rowCount"] == 1005


def test_deleting_every_row_is_refused(svc, admin):
    sid = admin.create_spreadsheet("All", [["a"]])
    status, error = api_error(lambda: batch(svc, sid, {"deleteDimension": {"range": rows(0, 1000)}}))
    assert status == 400
    assert (
        error["message"] == "Invalid requests[0].deleteDimension: You can't delete all the rows on the sheet."
    )


def test_deleting_past_the_grid_is_refused(svc, admin):
    sid = admin.create_spreadsheet("Past", [["a"]])
    status, error = api_error(lambda: batch(svc, sid, {"deleteDimension": {"range": rows(998, 1002)}}))
    assert status == 400
    assert "exceeds grid limits" in error["message"]


def test_shrinking_the_grid_drops_metadata_on_cut_rows(svc, tagged):
    batch(
        svc,
        tagged,
        {
            "updateSheetProperties": {
                "properties": {"sheetId": 0, "gridProperties": {"rowCount": 3}},
                "fields": "gridProperties.rowCount",
            }
        },
    )
    assert tags_by_row(svc, tagged) == {1: "r1", 2: "r2"}
    assert values_of(svc, tagged) == [["h"], ["r1"], ["r2"]]
