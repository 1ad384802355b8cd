"""The emulator's Drive v3 `permissions.list` (sandbox/sheets/drive.py) against Google's
discovery document for Drive v3 (`drive.v3.json`, shipped with google-api-python-client): the path and
parameters are the documented ones, every field answered is a documented field of `PermissionList` and
`Permission`, and the backend's editor check reads it through the real client."""

from __future__ import annotations

import json
from pathlib import Path

import googleapiclient
import requests

from backend.security import editors
from tests.integration.api.conftest import SERVICE_ACCOUNT

DRIVE = json.loads(
    (Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "drive.v3.json").read_text()
)


def _doc(sheets, owner="olga@example.com", editors_=("ed@example.com",), viewers=("vi@example.com",)):
    sid = sheets.admin.create_spreadsheet("Perm", [["a"]], owner=owner, editors=[SERVICE_ACCOUNT, *editors_])
    for v in viewers:
        sheets.admin.share(sid, v, role="reader")
    return sid


def test_the_route_and_answer_are_drives(sheets):
    method = DRIVE["resources"]["permissions"]["methods"]["list"]
    assert method["path"] == "files/{fileId}/permissions" and method["httpMethod"] == "GET"
    sid = _doc(sheets)
    url = f"{sheets.url.rstrip('/')}/drive/v3/files/{sid}/permissions"
    full = requests.get(url, params={"fields": "*"}, timeout=10).json()
    assert set(full) <= set(DRIVE["schemas"]["PermissionList"]["properties"])
    for p in full["permissions"]:
        assert set(p) <= set(DRIVE["schemas"]["Permission"]["properties"])
    roles = {p["emailAddress"]: p["role"] for p in full["permissions"]}
    assert roles == {
        "olga@example.com": "owner",
        "ed@example.com": "writer",
        SERVICE_ACCOUNT: "writer",
        "vi@example.com": "reader",
    }
    # without `fields`, Drive v3 answers kind, id, type and role only: no addresses
    bare = requests.get(url, timeout=10).json()["permissions"]
    assert all(set(p) == {"kind", "id", "type", "role"} for p in bare)
    paged = requests.get(url, params={"pageSize": 2, "fields": "*"}, timeout=10).json()
    assert len(paged["permissions"]) == 2 and paged["nextPageToken"]
    assert requests.get(url, params={"notAParameter": 1}, timeout=10).status_code == 400


def test_a_file_the_caller_cannot_see_is_not_found(sheets):
    sid = sheets.admin.create_spreadsheet("Private", [["a"]], owner="olga@example.com", editors=[])
    r = requests.get(f"{sheets.url.rstrip('/')}/drive/v3/files/{sid}/permissions", timeout=10)
    assert r.status_code == 404 and r.json()["error"]["message"] == f"File not found: {sid}."


def test_the_backends_editor_check(sheets):
    sid = _doc(sheets)
    endpoint = sheets.url
    assert editors.is_editor(endpoint, sid, "olga@example.com")
    assert editors.is_editor(endpoint, sid, "ED@example.com")
    assert not editors.is_editor(endpoint, sid, "vi@example.com")  # a viewer
    assert not editors.is_editor(endpoint, sid, "stranger@example.com")
    sheets.admin.unshare(sid, "ed@example.com")
    assert not editors.is_editor(endpoint, sid, "ed@example.com")
