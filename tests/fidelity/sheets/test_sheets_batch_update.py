"""spreadsheets.batchUpdate: atomicity, replies, sheet requests, cell requests, protection."""

from __future__ import annotations

from sheets_helpers import ALICE, BOB, api_error, values_of


def batch(svc, sid, *requests, **body):
    return (
        svc.spreadsheets().batchUpdate(spreadsheetId=sid, body={"requests": list(requests), **body}).execute()
    )


def sheet_titles(svc, sid) -> list[str]:
    got = svc.spreadsheets().get(spreadsheetId=sid, fields="sheets.properties.title").execute()
    return [s["properties"]["title"] for s in got["sheets"]]


def test_a_bad_second_request_leaves_the_first_unapplied(svc, people_sheet):
    status, error = api_error(
        lambda: batch(
            svc,
            people_sheet,
            {"addSheet": {"properties": {"title": "Added"}}},
            {
                "deleteDimension": {
                    "range": {"sheetId": 99, "dimension": "ROWS", "startIndex": 0, "endIndex": 1}
                }
            },
        )
    )
    assert status == 400
    assert error == {
        "code": 400,
        "message": "Invalid requests[1].deleteDimension: No grid with id: 99",
        "status": "INVALID_ARGUMENT",
    }
    assert sheet_titles(svc, people_sheet) == ["Sheet1"]


def test_a_failed_batch_keeps_values_and_metadata_untouched(svc, people_sheet, admin):
    before = admin.spreadsheet(people_sheet)
    api_error(
        lambda: batch(
            svc,
            people_sheet,
            {
                "insertDimension": {
                    "range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 3}
                }
            },
            {
                "createDeveloperMetadata": {
                    "developerMetadata": {
                        "metadataKey": "k",
                        "visibility": "DOCUMENT",
                        "location": {"spreadsheet": True},
                    }
                }
            },
            {"updateCells": {"fields": "userEnteredValue"}},  # neither start nor range: invalid
        )
    )
    after = admin.spreadsheet(people_sheet)
    assert after["sheets"] == before["sheets"] and after["developerMetadata"] == []


