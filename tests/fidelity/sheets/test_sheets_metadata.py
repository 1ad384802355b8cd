"""Developer metadata: create/get/search/update/delete, lookups, visibility, limits, data filters."""

from __future__ import annotations

import pytest
from sheets_helpers import api_error, tag_rows, values_of

from sandbox.sheets.metadata import LIMIT_CHARS


def batch(svc, sid, *requests):
    return svc.spreadsheets().batchUpdate(spreadsheetId=sid, body={"requests": list(requests)}).execute()


def create(svc, sid, key, location, value=None, visibility="DOCUMENT", **extra):
    dm = {"metadataKey": key, "visibility": visibility, "location": location, **extra}
    if value is not None:
        dm["metadataValue"] = value
    reply = batch(svc, sid, {"createDeveloperMetadata": {"developerMetadata": dm}})
    return reply["replies"][0]["createDeveloperMetadata"]["developerMetadata"]


def row(i, sheet_id=0):
    return {"dimensionRange": {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": i, "endIndex": i + 1}}


def column(i, sheet_id=0):
    return {
        "dimensionRange": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": i, "endIndex": i + 1}
    }


def search(svc, sid, *filters):
    got = (
        svc.spreadsheets()
        .developerMetadata()
        .search(spreadsheetId=sid, body={"dataFilters": list(filters)})
        .execute()
    )
    return got.get("matchedDeveloperMetadata", [])


def keys(matches) -> list[str]:
    return sorted(m["developerMetadata"]["metadataKey"] for m in matches)


@pytest.fixture
def catalog(svc, people_sheet) -> str:
    """Metadata in every kind of location."""
    create(svc, people_sheet, "doc", {"spreadsheet": True}, "challenge-123")
    create(svc, people_sheet, "sheet", {"sheetId": 0})
    create(svc, people_sheet, "row2", row(2), "lead-2")
    create(svc, people_sheet, "row3", row(3), "lead-3")
    create(svc, people_sheet, "colB", column(1), "email")
    return people_sheet


def test_create_replies_with_the_entry_and_get_reads_it(svc, people_sheet):
    made = create(svc, people_sheet, "amo", row(1), "31337", metadataId=42)
    assert made == {
        "metadataId": 42,
        "metadataKey": "amo",
        "metadataValue": "31337",
        "location": {
            "locationType": "ROW",
            "dimensionRange": {"sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 2},
        },
        "visibility": "DOCUMENT",
    }
    got = svc.spreadsheets().developerMetadata().get(spreadsheetId=people_sheet, metadataId=42).execute()
    assert got == made


def test_ids_are_assigned_when_not_given_and_must_be_unused(svc, people_sheet):
    made = create(svc, people_sheet, "k", {"spreadsheet": True})
    assert made["metadataId"] > 0
    status, error = api_error(
        lambda: create(svc, people_sheet, "k2", {"spreadsheet": True}, metadataId=made["metadataId"])
    )
    assert status == 400 and "already exists" in error["message"]


def test_get_unknown_id_is_404(svc, people_sheet):
    status, error = api_error(
        lambda: (
            svc.spreadsheets().developerMetadata().get(spreadsheetId=people_sheet, metadataId=12345).execute()
        )
    )
    assert (status, error["status"]) == (404, "NOT_FOUND")


def test_search_by_key_and_by_value(svc, catalog):
    assert keys(search(svc, catalog, {"developerMetadataLookup": {"metadataKey": "row2"}})) == ["row2"]
    assert keys(search(svc, catalog, {"developerMetadataLookup": {"metadataValue": "lead-3"}})) == ["row3"]


def test_search_echoes_every_filter_that_matched(svc, catalog):
    by_key = {"developerMetadataLookup": {"metadataKey": "row2"}}
    by_value = {"developerMetadataLookup": {"metadataValue": "lead-2"}}
    [match] = search(svc, catalog, by_key, by_value)
    assert match["dataFilters"] == [by_key, by_value]


def test_search_by_location_type(svc, catalog):
    lookup = {"developerMetadataLookup": {"locationType": "ROW"}}
    assert keys(search(svc, catalog, lookup)) == ["row2", "row3"]
    lookup = {"developerMetadataLookup": {"locationType": "SPREADSHEET"}}
    assert keys(search(svc, catalog, lookup)) == ["doc"]


def test_search_by_intersecting_location_is_the_default(svc, catalog):
    # Row 2 intersects: its own row metadata, every column's metadata, and the sheet's.
    lookup = {"developerMetadataLookup": {"metadataLocation": row(2)}}
    assert keys(search(svc, catalog, lookup)) == ["colB", "row2", "sheet"]


def test_search_by_exact_location(svc, catalog):
    lookup = {
        "developerMetadataLookup": {"metadataLocation": row(2), "locationMatchingStrategy": "EXACT_LOCATION"}
    }
    assert keys(search(svc, catalog, lookup)) == ["row2"]


def test_search_by_a1_range_finds_metadata_located_on_it(svc, catalog):
    assert keys(search(svc, catalog, {"a1Range": "Sheet1!B4"})) == ["colB", "row3", "sheet"]
    assert keys(search(svc, catalog, {"a1Range": "Sheet1!A4"})) == ["row3", "sheet"]


def test_search_with_no_match_answers_an_empty_object(svc, catalog):
    got = (
        svc.spreadsheets()
        .developerMetadata()
        .search(
            spreadsheetId=catalog,
            body={"dataFilters": [{"developerMetadataLookup": {"metadataKey": "nope"}}]},
        )
        .execute()
    )
    assert got == {}


def test_project_visibility_hides_entries_from_other_projects(sheets, svc, people_sheet, admin):
    create(svc, people_sheet, "mine", {"spreadsheet": True}, visibility="PROJECT")
    create(svc, people_sheet, "shared", {"spreadsheet": True}, visibility="DOCUMENT")
    admin.share(people_sheet, "addon@script-project.iam.gserviceaccount.com")
    other = sheets.service(
        admin.mint_access_token("addon@script-project.iam.gserviceaccount.com", project="apps-script-project")
    )
    lookup = {"developerMetadataLookup": {"locationType": "SPREADSHEET"}}
    assert keys(search(svc, people_sheet, lookup)) == ["mine", "shared"]
    assert keys(search(other, people_sheet, lookup)) == ["shared"]
    by_visibility = {"developerMetadataLookup": {"visibility": "PROJECT"}}
    assert keys(search(svc, people_sheet, by_visibility)) == ["mine"]
    assert keys(search(other, people_sheet, by_visibility)) == []


def test_update_by_filter_and_field_mask(svc, catalog):
    reply = batch(
        svc,
        catalog,
        {
            "updateDeveloperMetadata": {
                "dataFilters": [{"developerMetadataLookup": {"metadataKey": "row3"}}],
                "developerMetadata": {"metadataValue": "lead-33", "location": row(4)},
                "fields": "metadataValue,location",
            }
        },
    )
    [updated] = reply["replies"][0]["updateDeveloperMetadata"]["developerMetadata"]
    assert updated["metadataValue"] == "lead-33"
    assert updated["location"]["dimensionRange"]["startIndex"] == 4


def test_delete_by_filter_replies_with_what_was_deleted(svc, catalog, admin):
    reply = batch(
        svc,
        catalog,
        {"deleteDeveloperMetadata": {"dataFilter": {"developerMetadataLookup": {"locationType": "ROW"}}}},
    )
    deleted = reply["replies"][0]["deleteDeveloperMetadata"]["deletedDeveloperMetadata"]
    assert sorted(d["metadataKey"] for d in deleted) == ["row2", "row3"]
    assert sorted(m["metadataKey"] for m in admin.metadata(catalog)) == ["colB", "doc", "sheet"]


@pytest.mark.parametrize(
    "location",
    [
        {"dimensionRange": {"sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 3}},  # two rows
        {"dimensionRange": {"sheetId": 0, "dimension": "ROWS", "startIndex": 1}},  # unbounded
        {
            "dimensionRange": {"sheetId": 9, "dimension": "ROWS", "startIndex": 1, "endIndex": 2}
        },  # no such sheet
        {},
    ],
)
def test_invalid_locations_are_400(svc, people_sheet, location):
    status, error = api_error(lambda: create(svc, people_sheet, "k", location))
    assert status == 400 and error["message"].startswith("Invalid requests[0].createDeveloperMetadata: ")


def test_the_30000_character_limit_per_sheet(svc, people_sheet):
    create(svc, people_sheet, "k", {"sheetId": 0}, "v" * (LIMIT_CHARS - 2))  # key + value: 29,999 characters
    create(svc, people_sheet, "x", row(1))  # exactly 30,000
    status, error = api_error(lambda: create(svc, people_sheet, "y", row(2)))
    assert status == 400
    assert "above the limit of 30000" in error["message"]
    assert "sheet 'Sheet1'" in error["message"]


def test_the_30000_character_limit_per_spreadsheet_is_separate(svc, people_sheet):
    create(svc, people_sheet, "k", {"sheetId": 0}, "v" * (LIMIT_CHARS - 1))  # the sheet is full
    create(svc, people_sheet, "doc", {"spreadsheet": True}, "v" * (LIMIT_CHARS - 3))  # the spreadsheet too
    status, error = api_error(lambda: create(svc, people_sheet, "more", {"spreadsheet": True}))
    assert status == 400 and "on the spreadsheet" in error["message"]


def test_batch_get_by_data_filter_reads_the_row_a_metadata_entry_marks(svc, people_sheet):
    tag_rows(svc, people_sheet, 0, {2: "bob"}, key="contact")
    got = (
        svc.spreadsheets()
        .values()
        .batchGetByDataFilter(
            spreadsheetId=people_sheet,
            body={
                "dataFilters": [
                    {"developerMetadataLookup": {"metadataKey": "contact", "metadataValue": "bob"}}
                ]
            },
        )
        .execute()
    )
    [matched] = got["valueRanges"]
    assert matched["valueRange"] == {
        "range": "Sheet1!A3:Z3",
        "majorDimension": "ROWS",
        "values": [["Bob", "bob@example.com", "200"]],
    }
    assert matched["dataFilters"] == [
        {"developerMetadataLookup": {"metadataKey": "contact", "metadataValue": "bob"}}
    ]


def test_batch_get_by_data_filter_with_a1_and_grid_ranges(svc, people_sheet):
    got = (
        svc.spreadsheets()
        .values()
        .batchGetByDataFilter(
            spreadsheetId=people_sheet,
            body={
                "dataFilters": [
                    {"a1Range": "Sheet1!A1:A2"},
                    {
                        "gridRange": {
                            "sheetId": 0,
                            "startRowIndex": 3,
                            "endRowIndex": 4,
                            "startColumnIndex": 1,
                        }
                    },
                ],
                "valueRenderOption": "UNFORMATTED_VALUE",
            },
        )
        .execute()
    )
    assert [m["valueRange"]["values"] for m in got["valueRanges"]] == [
        [["name"], ["Ann"]],
        [["cid@example.com", 300]],
    ]


def test_batch_update_by_data_filter_writes_into_the_marked_row(svc, people_sheet):
    tag_rows(svc, people_sheet, 0, {1: "ann"}, key="contact")
    got = (
        svc.spreadsheets()
        .values()
        .batchUpdateByDataFilter(
            spreadsheetId=people_sheet,
            body={
                "valueInputOption": "USER_ENTERED",
                "data": [
                    {
                        "dataFilter": {
                            "developerMetadataLookup": {"metadataKey": "contact", "metadataValue": "ann"}
                        },
                        "values": [["Ann B.", None, "150"]],
                    }
                ],
            },
        )
        .execute()
    )
    assert got["totalUpdatedCells"] == 2
    assert got["responses"][0]["updatedRange"] == "Sheet1!A2:C2"
    assert values_of(svc, people_sheet, "Sheet1!A2:C2", valueRenderOption="UNFORMATTED_VALUE") == [
        ["Ann B.", "ann@example.com", 150]
    ]


def test_batch_update_by_data_filter_refuses_values_larger_than_the_matched_range(svc, people_sheet):
    tag_rows(svc, people_sheet, 0, {1: "ann"}, key="contact")
    body = {
        "valueInputOption": "RAW",
        "data": [
            {"dataFilter": {"developerMetadataLookup": {"metadataKey": "contact"}}, "values": [["a"], ["b"]]}
        ],
    }
    status, error = api_error(
        lambda: (
            svc.spreadsheets()
            .values()
            .batchUpdateByDataFilter(spreadsheetId=people_sheet, body=body)
            .execute()
        )
    )
    assert status == 400 and "but tried writing to row [3]" in error["message"]


def test_spreadsheets_get_lists_metadata_by_where_it_lives(svc, catalog):
    got = (
        svc.spreadsheets()
        .get(spreadsheetId=catalog, fields="developerMetadata,sheets.developerMetadata")
        .execute()
    )
    assert [m["metadataKey"] for m in got["developerMetadata"]] == ["doc"]
    assert [m["metadataKey"] for m in got["sheets"][0]["developerMetadata"]] == ["sheet"]
    # Row and column entries belong to DimensionProperties, so they come with the grid data.
    fields = (
        "sheets.data(rowMetadata.developerMetadata.metadataKey,columnMetadata.developerMetadata.metadataKey)"
    )
    got = svc.spreadsheets().get(spreadsheetId=catalog, ranges=["Sheet1!A1:C4"], fields=fields).execute()
    data = got["sheets"][0]["data"][0]
    keys_by_row = [[m["metadataKey"] for m in r.get("developerMetadata", [])] for r in data["rowMetadata"]]
    keys_by_column = [
        [m["metadataKey"] for m in c.get("developerMetadata", [])] for c in data["columnMetadata"]
    ]
    assert keys_by_row == [[], [], ["row2"], ["row3"]]
    assert keys_by_column == [[], ["colB"], []]
