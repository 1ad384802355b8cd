"""Size limits and typed numbers at their edges, against Google's documentation and public reports.

Sources:
- 50,000 characters per cell, and the 400 wording: public reports of the API's answer to values.update
  and values.batchUpdate (airbytehq/airbyte#15500, freelabz/secator#96,
  moevm/github_repo_commitment_calc#67: 400 INVALID_ARGUMENT "Your input contains more than the maximum
  of 50000 characters in a single cell."); the request fails as a whole.
- 10 million cells per spreadsheet: Google Drive help "Files you can store in Google Drive"; the limit
  holds for every way a grid grows (spreadsheets.create, batchUpdate, values.append).
- "A1:B2 refers to the first two cells in the top two rows of the first visible sheet" — Sheets API
  guide "Google Sheets API overview", A1 notation.
- Numbers are IEEE 754 doubles (sheets.wiki "Number"); struct.proto: a Value's number_value cannot be
  NaN or Infinity. A typed mantissa needs a digit: "E1" is a cell reference's look, not a number.
"""

from __future__ import annotations

import pytest
import requests
from sheets_helpers import api_error, values_of

LIMIT_MESSAGE = "Your input contains more than the maximum of 50000 characters in a single cell."


@pytest.fixture
def blank(admin) -> str:
    return admin.create_spreadsheet("Blank", [])


def update(svc, sid, rng, values, option="RAW"):
    return (
        svc.spreadsheets()
        .values()
        .update(spreadsheetId=sid, range=rng, valueInputOption=option, body={"values": values})
        .execute()
    )


@pytest.mark.parametrize("typed", ["E1", "e5", "E-3", "e+7", "-E2", ".E1"])
def test_a_bare_exponent_is_text(svc, blank, typed):
    update(svc, blank, "Sheet1!A1", [[typed]], "USER_ENTERED")
    assert values_of(svc, blank, "A1", valueRenderOption="UNFORMATTED_VALUE") == [[typed]]
    assert values_of(svc, blank, "A1") == [[typed]]


def test_a_number_beyond_a_double_stays_the_text_typed(svc, blank, sheets):
    update(svc, blank, "Sheet1!A1", [["1e400", "-1E999", "1e300"]], "USER_ENTERED")
    for render in ("UNFORMATTED_VALUE", "FORMATTED_VALUE", "FORMULA"):
        got = values_of(svc, blank, "A1:C1", valueRenderOption=render)
        assert got[0][:2] == ["1e400", "-1E999"]
    assert values_of(svc, blank, "C1", valueRenderOption="UNFORMATTED_VALUE") == [[1e300]]
    # and the raw HTTP body is valid JSON (no Infinity token)
    raw = requests.get(f"{sheets.url}/v4/spreadsheets/{blank}/values/A1:B1", timeout=10)
    assert raw.status_code == 200 and "Infinity" not in raw.text
    assert raw.json()["values"] == [["1e400", "-1E999"]]


