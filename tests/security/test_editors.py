"""The verified Google user matters, over the real processes: a valid ID token proves who someone is,
not that they may still edit the sheet. Connect amoCRM and disconnect need the sheet's registered owner
or a current editor (Google Drive's permissions, read by the service account); the sheet's key can be
rotated on demand, and is rotated when someone other than the owner registers the sheet again."""

from __future__ import annotations

import base64

import pytest

from bench.tenant import id_token
from tests.security.conftest import new_sheet

OWNER, FORMER, STRANGER = "olga@example.com", "fyodor@example.com", "stan@example.com"


@pytest.fixture
def sheet(two):
    return new_sheet(two.product, OWNER, editors=(FORMER,))


def _token(two, person: str) -> str:
    return id_token(two.product, person)


def test_a_former_editor_and_a_stranger_cannot_connect_or_disconnect(two, sheet):
    product = two.product
    assert sheet.call("POST", "/connect-ticket", id_token=_token(two, FORMER)).status_code == 200
    product.sheets.unshare(sheet.spreadsheet_id, FORMER)  # the owner takes Fyodor's access away
    for person in (FORMER, STRANGER):
        # Fyodor's add-on still holds the document's key; his Google sign-in is still valid
        ticket = sheet.call("POST", "/connect-ticket", id_token=_token(two, person))
        assert ticket.status_code == 403 and ticket.json()["code"] == "forbidden", ticket.text
        gone = sheet.call("DELETE", id_token=_token(two, person))
        assert gone.status_code == 403, gone.text
    assert sheet.state()["connection_id"] == sheet.connection_id  # still there
    assert sheet.call("POST", "/connect-ticket", id_token=_token(two, OWNER)).status_code == 200


def test_the_key_is_rotated_on_demand_and_the_old_copy_opens_nothing(two, sheet):
    old = sheet.secret
    refused = sheet.call("POST", "/secret", id_token=_token(two, STRANGER))
    assert refused.status_code == 403 and sheet.secret == old
    r = sheet.call("POST", "/secret", id_token=_token(two, OWNER))
    assert r.status_code == 200, r.text
    new = base64.b64decode(r.json()["secret"])
    assert new != old
    assert sheet.call("GET").status_code == 401  # still signing with the old key
    sheet.secret = new
    assert sheet.call("GET").status_code == 200


def test_registering_again_as_another_editor_rotates_the_key(two, sheet):
    from bench.tenant import register

    old = sheet.secret
    cid, secret = register(two.product, sheet.spreadsheet_id, FORMER, sheet.title)
    assert cid == sheet.connection_id and secret != old
    assert sheet.call("GET").status_code == 401
    sheet.secret = secret
    assert sheet.call("GET").status_code == 200
    # the owner registering again keeps the key (nothing to cut off)
    assert register(two.product, sheet.spreadsheet_id, OWNER, sheet.title) == (cid, secret)
