"""Registration with proof of control: knowing a spreadsheet id proves nothing; writing the challenge
into the document (only editors can) and sharing it with the service account does."""

import pytest

from tests.integration.api.conftest import ADDON_AUD, post, write_challenge_as
from tests.integration.sync.conftest import PERSON, SERVICE_ACCOUNT


@pytest.fixture
def doc(sheets):
    """A spreadsheet owned by a person, not shared with the sync yet (as a user's sheet starts)."""
    return sheets.admin.create_spreadsheet(
        "Deals", [["Имя", "Телефон"], ["Ivan", "8 912 000-00-01"]], sheet_title="Leads", owner=PERSON
    )


def connections(backend) -> list:
    return list(backend.services.redis.scan_iter("conn:*"))


def test_register_with_proof_of_control_returns_the_secret_once(sync_backend, sheets, doc, id_token):
    token = id_token()
    ch = post(
        sync_backend,
        "/register/challenge",
        {"spreadsheet_id": doc, "sheet_id": 0, "sheet_title": "Leads"},
        token,
    )
    assert ch.status_code == 200, ch.text
    c = ch.json()
    assert c["service_account_email"] == SERVICE_ACCOUNT and c["metadata_key"] == "amo_sync_challenge"
    body = {"spreadsheet_id": doc, "sheet_id": 0, "challenge_id": c["challenge_id"], "sheet_title": "Leads"}

    not_shared = post(sync_backend, "/register", body, token)
    assert not_shared.status_code == 403 and not_shared.json()["code"] == "proof_failed"
    assert "not shared" in not_shared.json()["detail"]

    sheets.admin.share(doc, SERVICE_ACCOUNT)  # Spreadsheet.addEditor(serviceAccountEmail)
    no_proof = post(sync_backend, "/register", body, token)
    assert no_proof.status_code == 403 and no_proof.json()["code"] == "proof_failed"
    assert connections(sync_backend) == []

    write_challenge_as(sheets, doc, PERSON, c["metadata_key"], c["metadata_value"])
    ok = post(sync_backend, "/register", body, token)
    assert ok.status_code == 200, ok.text
    reg = ok.json()
    assert reg["created"] is True and reg["connection_id"].startswith("c_") and len(reg["secret"]) == 44
    conn = sync_backend.tenants.get(reg["connection_id"])
    assert (conn.spreadsheet_id, conn.sheet_id, conn.created_by_email) == (doc, 0, PERSON)

    again = post(sync_backend, "/register", body, token)  # the challenge is single-use
    assert again.status_code == 403 and "expired" in again.json()["detail"]


def test_a_second_editor_joins_the_same_connection_with_a_new_key(sync_backend, sheets, doc, id_token):
    sheets.admin.share(doc, SERVICE_ACCOUNT)
    sheets.admin.share(doc, "colleague@example.com")
    first = None
    for email, sub in ((PERSON, "sub-a"), ("colleague@example.com", "sub-b")):
        token = id_token(email, sub)
        c = post(sync_backend, "/register/challenge", {"spreadsheet_id": doc, "sheet_id": 0}, token).json()
        write_challenge_as(sheets, doc, email, c["metadata_key"], c["metadata_value"])
        r = post(
            sync_backend,
            "/register",
            {"spreadsheet_id": doc, "sheet_id": 0, "challenge_id": c["challenge_id"]},
            token,
        )
        assert r.status_code == 200, r.text
        first = first or r.json()
        assert r.json()["connection_id"] == first["connection_id"]
    assert r.json()["created"] is False and len(connections(sync_backend)) == 1
    # not the owner: the key was rotated, so a copy of the old one (a former editor's) opens nothing
    assert r.json()["secret"] != first["secret"]
    cid = first["connection_id"]
    assert _state_with(sync_backend, cid, first["secret"]).status_code == 401
    assert _state_with(sync_backend, cid, r.json()["secret"]).status_code == 200


def _state_with(backend, cid: str, secret_b64: str):
    import base64

    import requests

    from backend.security import signing

    url = f"{backend.url}/api/v1/connections/{cid}"
    headers = signing.sign("GET", url, {}, b"", key_id=cid, secret=base64.b64decode(secret_b64))
    return requests.get(url, headers=headers, timeout=15)


def test_someone_who_only_knows_the_id_cannot_register(sync_backend, sheets, doc, id_token):
    sheets.admin.share(doc, SERVICE_ACCOUNT)
    stranger = id_token("stranger@example.com", "sub-x")
    c = post(sync_backend, "/register/challenge", {"spreadsheet_id": doc, "sheet_id": 0}, stranger).json()
    with pytest.raises(Exception) as err:  # the emulator refuses a non-editor's metadata write (403)
        write_challenge_as(sheets, doc, "stranger@example.com", c["metadata_key"], c["metadata_value"])
    assert "403" in str(err.value)
    r = post(
        sync_backend,
        "/register",
        {"spreadsheet_id": doc, "sheet_id": 0, "challenge_id": c["challenge_id"]},
        stranger,
    )
    assert r.status_code == 403 and connections(sync_backend) == []


def test_a_challenge_started_by_one_user_cannot_be_finished_by_another(sync_backend, sheets, doc, id_token):
    sheets.admin.share(doc, SERVICE_ACCOUNT)
    c = post(sync_backend, "/register/challenge", {"spreadsheet_id": doc, "sheet_id": 0}, id_token()).json()
    write_challenge_as(sheets, doc, PERSON, c["metadata_key"], c["metadata_value"])
    other = id_token("mallory@example.com", "sub-m")
    r = post(
        sync_backend,
        "/register",
        {"spreadsheet_id": doc, "sheet_id": 0, "challenge_id": c["challenge_id"]},
        other,
    )
    assert r.status_code == 403 and connections(sync_backend) == []


@pytest.mark.parametrize(
    ("kind", "detail"),
    [
        ("missing", "needs your Google sign-in"),
        ("wrong_aud", "not for this add-on"),
        ("expired", "expired"),
        ("garbage", "not for this add-on"),
    ],
)
def test_id_tokens_are_checked(sync_backend, sheets, doc, id_token, kind, detail):
    import time

    token = {
        "missing": None,
        "wrong_aud": id_token(aud="another-app.apps.googleusercontent.com"),
        "expired": id_token(issued_at=time.time() - 7200, expires_in=3600),
        "garbage": "eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
    }[kind]
    r = post(sync_backend, "/register/challenge", {"spreadsheet_id": doc, "sheet_id": 0}, token)
    assert r.status_code == 401 and r.json()["code"] == "id_token_invalid" and detail in r.json()["detail"]
    assert not list(sync_backend.services.redis.scan_iter("register-challenge:*"))
    assert ADDON_AUD in sync_backend.settings.google_oauth_client_ids


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"spreadsheet_id": "x", "sheet_id": 0},
        {"spreadsheet_id": "1" * 20, "sheet_id": "0"},
        {"spreadsheet_id": "1" * 20, "sheet_id": -1},
    ],
)
def test_bad_register_bodies_are_explained(sync_backend, id_token, body):
    r = post(sync_backend, "/register/challenge", body, id_token())
    assert r.status_code == 400 and r.json()["code"] == "bad_request"