def test_a_json_number_beyond_a_double_is_refused(sheets, blank):
    body = '{"values": [[1e400]]}'
    got = requests.put(
        f"{sheets.url}/v4/spreadsheets/{blank}/values/A1?valueInputOption=RAW",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert got.status_code == 400
    assert got.json()["error"]["status"] == "INVALID_ARGUMENT"
    cells = '{"rows": [{"values": [{"userEnteredValue": {"numberValue": 1e400}}]}], "fields": "*",'
    request = '{"requests": [{"updateCells": ' + cells + ' "start": {"sheetId": 0}}}]}'
    got = requests.post(
        f"{sheets.url}/v4/spreadsheets/{blank}:batchUpdate",
        data=request,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert got.status_code == 400


def test_a_cell_of_50000_characters_is_accepted_and_one_more_fails_the_request(svc, blank):
    update(svc, blank, "Sheet1!A1", [["x" * 50_000]])
    assert len(values_of(svc, blank, "A1")[0][0]) == 50_000
    status, error = api_error(lambda: update(svc, blank, "Sheet1!B1", [["ok", "y" * 50_001]]))
    assert (status, error["status"], error["message"]) == (400, "INVALID_ARGUMENT", LIMIT_MESSAGE)
    assert values_of(svc, blank, "B1:C1") == []  # nothing of the request was written


def test_a_long_cell_fails_the_whole_values_batch(svc, blank):
    body = {
        "valueInputOption": "USER_ENTERED",
        "data": [
            {"range": "Sheet1!A1", "values": [["first"]]},
            {"range": "Sheet1!A2", "values": [["z" * 50_001]]},
        ],
    }
    status, error = api_error(
        lambda: svc.spreadsheets().values().batchUpdate(spreadsheetId=blank, body=body).execute()
    )
    assert (status, error["message"]) == (400, LIMIT_MESSAGE)
    assert values_of(svc, blank, "A1:A2") == []


@pytest.mark.parametrize("kind", ["append", "updateCells", "formula"])
def test_the_character_limit_holds_for_every_way_of_writing(svc, blank, kind):
    long_text = "w" * 50_001
    if kind == "append":
        call = (
            svc.spreadsheets()
            .values()
            .append(
                spreadsheetId=blank,
                range="Sheet1!A1",
                valueInputOption="RAW",
                body={"values": [[long_text]]},
            )
            .execute
        )
    else:
        value = {"stringValue": long_text} if kind == "updateCells" else {"formulaValue": "=" + long_text}
        request = {
            "updateCells": {
                "rows": [{"values": [{"userEnteredValue": value}]}],
                "fields": "userEnteredValue",
                "start": {"sheetId": 0, "rowIndex": 0, "columnIndex": 0},
            }
        }
        call = svc.spreadsheets().batchUpdate(spreadsheetId=blank, body={"requests": [request]}).execute
    status, error = api_error(call)
    assert (status, error["message"]) == (400, LIMIT_MESSAGE)
    assert values_of(svc, blank, "A1") == []


def test_create_refuses_a_grid_above_ten_million_cells(svc):
    body = {
        "properties": {"title": "Huge"},
        "sheets": [{"properties": {"gridProperties": {"rowCount": 400_000, "columnCount": 26}}}],
    }
    status, error = api_error(lambda: svc.spreadsheets().create(body=body).execute())
    assert status == 400
    assert "above the limit of 10000000 cells" in error["message"]


def test_append_with_insert_rows_cannot_pass_ten_million_cells(svc):
    body = {  # 384,000 x 26 = 9,984,000 cells: just under the limit
        "properties": {"title": "Nearly full"},
        "sheets": [{"properties": {"gridProperties": {"rowCount": 384_000, "columnCount": 26}}}],
    }
    sid = svc.spreadsheets().create(body=body).execute()["spreadsheetId"]
    status, error = api_error(
        lambda: (
            svc.spreadsheets()
            .values()
            .append(
                spreadsheetId=sid,
                range="Sheet1!A1",
                valueInputOption="RAW",
                insertDataOption="INSERT_ROWS",
                body={"values": [["row"]] * 1000},  # +26,000 cells
            )
            .execute()
        )
    )
    assert status == 400
    assert "above the limit of 10000000 cells" in error["message"]
    grid = svc.spreadsheets().get(spreadsheetId=sid).execute()["sheets"][0]["properties"]["gridProperties"]
    assert grid["rowCount"] == 384_000  # nothing applied


def test_a_range_without_a_title_means_the_first_visible_sheet(svc, admin):
    sid = admin.create_spreadsheet(
        "Tabs",
        sheets=[{"title": "Hidden", "rows": [["secret"]]}, {"title": "Shown", "rows": [["public"]]}],
    )
    request = {"updateSheetProperties": {"properties": {"sheetId": 0, "hidden": True}, "fields": "hidden"}}
    svc.spreadsheets().batchUpdate(spreadsheetId=sid, body={"requests": [request]}).execute()
    got = svc.spreadsheets().values().get(spreadsheetId=sid, range="A1").execute()
    assert (got["range"], got["values"]) == ("Shown!A1", [["public"]])
    update(svc, sid, "B1", [["written"]])
    assert values_of(svc, sid, "Shown!B1") == [["written"]]
    assert values_of(svc, sid, "Hidden!A1:B1") == [["secret"]]


@pytest.mark.parametrize("formula", ["=1e400", "=1e308*10", "=-1e308*10"])
def test_a_formula_beyond_a_double_is_num_error_never_infinity(svc, blank, sheets, formula):
    """sheets.wiki "Number": calculations that exceed the maximum give #NUM!."""
    update(svc, blank, "Sheet1!A1", [[formula]], "USER_ENTERED")
    raw = requests.get(
        f"{sheets.url}/v4/spreadsheets/{blank}/values/A1?valueRenderOption=UNFORMATTED_VALUE", timeout=10
    )
    assert raw.status_code == 200 and "Infinity" not in raw.text
    assert raw.json()["values"] == [["#NUM!"]]
    assert values_of(svc, blank, "A1", valueRenderOption="FORMULA") == [[formula]]
