"""spreadsheets.get (field masks, includeGridData, ranges), getByDataFilter and spreadsheets.create."""

from __future__ import annotations

from sheets_helpers import SA, api_error


def test_field_mask_for_what_a_backend_reads(svc, people_sheet):
    got = (
        svc.spreadsheets()
        .get(
            spreadsheetId=people_sheet,
            fields="spreadsheetId,properties.title,sheets.properties(sheetId,title,index,gridProperties)",
        )
        .execute()
    )
    assert got == {
        "spreadsheetId": people_sheet,
        "properties": {"title": "Contacts"},
        "sheets": [
            {
                "properties": {
                    "sheetId": 0,
                    "title": "Sheet1",
                    "index": 0,
                    "gridProperties": {"rowCount": 1000, "columnCount": 26},
                }
            }
        ],
    }


def test_field_mask_slash_syntax(svc, people_sheet):
    got = svc.spreadsheets().get(spreadsheetId=people_sheet, fields="sheets/properties/title").execute()
    assert got == {"sheets": [{"properties": {"title": "Sheet1"}}]}


def test_default_get_has_no_grid_data(svc, people_sheet):
    got = svc.spreadsheets().get(spreadsheetId=people_sheet).execute()
    assert set(got) == {"spreadsheetId", "properties", "sheets", "spreadsheetUrl"}
    assert "data" not in got["sheets"][0]
    assert got["properties"]["locale"] == "en_US"


def test_include_grid_data_with_ranges(svc, people_sheet, admin):
    admin.create_spreadsheet("unrelated", [["x"]])
    got = (
        svc.spreadsheets()
        .get(spreadsheetId=people_sheet, includeGridData=True, ranges=["Sheet1!B2:C3"])
        .execute()
    )
    [data] = got["sheets"][0]["data"]
    assert (data["startRow"], data["startColumn"]) == (1, 1)
    first = data["rowData"][0]["values"]
    assert first[0] == {
        "userEnteredValue": {"stringValue": "ann@example.com"},
        "effectiveValue": {"stringValue": "ann@example.com"},
        "formattedValue": "ann@example.com",
    }
    assert first[1]["effectiveValue"] == {"numberValue": 100}
    assert len(data["rowMetadata"]) == 2 and len(data["columnMetadata"]) == 2


def test_ranges_limit_the_sheets_returned(svc, admin):
    sid = admin.create_spreadsheet(
        "Two", sheets=[{"title": "A", "rows": [["a"]]}, {"title": "B", "rows": [["b"]]}]
    )
    got = (
        svc.spreadsheets().get(spreadsheetId=sid, ranges=["B!A1"], fields="sheets.properties.title").execute()
    )
    assert got == {"sheets": [{"properties": {"title": "B"}}]}


def test_a_field_mask_selecting_data_returns_grid_data(svc, people_sheet):
    got = (
        svc.spreadsheets()
        .get(spreadsheetId=people_sheet, ranges=["A1"], fields="sheets.data.rowData.values.formattedValue")
        .execute()
    )
    assert got == {"sheets": [{"data": [{"rowData": [{"values": [{"formattedValue": "name"}]}]}]}]}


def test_get_by_data_filter(svc, people_sheet):
    got = (
        svc.spreadsheets()
        .getByDataFilter(
            spreadsheetId=people_sheet,
            body={"dataFilters": [{"a1Range": "Sheet1!A4"}], "includeGridData": True},
        )
        .execute()
    )
    assert got["sheets"][0]["data"][0]["rowData"][0]["values"][0]["formattedValue"] == "Cid"


def test_create_makes_the_caller_the_owner(svc, admin):
    got = (
        svc.spreadsheets()
        .create(
            body={
                "properties": {"title": "Made by API"},
                "sheets": [
                    {"properties": {"title": "Leads", "gridProperties": {"rowCount": 50, "columnCount": 5}}}
                ],
            }
        )
        .execute()
    )
    sid = got["spreadsheetId"]
    assert len(sid) == 44
    assert got["sheets"][0]["properties"]["gridProperties"] == {"rowCount": 50, "columnCount": 5}
    assert admin.spreadsheet(sid)["owner"] == SA


def test_create_without_sheets_makes_sheet1_with_gid_0(svc):
    got = svc.spreadsheets().create(body={"properties": {"title": "Plain"}}).execute()
    assert got["sheets"][0]["properties"]["sheetId"] == 0
    assert got["sheets"][0]["properties"]["title"] == "Sheet1"


def test_bad_field_mask_is_400(svc, people_sheet):
    status, _ = api_error(
        lambda: svc.spreadsheets().get(spreadsheetId=people_sheet, fields="sheets(properties").execute()
    )
    assert status == 400
