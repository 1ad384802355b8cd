"""Per-minute quotas (per user and per project, on the virtual clock), fault knobs and call counters."""

from __future__ import annotations

import time

import pytest
from sheets_helpers import ALICE, BOB, api_error, values_of

from sandbox.sheets.quotas import project_number


@pytest.fixture(autouse=True)
def fresh_minute(admin):
    """Start each test at the beginning of a quota minute, so no window rolls over mid-test."""
    admin.advance(60 - admin.now() % 60 + 0.01)


def read(svc, sid):
    return svc.spreadsheets().values().get(spreadsheetId=sid, range="A1").execute()


def write(svc, sid):
    return (
        svc.spreadsheets()
        .values()
        .update(spreadsheetId=sid, range="A1", valueInputOption="RAW", body={"values": [["w"]]})
        .execute()
    )


def test_per_user_read_quota_is_429_with_googles_error(svc, admin, people_sheet):
    admin.set_quotas(read_per_user=3)
    for _ in range(3):
        read(svc, people_sheet)
    status, error = api_error(lambda: read(svc, people_sheet))
    assert status == 429
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert error["message"] == (
        "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' of "
        f"service 'sheets.googleapis.com' for consumer 'project_number:{project_number('sandbox-project')}'."
    )
    assert error["details"][0]["reason"] == "RATE_LIMIT_EXCEEDED"


def test_the_quota_window_follows_the_virtual_clock(svc, admin, people_sheet):
    admin.set_quotas(read_per_user=1)
    read(svc, people_sheet)
    assert api_error(lambda: read(svc, people_sheet))[0] == 429
    admin.advance(60)
    read(svc, people_sheet)


def test_reads_and_writes_have_separate_quotas(svc, admin, people_sheet):
    admin.set_quotas(read_per_user=1, write_per_user=1)
    read(svc, people_sheet)
    write(svc, people_sheet)  # still allowed: a different quota
    assert api_error(lambda: write(svc, people_sheet))[1]["message"].startswith(
        "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user'"
    )


def test_the_user_quota_is_per_user(sheets, admin):
    sid = admin.create_spreadsheet("Shared", [["x"]], editors=[ALICE, BOB])
    admin.set_quotas(read_per_user=1)
    alice = sheets.service(admin.mint_access_token(ALICE))
    bob = sheets.service(admin.mint_access_token(BOB))
    read(alice, sid)
    assert api_error(lambda: read(alice, sid))[0] == 429
    read(bob, sid)


def test_the_project_quota_is_shared_by_its_users(sheets, admin):
    sid = admin.create_spreadsheet("Shared", [["x"]], editors=[ALICE, BOB])
    admin.set_quotas(read_per_user=10, read_per_project=2)
    alice = sheets.service(admin.mint_access_token(ALICE))
    bob = sheets.service(admin.mint_access_token(BOB))
    read(alice, sid)
    read(bob, sid)
    status, error = api_error(lambda: read(alice, sid))
    assert status == 429
    assert "limit 'Read requests per minute' of service" in error["message"]
    other_project = sheets.service(admin.mint_access_token(ALICE, project="another-project"))
    read(other_project, sid)


def test_a_batch_counts_as_one_request(svc, admin, people_sheet):
    admin.set_quotas(read_per_user=1)
    svc.spreadsheets().values().batchGet(
        spreadsheetId=people_sheet, ranges=["A1", "B1", "C1", "A2"]
    ).execute()
    assert api_error(lambda: read(svc, people_sheet))[0] == 429


def test_forced_faults_answer_the_next_n_calls(svc, admin, people_sheet):
    admin.set_faults(503, count=2)
    assert api_error(lambda: read(svc, people_sheet)) == (
        503,
        {"code": 503, "message": "The service is currently unavailable.", "status": "UNAVAILABLE"},
    )
    assert api_error(lambda: read(svc, people_sheet))[0] == 503
    read(svc, people_sheet)


def test_forced_faults_can_target_one_method(svc, admin, people_sheet):
    admin.set_faults(500, count=1, methods=["spreadsheets.values.batchUpdate"])
    read(svc, people_sheet)
    body = {"valueInputOption": "RAW", "data": [{"range": "A1", "values": [["v"]]}]}
    status, error = api_error(
        lambda: svc.spreadsheets().values().batchUpdate(spreadsheetId=people_sheet, body=body).execute()
    )
    assert (status, error["status"]) == (500, "INTERNAL")
    assert values_of(svc, people_sheet, "A1") == [["name"]]  # the faulted write changed nothing


def test_google_api_client_retries_recover_from_forced_429s(svc, admin, people_sheet, monkeypatch):
    monkeypatch.setattr("googleapiclient.http.time.sleep", lambda s: None)  # keep the suite fast
    admin.set_faults(429, count=2)
    got = svc.spreadsheets().values().get(spreadsheetId=people_sheet, range="A1").execute(num_retries=3)
    assert got["values"] == [["name"]]
    assert admin.counters()["spreadsheets.values.get"] == 3


def test_latency_knob_slows_api_calls(svc, admin, people_sheet):
    admin.set_faults(latency_ms=150)
    started = time.perf_counter()
    read(svc, people_sheet)
    assert time.perf_counter() - started >= 0.15
    admin.clear_faults()


def test_counters_count_calls_per_method_and_reset(svc, admin, people_sheet):
    svc.spreadsheets().values().batchGet(spreadsheetId=people_sheet, ranges=["A1"]).execute()
    svc.spreadsheets().values().batchGet(spreadsheetId=people_sheet, ranges=["A1"]).execute()
    write(svc, people_sheet)
    api_error(lambda: svc.spreadsheets().get(spreadsheetId="missing").execute())
    assert admin.counters() == {
        "spreadsheets.values.batchGet": 2,
        "spreadsheets.values.update": 1,
        "spreadsheets.get": 1,
    }
    assert admin.error_counters() == {"spreadsheets.get 404": 1}
    admin.reset_counters()
    assert admin.counters() == {}


def test_admin_calls_bypass_quotas(admin, people_sheet):
    admin.set_quotas(read_per_user=0, write_per_user=0)
    admin.edit_cells(people_sheet, "Sheet1!A2", [["Anna"]])
    assert admin.values(people_sheet)[1][0] == "Anna"
