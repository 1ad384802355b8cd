"""The core scenarios again through gspread 6.2.1, an independent client (only its base URL is patched).

gspread opens a spreadsheet with spreadsheets.get, quotes every sheet title in its ranges
(`'Sheet1'!A1`), writes RAW by default and pads rows when reading.
"""

from __future__ import annotations

import gspread
import pytest
from gspread.utils import ValueInputOption, ValueRenderOption
from sheets_helpers import ALICE, SA

ROW_TAG = {"metadataKey": "row", "visibility": "DOCUMENT"}


def tag_row(sh: gspread.Spreadsheet, index: int, value: str) -> None:
    location = {
        "dimensionRange": {"sheetId": 0, "dimension": "ROWS", "startIndex": index, "endIndex": index + 1}
    }
    sh.batch_update(
        {
            "requests": [
                {
                    "createDeveloperMetadata": {
                        "developerMetadata": {**ROW_TAG, "metadataValue": value, "location": location}
                    }
                }
            ]
        }
    )


def row_tags(sh: gspread.Spreadsheet) -> dict[int, str]:
    """developerMetadata.search through gspread's own HTTP client (gspread has no helper for it)."""
    url = f"{gspread.urls.SPREADSHEET_URL % sh.id}/developerMetadata:search"
    body = {"dataFilters": [{"developerMetadataLookup": {"metadataKey": "row"}}]}
    found = sh.client.request("post", url, json=body).json()
    return {
        m["developerMetadata"]["location"]["dimensionRange"]["startIndex"]: m["developerMetadata"][
            "metadataValue"
        ]
        for m in found.get("matchedDeveloperMetadata", [])
    }


@pytest.fixture
def sh(gc, people_sheet) -> gspread.Spreadsheet:
    return gc.open_by_key(people_sheet)


def test_open_by_key_reads_titles_and_grid_size(sh):
    assert sh.title == "Contacts"
    [ws] = sh.worksheets()
    assert (ws.title, ws.id, ws.row_count, ws.col_count) == ("Sheet1", 0, 1000, 26)


def test_get_all_values_and_records(sh):
    ws = sh.sheet1
    assert ws.get_all_values()[1] == ["Ann", "ann@example.com", "100"]
    assert ws.get_all_records()[2] == {"name": "Cid", "email": "cid@example.com", "budget": 300}


def test_update_raw_vs_user_entered(sh):
    ws = sh.sheet1
    ws.update([["007", "=1+2"]], "D1")  # gspread writes RAW by default
    ws.update([["007", "=1+2"]], "D2", value_input_option=ValueInputOption.user_entered)
    got = ws.get("D1:E2", value_render_option=ValueRenderOption.unformatted)
    assert got == [["007", "=1+2"], [7, 3]]
    assert ws.get("E2", value_render_option=ValueRenderOption.formula) == [["=1+2"]]


def test_append_row_follows_table_detection(gc, admin):
    sid = admin.create_spreadsheet("Gap", [["name"], ["Ann"], [], ["Zed"]])
    ws = gc.open_by_key(sid).sheet1
    reply = ws.append_row(["Bob"])  # gspread appends to the whole sheet: after the last table
    assert reply["updates"]["updatedRange"] == "Sheet1!A5"
    reply = ws.append_row(["Cid"], table_range="A1")  # the first table ends at the blank row
    assert reply["updates"]["updatedRange"] == "Sheet1!A3"
    assert ws.col_values(1) == ["name", "Ann", "Cid", "Zed", "Bob"]


def test_insert_rows_moves_values_and_metadata(sh):
    tag_row(sh, 2, "Bob")
    ws = sh.sheet1
    ws.insert_rows([["New", "new@example.com", "50"]], row=2)
    assert ws.col_values(1) == ["name", "New", "Ann", "Bob", "Cid"]
    assert row_tags(sh) == {3: "Bob"}


def test_delete_rows_deletes_their_metadata(sh):
    tag_row(sh, 1, "Ann")
    tag_row(sh, 3, "Cid")
    ws = sh.sheet1
    ws.delete_rows(2)
    assert ws.col_values(1) == ["name", "Bob", "Cid"]
    assert row_tags(sh) == {2: "Cid"}


def test_sort_moves_values(sh):
    ws = sh.sheet1
    ws.sort((3, "des"), range="A2:C4")
    assert ws.col_values(1) == ["name", "Cid", "Bob", "Ann"]


def test_batch_get_update_clear(sh):
    ws = sh.sheet1
    ws.batch_update([{"range": "A2", "values": [["Anna"]]}, {"range": "C2:C3", "values": [[1], [2]]}])
    got = ws.batch_get(["A2", "C2:C3"], value_render_option=ValueRenderOption.unformatted)
    assert [list(vr) for vr in got] == [[["Anna"]], [[1], [2]]]
    ws.batch_clear(["C2:C3"])
    assert ws.get("C1:C4") == [["budget"], [], [], ["300"]]


def test_add_rename_and_delete_worksheets(sh):
    ws = sh.add_worksheet("Log", rows=10, cols=3)
    assert (ws.row_count, ws.col_count, ws.index) == (10, 3, 1)
    ws.update_title("Events")
    assert [w.title for w in sh.worksheets()] == ["Sheet1", "Events"]
    sh.del_worksheet(ws)
    assert [w.title for w in sh.worksheets()] == ["Sheet1"]


def test_freeze_and_resize(sh):
    ws = sh.sheet1
    ws.freeze(rows=1)
    ws.resize(rows=20)
    props = sh.fetch_sheet_metadata()["sheets"][0]["properties"]["gridProperties"]
    assert props == {"rowCount": 20, "columnCount": 26, "frozenRowCount": 1}


def test_clear_empties_the_worksheet(sh):
    ws = sh.sheet1
    ws.clear()
    # Google omits `values` for an empty range; gspread turns that into [[]] itself.
    assert ws.get_all_values() == [[]]


def test_unknown_spreadsheet_is_spreadsheet_not_found(gc):
    with pytest.raises(gspread.SpreadsheetNotFound):
        gc.open_by_key("no-such-spreadsheet")


def test_not_shared_is_permission_error_until_shared(gc, admin):
    sid = admin.create_spreadsheet("Alice's", [["x"]], owner=ALICE)
    with pytest.raises(PermissionError):
        gc.open_by_key(sid)
    admin.share(sid, SA)
    assert gc.open_by_key(sid).sheet1.acell("A1").value == "x"


def test_acting_as_another_user(gspread_as, admin):
    sid = admin.create_spreadsheet("Alice's", [["x"]], owner=ALICE)
    assert gspread_as(ALICE).open_by_key(sid).sheet1.get_all_values() == [["x"]]


def test_bad_range_is_api_error_with_googles_message(sh):
    with pytest.raises(gspread.exceptions.APIError) as caught:
        sh.values_get("Nope!A1")
    assert caught.value.code == 400
    assert caught.value.error["message"] == "Unable to parse range: Nope!A1"


def test_quota_429_reaches_gspread(sh, admin):
    ws = sh.sheet1  # gspread reads the spreadsheet here (spreadsheets.get)
    admin.advance(60 - admin.now() % 60 + 0.01)  # a fresh quota minute
    admin.set_quotas(read_per_user=1)
    ws.get("A1")
    with pytest.raises(gspread.exceptions.APIError) as caught:
        ws.get("A1")
    assert caught.value.code == 429 and caught.value.error["status"] == "RESOURCE_EXHAUSTED"
