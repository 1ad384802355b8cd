"""Drive v3 `files.get` in the Sheets emulator, driven by google-api-python-client's own Drive discovery
document (drive.v3.json): `version` is "a monotonically increasing version number for the file. This
reflects every change made to the file on the server"; `modifiedTime` is RFC 3339; without `fields`
Drive answers kind, id, name and mimeType; a file the caller cannot open is 404 "File not found"."""

from __future__ import annotations

import datetime as dt

import pytest
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from backend.sheets.drive_version import file_version


@pytest.fixture
def drive(sheets):
    return build(
        "drive",
        "v3",
        client_options={"api_endpoint": sheets.url.rstrip("/") + "/drive/v3/"},
        developerKey="unused",  # anonymous: the emulator's service account
        static_discovery=True,
        cache_discovery=False,
    ).files()


def meta(drive, file_id: str) -> dict:
    return drive.get(fileId=file_id, fields="version,modifiedTime").execute()


def test_default_fields_and_the_selected_ones(drive, people_sheet):
    assert drive.get(fileId=people_sheet).execute() == {
        "kind": "drive#file",
        "id": people_sheet,
        "name": "Contacts",
        "mimeType": "application/vnd.google-apps.spreadsheet",
    }
    got = meta(drive, people_sheet)
    assert set(got) == {"version", "modifiedTime"}
    assert int(got["version"]) > 0  # int64 as a JSON string
    assert dt.datetime.fromisoformat(got["modifiedTime"].replace("Z", "+00:00")).tzinfo is not None


def test_version_stays_while_nothing_changes_and_grows_with_every_kind_of_change(
    drive, svc, admin, people_sheet
):
    v0 = meta(drive, people_sheet)
    assert meta(drive, people_sheet) == v0  # reading the file or its cells changes nothing
    svc.spreadsheets().values().get(spreadsheetId=people_sheet, range="Sheet1").execute()
    assert meta(drive, people_sheet) == v0
    svc.spreadsheets().values().update(
        spreadsheetId=people_sheet, range="Sheet1!C2", valueInputOption="RAW", body={"values": [["150"]]}
    ).execute()
    v1 = meta(drive, people_sheet)
    assert int(v1["version"]) > int(v0["version"]) and v1["modifiedTime"] >= v0["modifiedTime"]
    admin.edit_cells(people_sheet, "Sheet1!A3", [["Robert"]])  # a person in the UI
    v2 = meta(drive, people_sheet)
    assert int(v2["version"]) > int(v1["version"])
    admin.share(people_sheet, "colleague@example.com")  # sharing is a change to the file too
    assert int(meta(drive, people_sheet)["version"]) > int(v2["version"])


def test_a_file_not_shared_with_the_caller_is_not_found(drive, admin):
    private = admin.create_spreadsheet("Private", [["a"]], owner="someone@example.com", editors=[])
    with pytest.raises(HttpError) as err:
        meta(drive, private)
    assert err.value.resp.status == 404
    with pytest.raises(HttpError) as err:
        meta(drive, "1NoSuchFile0000000000")
    assert err.value.resp.status == 404


def test_the_backend_reads_the_version_and_gets_none_where_drive_cannot_tell(sheets, admin, people_sheet):
    got = file_version(sheets.url, people_sheet)
    assert got is not None and int(got.version) > 0
    assert file_version(sheets.url, "1NoSuchFile0000000000") is None  # the caller then reads the sheet