def test_replies_mirror_the_requests_in_order(svc, people_sheet):
    got = batch(
        svc,
        people_sheet,
        {"insertDimension": {"range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 2}}},
        {"addSheet": {"properties": {"title": "Log", "sheetId": 7}}},
        {
            "updateDimensionProperties": {
                "range": {"sheetId": 0, "dimension": "COLUMNS"},
                "fields": "pixelSize",
            }
        },
    )
    assert got["spreadsheetId"] == people_sheet
    assert got["replies"][0] == {} and got["replies"][2] == {}
    added = got["replies"][1]["addSheet"]["properties"]
    assert added == {
        "sheetId": 7,
        "title": "Log",
        "index": 1,
        "sheetType": "GRID",
        "gridProperties": {"rowCount": 1000, "columnCount": 26},
    }


def test_add_sheet_with_a_taken_name_is_refused(svc, people_sheet):
    status, error = api_error(
        lambda: batch(svc, people_sheet, {"addSheet": {"properties": {"title": "sheet1"}}})
    )
    assert status == 400
    assert error["message"] == (
        'Invalid requests[0].addSheet: A sheet with the name "sheet1" already exists. '
        "Please enter another name."
    )


def test_the_last_sheet_cannot_be_deleted(svc, people_sheet):
    status, error = api_error(lambda: batch(svc, people_sheet, {"deleteSheet": {"sheetId": 0}}))
    assert status == 400
    assert (
        error["message"] == "Invalid requests[0].deleteSheet: You can't remove all the sheets in a document."
    )


def test_delete_sheet_deletes_its_metadata(svc, people_sheet, admin):
    batch(
        svc,
        people_sheet,
        {"addSheet": {"properties": {"title": "Tmp", "sheetId": 5}}},
        {
            "createDeveloperMetadata": {
                "developerMetadata": {
                    "metadataKey": "tmp",
                    "visibility": "DOCUMENT",
                    "location": {"sheetId": 5},
                }
            }
        },
    )
    assert len(admin.metadata(people_sheet)) == 1
    batch(svc, people_sheet, {"deleteSheet": {"sheetId": 5}})
    assert admin.metadata(people_sheet) == []


def test_update_sheet_properties_by_field_mask(svc, people_sheet):
    batch(
        svc,
        people_sheet,
        {
            "updateSheetProperties": {
                "properties": {
                    "sheetId": 0,
                    "title": "People",
                    "gridProperties": {"frozenRowCount": 1, "columnCount": 5},
                },
                "fields": "title,gridProperties(frozenRowCount,columnCount)",
            }
        },
    )
    props = svc.spreadsheets().get(spreadsheetId=people_sheet).execute()["sheets"][0]["properties"]
    assert props["title"] == "People"
    assert props["gridProperties"] == {"rowCount": 1000, "columnCount": 5, "frozenRowCount": 1}


def test_update_sheet_properties_index_uses_before_the_move_indexes(svc, people_sheet):
    batch(
        svc,
        people_sheet,
        {"addSheet": {"properties": {"title": "B"}}},
        {"addSheet": {"properties": {"title": "C"}}},
        {"updateSheetProperties": {"properties": {"sheetId": 0, "index": 2}, "fields": "index"}},
    )
    assert sheet_titles(svc, people_sheet) == ["B", "Sheet1", "C"]


def test_update_cells_writes_typed_values_without_parsing_strings(svc, people_sheet):
    batch(
        svc,
        people_sheet,
        {
            "updateCells": {
                "start": {"sheetId": 0, "rowIndex": 1, "columnIndex": 2},
                "rows": [
                    {"values": [{"userEnteredValue": {"numberValue": 150}}]},
                    {"values": [{"userEnteredValue": {"stringValue": "250"}}]},
                    {"values": [{"userEnteredValue": {"formulaValue": "=C2+C3"}}]},
                ],
                "fields": "userEnteredValue",
            }
        },
    )
    got = values_of(svc, people_sheet, "Sheet1!C2:C4", valueRenderOption="FORMULA")
    assert got == [[150], ["250"], ["=C2+C3"]]


def test_update_cells_with_a_range_clears_what_the_rows_do_not_cover(svc, people_sheet):
    batch(
        svc,
        people_sheet,
        {
            "updateCells": {
                "range": {
                    "sheetId": 0,
                    "startRowIndex": 1,
                    "endRowIndex": 3,
                    "startColumnIndex": 0,
                    "endColumnIndex": 2,
                },
                "rows": [{"values": [{"userEnteredValue": {"stringValue": "Zoe"}}]}],
                "fields": "userEnteredValue",
            }
        },
    )
    assert values_of(svc, people_sheet, "Sheet1!A2:C3") == [["Zoe", "", "100"], ["", "", "200"]]


def test_repeat_cell_fills_a_range(svc, people_sheet):
    batch(
        svc,
        people_sheet,
        {
            "repeatCell": {
                "range": {
                    "sheetId": 0,
                    "startRowIndex": 1,
                    "endRowIndex": 4,
                    "startColumnIndex": 3,
                    "endColumnIndex": 4,
                },
                "cell": {
                    "userEnteredValue": {"stringValue": "new"},
                    "userEnteredFormat": {"textFormat": {"bold": True}},
                },
                "fields": "userEnteredValue,userEnteredFormat.textFormat.bold",
            }
        },
    )
    assert values_of(svc, people_sheet, "Sheet1!D1:D4") == [[], ["new"], ["new"], ["new"]]


def test_set_data_validation_list_rule_shows_in_grid_data(svc, people_sheet):
    rule = {
        "condition": {
            "type": "ONE_OF_LIST",
            "values": [{"userEnteredValue": "new"}, {"userEnteredValue": "won"}],
        },
        "strict": True,
        "showCustomUi": True,
    }
    batch(
        svc,
        people_sheet,
        {
            "setDataValidation": {
                "range": {
                    "sheetId": 0,
                    "startRowIndex": 1,
                    "endRowIndex": 3,
                    "startColumnIndex": 3,
                    "endColumnIndex": 4,
                },
                "rule": rule,
            }
        },
    )
    got = (
        svc.spreadsheets()
        .get(spreadsheetId=people_sheet, ranges=["Sheet1!D1:D4"], includeGridData=True)
        .execute()
    )
    cells = [row.get("values", [{}])[0] for row in got["sheets"][0]["data"][0]["rowData"]]
    assert [c.get("dataValidation") for c in cells] == [None, rule, rule]
    # API writes are not blocked by validation (the rule only guides people in the UI).
    svc.spreadsheets().values().update(
        spreadsheetId=people_sheet, range="Sheet1!D2", valueInputOption="RAW", body={"values": [["lost"]]}
    ).execute()
    assert values_of(svc, people_sheet, "Sheet1!D2") == [["lost"]]


def test_protected_range_blocks_other_editors_but_not_the_owner(sheets, admin):
    sid = admin.create_spreadsheet("Locked", [["h"], ["v"]], owner=ALICE, editors=[BOB])
    alice = sheets.service(admin.mint_access_token(ALICE))
    bob = sheets.service(admin.mint_access_token(BOB))
    got = batch(
        alice,
        sid,
        {
            "addProtectedRange": {
                "protectedRange": {"range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1}}
            }
        },
    )
    protected = got["replies"][0]["addProtectedRange"]["protectedRange"]
    assert protected["protectedRangeId"] > 0 and protected["requestingUserCanEdit"] is True

    def bob_writes_header():
        bob.spreadsheets().values().update(
            spreadsheetId=sid, range="Sheet1!A1", valueInputOption="RAW", body={"values": [["x"]]}
        ).execute()

    status, error = api_error(bob_writes_header)
    assert status == 400 and error["message"].startswith("You are trying to edit a protected cell or object.")
    bob.spreadsheets().values().update(
        spreadsheetId=sid, range="Sheet1!A2", valueInputOption="RAW", body={"values": [["ok"]]}
    ).execute()
    alice.spreadsheets().values().update(
        spreadsheetId=sid, range="Sheet1!A1", valueInputOption="RAW", body={"values": [["owner"]]}
    ).execute()
    assert admin.values(sid) == [["owner"], ["ok"]]


def test_an_unknown_request_kind_is_400(svc, people_sheet):
    status, error = api_error(lambda: batch(svc, people_sheet, {"deleteEverything": {}}))
    assert status == 400 and error["message"].startswith(
        'Invalid JSON payload received. Unknown name "deleteEverything"'
    )


def test_a_real_but_unemulated_request_kind_is_501(svc, people_sheet):
    status, error = api_error(lambda: batch(svc, people_sheet, {"addChart": {"chart": {}}}))
    assert status == 501 and error["status"] == "UNIMPLEMENTED"


def test_include_spreadsheet_in_response(svc, people_sheet):
    got = batch(
        svc,
        people_sheet,
        {"addSheet": {"properties": {"title": "Second"}}},
        includeSpreadsheetInResponse=True,
    )
    assert [s["properties"]["title"] for s in got["updatedSpreadsheet"]["sheets"]] == ["Sheet1", "Second"]


def test_the_cell_limit_of_a_spreadsheet(svc, people_sheet):
    status, error = api_error(
        lambda: batch(
            svc, people_sheet, {"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 400_000}}
        )
    )
    assert status == 400
    assert "above the limit of 10000000 cells" in error["message"]
