"""The Drive v3 slice (sandbox/sheets/drive.py) driven by google-api-python-client's own Drive v3
discovery document (`drive.v3.json`, shipped with the library): about.get needs `fields` ("The 'fields'
parameter is required for this method"), permissions.delete answers an empty 204, a caller without access
gets 404 "File not found", and nobody removes the owner. Reference:
https://developers.google.com/drive/api/v3/reference/permissions/delete"""

import httplib2
import pytest
from google.auth.credentials import AnonymousCredentials
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

SA = "sync@sandbox-project.iam.gserviceaccount.com"
OWNER = "owner@example.com"


def drive(sheets, token: str | None = None):
    import google_auth_httplib2

    creds = Credentials(token) if token else AnonymousCredentials()
    return build(
        "drive",
        "v3",
        http=google_auth_httplib2.AuthorizedHttp(creds, http=httplib2.Http()),
        client_options={"api_endpoint": sheets.url + "/drive/v3/"},
        static_discovery=True,
        cache_discovery=False,
    )


def test_the_service_account_removes_its_own_access(sheets):
    sid = sheets.admin.create_spreadsheet("T", [["a"]], owner=OWNER, editors=[SA])
    d = drive(sheets)
    me = d.about().get(fields="user(permissionId,emailAddress)").execute()["user"]
    listed = d.permissions().list(fileId=sid).execute()["permissions"]
    assert {p["role"] for p in listed} == {"owner", "writer"} and me["permissionId"] in {
        p["id"] for p in listed
    }
    assert d.permissions().delete(fileId=sid, permissionId=me["permissionId"]).execute() == ""
    assert sheets.admin.sharing(sid)["editors"] == []
    with pytest.raises(HttpError) as err:  # the Sheets API refuses it now
        sheets.service().spreadsheets().get(spreadsheetId=sid).execute()
    assert err.value.resp.status == 403
    with pytest.raises(HttpError) as err:  # and Drive no longer shows it the file
        d.permissions().delete(fileId=sid, permissionId=me["permissionId"]).execute()
    assert err.value.resp.status == 404


def test_about_needs_fields_and_the_owner_cannot_be_removed(sheets):
    sid = sheets.admin.create_spreadsheet("T", [["a"]], owner=OWNER, editors=[SA])
    d = drive(sheets)
    with pytest.raises(HttpError) as err:
        d.about().get().execute()
    assert err.value.resp.status == 400
    owner = next(p for p in d.permissions().list(fileId=sid).execute()["permissions"] if p["role"] == "owner")
    with pytest.raises(HttpError) as err:
        d.permissions().delete(fileId=sid, permissionId=owner["id"]).execute()
    assert err.value.resp.status == 403
    assert sheets.admin.sharing(sid)["owner"] == OWNER
