"""Who may call: 404 for unknown spreadsheets, 403 until shared, 401 for bad tokens."""

from __future__ import annotations

import pytest
import requests
from google.auth.exceptions import RefreshError
from sheets_helpers import ALICE, BOB, SA, api_error, values_of

from sandbox.sheets.testing import SheetsEmulator


def test_unknown_spreadsheet_is_404_with_googles_body(svc):
    status, error = api_error(lambda: svc.spreadsheets().get(spreadsheetId="no-such-spreadsheet").execute())
    assert status == 404
    assert error == {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}


def test_a_caller_who_is_not_an_editor_gets_403_until_shared(svc, admin):
    sid = admin.create_spreadsheet("Alice's", [["x"]], owner=ALICE)
    for call in (
        lambda: svc.spreadsheets().get(spreadsheetId=sid).execute(),
        lambda: svc.spreadsheets().values().get(spreadsheetId=sid, range="A1").execute(),
        lambda: (
            svc.spreadsheets()
            .values()
            .update(spreadsheetId=sid, range="A1", valueInputOption="RAW", body={"values": [["y"]]})
            .execute()
        ),
    ):
        status, error = api_error(call)
        assert status == 403
        assert error == {
            "code": 403,
            "message": "The caller does not have permission",
            "status": "PERMISSION_DENIED",
        }
    admin.share(sid, SA)  # what the add-on's Spreadsheet.addEditor(serviceAccountEmail) does
    assert values_of(svc, sid) == [["x"]]
    svc.spreadsheets().values().update(
        spreadsheetId=sid, range="A1", valueInputOption="RAW", body={"values": [["y"]]}
    ).execute()
    assert admin.values(sid) == [["y"]]


def test_a_reader_can_read_but_not_write(sheets, admin):
    sid = admin.create_spreadsheet("Read only", [["x"]], owner=ALICE, viewers=[BOB])
    bob = sheets.service(admin.mint_access_token(BOB))
    assert values_of(bob, sid) == [["x"]]
    status, _ = api_error(
        lambda: (
            bob.spreadsheets()
            .values()
            .update(spreadsheetId=sid, range="A1", valueInputOption="RAW", body={"values": [["y"]]})
            .execute()
        )
    )
    assert status == 403


def test_minted_access_tokens_act_as_their_user(sheets, admin):
    sid = admin.create_spreadsheet("Alice's", [["x"]], owner=ALICE)
    alice = sheets.service(admin.mint_access_token(ALICE))
    assert values_of(alice, sid) == [["x"]]


def test_an_unknown_bearer_token_is_401(sheets, people_sheet):
    r = requests.get(
        f"{sheets.url}/v4/spreadsheets/{people_sheet}",
        headers={"Authorization": "Bearer ya29.nope"},
        timeout=5,
    )
    assert r.status_code == 401 and r.json()["error"]["status"] == "UNAUTHENTICATED"
    # google-auth answers a 401 by refreshing; a bare access token cannot refresh, so the client raises.
    stranger = sheets.service("ya29.not-minted-here")
    with pytest.raises(RefreshError):
        stranger.spreadsheets().get(spreadsheetId=people_sheet).execute()


def test_access_tokens_expire_on_the_virtual_clock(sheets, admin):
    sid = admin.create_spreadsheet("Alice's", [["x"]], owner=ALICE)
    token = admin.mint_access_token(ALICE, expires_in=3600)
    assert values_of(sheets.service(token), sid) == [["x"]]
    admin.advance(3601)
    r = requests.get(
        f"{sheets.url}/v4/spreadsheets/{sid}", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    assert r.status_code == 401


def test_anonymous_calls_can_be_refused():
    with SheetsEmulator(anonymous_principal="") as emulator:
        sid = emulator.admin.create_spreadsheet("Owned", [["x"]], owner=ALICE)
        r = requests.get(f"{emulator.url}/v4/spreadsheets/{sid}", timeout=5)
        assert r.status_code == 403
        assert r.json()["error"]["message"] == "The request is missing a valid API key."
        alice = emulator.service(emulator.admin.mint_access_token(ALICE))
        assert values_of(alice, sid) == [["x"]]


def test_unknown_paths_are_404_json(sheets):
    r = requests.get(f"{sheets.url}/v4/spreadsheets/abc/nothing-here", timeout=5)
    assert r.status_code == 404 and r.json()["error"]["status"] == "NOT_FOUND"
