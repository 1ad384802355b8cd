"""Reading and writing values: render options, major dimension, trimming, response shapes, errors."""

from __future__ import annotations

import pytest
import requests
from sheets_helpers import api_error, values_of


def update(svc, sid, range_, values, option="RAW", **kw):
    body = {"values": values, **kw.pop("body", {})}
    return (
        svc.spreadsheets()
        .values()
        .update(spreadsheetId=sid, range=range_, valueInputOption=option, body=body, **kw)
        .execute()
    )


@pytest.fixture
def blank(admin) -> str:
    return admin.create_spreadsheet("Blank", [])


def test_trailing_empty_cells_and_rows_are_trimmed(svc, blank):
    update(svc, blank, "Sheet1!A1", [["a", "", "c", "", ""], ["", ""], ["x"], ["", "", ""], [""]])
    got = svc.spreadsheets().values().get(spreadsheetId=blank, range="Sheet1!A1:E6").execute()
    assert got["range"] == "Sheet1!A1:E6"
    assert got["values"] == [["a", "", "c"], [], ["x"]]


def test_an_empty_range_has_no_values_key(svc, blank):
    got = svc.spreadsheets().values().get(spreadsheetId=blank, range="Sheet1!A1:C3").execute()
    assert got == {"range": "Sheet1!A1:C3", "majorDimension": "ROWS"}


def test_major_dimension_columns_when_reading(svc, blank):
    update(svc, blank, "Sheet1!A1", [[1, 2], [3, 4], [5]])
    got = (
        svc.spreadsheets()
        .values()
        .get(
            spreadsheetId=blank,
            range="Sheet1!A1:B3",
            majorDimension="COLUMNS",
            valueRenderOption="UNFORMATTED_VALUE",
        )
        .execute()
    )
    assert got["majorDimension"] == "COLUMNS"
    assert got["values"] == [[1, 3, 5], [2, 4]]


def test_major_dimension_columns_when_writing(svc, blank):
    update(svc, blank, "Sheet1!A1:B2", [[1, 2], [3, 4]], body={"majorDimension": "COLUMNS"})
    assert values_of(svc, blank, "Sheet1!A1:B2", valueRenderOption="UNFORMATTED_VALUE") == [[1, 3], [2, 4]]


def test_update_response_shape(svc, blank):
    got = update(svc, blank, "Sheet1!B2", [["a", None, "c"], ["d"]])
    assert got == {
        "spreadsheetId": blank,
        "updatedRange": "Sheet1!B2:D3",
        "updatedRows": 2,
        "updatedColumns": 2,  # the null was skipped, so column C was not updated
        "updatedCells": 3,
    }


def test_include_values_in_response_renders_what_was_written(svc, blank):
    got = update(
        svc,
        blank,
        "Sheet1!A1",
        [["1,234.5", "TRUE"]],
        option="USER_ENTERED",
        includeValuesInResponse=True,
        responseValueRenderOption="UNFORMATTED_VALUE",
    )
    assert got["updatedData"] == {
        "range": "Sheet1!A1:B1",
        "majorDimension": "ROWS",
        "values": [[1234.5, True]],
    }


def test_null_skips_a_cell_and_empty_string_clears_it(svc, blank):
    update(svc, blank, "Sheet1!A1", [["keep", "clear", "x"]])
    update(svc, blank, "Sheet1!A1", [[None, "", "y"]])
    assert values_of(svc, blank) == [["keep", "", "y"]]


def test_values_larger_than_the_range_are_400(svc, blank):
    status, error = api_error(lambda: update(svc, blank, "Sheet1!A1:B2", [[1], [2], [3]]))
    assert status == 400
    assert error["message"] == "Requested writing within range [Sheet1!A1:B2], but tried writing to row [3]"
    status, error = api_error(lambda: update(svc, blank, "Sheet1!A1:B2", [[1, 2, 3]]))
    assert (
        error["message"] == "Requested writing within range [Sheet1!A1:B2], but tried writing to column [C]"
    )


def test_a_single_cell_range_is_an_anchor_the_values_extend_from(svc, blank):
    got = update(svc, blank, "Sheet1!C3", [[1, 2], [3, 4]])
    assert got["updatedRange"] == "Sheet1!C3:D4"


def test_writing_past_the_grid_is_400(svc, blank):
    status, error = api_error(lambda: update(svc, blank, "Sheet1!Z1", [["z", "past"]]))
    assert status == 400
    assert error["message"] == "Range (Sheet1!Z1:AA1) exceeds grid limits. Max rows: 1000, max columns: 26"


