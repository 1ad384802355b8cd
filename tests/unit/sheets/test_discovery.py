"""The Sheets and Drive services are built from Google's discovery documents without their schemas
(backend/sheets/discovery.py): every request the backend makes must come out exactly as the complete
document builds it — URL with its query, method, body, headers — and its answer must still be read
as JSON."""

from __future__ import annotations

import httplib2
import pytest
from googleapiclient.discovery import build

from backend.sheets.discovery import offline_service

ENDPOINT = "http://127.0.0.1:8802/"
SID = "1AbC-spreadsheet_id"


def _complete(api: str, version: str, endpoint: str | None):
    options = {"api_endpoint": endpoint} if endpoint else None
    return build(
        api,
        version,
        http=httplib2.Http(),
        client_options=options,
        static_discovery=True,
        cache_discovery=False,
    )


SHEETS = [  # every call of backend/sheets/client.py
    lambda s: s.spreadsheets().get(spreadsheetId=SID, fields="sheets(properties(sheetId,title))"),
    lambda s: (
        s.spreadsheets()
        .values()
        .batchGet(
            spreadsheetId=SID,
            ranges=["'Leads'!A1:F", "'Leads'!Z1:Z"],
            valueRenderOption="UNFORMATTED_VALUE",
            dateTimeRenderOption="SERIAL_NUMBER",
            majorDimension="ROWS",
        )
    ),
    lambda s: (
        s.spreadsheets()
        .values()
        .batchGetByDataFilter(
            spreadsheetId=SID, body={"dataFilters": [{"a1Range": "A1"}], "majorDimension": "COLUMNS"}
        )
    ),
    lambda s: (
        s.spreadsheets()
        .developerMetadata()
        .search(spreadsheetId=SID, body={"dataFilters": [{"developerMetadataLookup": {"metadataKey": "k"}}]})
    ),
    lambda s: (
        s.spreadsheets()
        .values()
        .batchUpdate(
            spreadsheetId=SID, body={"valueInputOption": "RAW", "data": [{"range": "A1", "values": [[1]]}]}
        )
    ),
    lambda s: s.spreadsheets().batchUpdate(spreadsheetId=SID, body={"requests": [{"addSheet": {}}]}),
]
DRIVE = [  # drive_version.py, drive_access.py, security/editors.py
    lambda d: d.files().get(fileId=SID, fields="version,modifiedTime", supportsAllDrives=True),
    lambda d: d.about().get(fields="user(permissionId)"),
    lambda d: d.permissions().delete(fileId=SID, permissionId="p1", supportsAllDrives=True),
    lambda d: d.permissions().list(
        fileId=SID,
        fields="nextPageToken,permissions(emailAddress)",
        pageSize=100,
        pageToken="t",
        supportsAllDrives=True,
    ),
]


def _same(ours, google) -> None:
    assert (ours.uri, ours.method, ours.body, ours.headers) == (
        google.uri,
        google.method,
        google.body,
        google.headers,
    )
    assert type(ours.postproc.__self__) is type(google.postproc.__self__)  # JSON (or raw) read the same way
    answer = httplib2.Response({"status": 200}), b'{"a": 1}'
    assert ours.postproc(*answer) == google.postproc(*answer)


@pytest.mark.parametrize("endpoint", [ENDPOINT, None])
@pytest.mark.parametrize("call", range(len(SHEETS)))
def test_every_sheets_request_is_the_one_the_complete_document_builds(endpoint, call):
    _same(
        SHEETS[call](offline_service("sheets", "v4", endpoint)),
        SHEETS[call](_complete("sheets", "v4", endpoint)),
    )


@pytest.mark.parametrize("endpoint", [ENDPOINT + "drive/v3/", None])
@pytest.mark.parametrize("call", range(len(DRIVE)))
def test_every_drive_request_is_the_one_the_complete_document_builds(endpoint, call):
    _same(
        DRIVE[call](offline_service("drive", "v3", endpoint)), DRIVE[call](_complete("drive", "v3", endpoint))
    )


def test_a_required_parameter_left_out_is_still_refused_before_anything_is_sent():
    with pytest.raises(TypeError, match="spreadsheetId"):
        offline_service("sheets", "v4", ENDPOINT).spreadsheets().values().batchGet(ranges=["A1"])