def test_body_range_must_match_the_url_range(svc, blank):
    status, _ = api_error(lambda: update(svc, blank, "Sheet1!A1", [[1]], body={"range": "Sheet1!B1"}))
    assert status == 400


def test_batch_update_totals_and_responses(svc, blank):
    got = (
        svc.spreadsheets()
        .values()
        .batchUpdate(
            spreadsheetId=blank,
            body={
                "valueInputOption": "RAW",
                "data": [
                    {"range": "Sheet1!A1", "values": [["a", "b"]]},
                    {"range": "Sheet1!A3:B3", "values": [["c"]]},
                ],
            },
        )
        .execute()
    )
    assert got["totalUpdatedCells"] == 3
    assert got["totalUpdatedRows"] == 2
    assert got["totalUpdatedSheets"] == 1
    assert [r["updatedRange"] for r in got["responses"]] == ["Sheet1!A1:B1", "Sheet1!A3"]
    assert values_of(svc, blank) == [["a", "b"], [], ["c"]]


def test_batch_update_is_all_or_nothing(svc, blank):
    body = {
        "valueInputOption": "RAW",
        "data": [{"range": "Sheet1!A1", "values": [["written?"]]}, {"range": "Nope!A1", "values": [["x"]]}],
    }
    status, error = api_error(
        lambda: svc.spreadsheets().values().batchUpdate(spreadsheetId=blank, body=body).execute()
    )
    assert (status, error["message"]) == (400, "Invalid data[1]: Unable to parse range: Nope!A1")
    assert values_of(svc, blank) == []


def test_clear_answers_the_bounded_range_and_keeps_the_rest(svc, blank):
    update(svc, blank, "Sheet1!A1", [["a", "b"], ["c", "d"]])
    got = svc.spreadsheets().values().clear(spreadsheetId=blank, range="Sheet1!B:B", body={}).execute()
    assert got == {"spreadsheetId": blank, "clearedRange": "Sheet1!B1:B1000"}
    assert values_of(svc, blank) == [["a"], ["c"]]


def test_batch_clear(svc, blank):
    update(svc, blank, "Sheet1!A1", [["a", "b", "c"]])
    got = svc.spreadsheets().values().batchClear(spreadsheetId=blank, body={"ranges": ["A1", "C1"]}).execute()
    assert got["clearedRanges"] == ["Sheet1!A1", "Sheet1!C1"]
    assert values_of(svc, blank) == [["", "b"]]


def test_value_input_option_is_required(svc, blank):
    status, error = api_error(
        lambda: (
            svc.spreadsheets()
            .values()
            .update(spreadsheetId=blank, range="A1", body={"values": [[1]]})
            .execute()
        )
    )
    assert (status, error["message"]) == (400, "Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED")


def test_an_unknown_enum_value_is_400(sheets, blank):
    # google-api-python-client refuses unknown enum values itself, so this goes over plain HTTP.
    r = requests.get(
        f"{sheets.url}/v4/spreadsheets/{blank}/values/A1", params={"valueRenderOption": "PRETTY"}, timeout=5
    )
    assert r.status_code == 400
    assert r.json()["error"]["message"].startswith("Invalid value at 'value_render_option'")


def test_an_unknown_query_parameter_is_400(sheets, blank):
    r = requests.get(
        f"{sheets.url}/v4/spreadsheets/{blank}/values/A1", params={"valueRender": "FORMULA"}, timeout=5
    )
    assert r.status_code == 400
    assert r.json()["error"]["message"].startswith(
        'Invalid JSON payload received. Unknown name "valueRender"'
    )


def test_concurrent_appends_from_many_threads_all_land(sheets, admin):
    """The server is threaded; every call runs under one lock, so no append is lost or doubled."""
    from concurrent.futures import ThreadPoolExecutor

    sid = admin.create_spreadsheet("Busy", [["n"]])
    admin.set_quotas(enabled=False)
    url = f"{sheets.url}/v4/spreadsheets/{sid}/values/Sheet1!A1:append"

    def append(i: int) -> int:
        body = {"values": [[i]]}
        return requests.post(url, params={"valueInputOption": "RAW"}, json=body, timeout=10).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(append, range(40)))
    assert statuses == [200] * 40
    column = [row[0] for row in admin.values(sid)[1:]]
    assert sorted(column) == list(range(40))
