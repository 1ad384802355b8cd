"""The Sheets client's retries over real HTTP against the Sheets emulator's forced faults and a real
Redis limiter: a job's client waits and tries again on 429/5xx (exponential backoff with jitter), gives
up with Google's message after its last attempt, never repeats any other error, and a web request's
client answers "busy" at once instead of waiting."""

from __future__ import annotations

import pytest

from backend.sheets.client import SheetsBusy, SheetsClient, SheetsError
from backend.store.ratelimit import SlidingWindowLimiter


@pytest.fixture
def sheets(sheets_emulator, redis_client):
    sheets_emulator.admin.reset()
    return sheets_emulator


@pytest.fixture
def sheet_id(sheets) -> str:
    return sheets.admin.create_spreadsheet("People", [["name"], ["Anna"]])


def make_client(sheets, redis_client, **options) -> tuple[SheetsClient, list[float]]:
    slept: list[float] = []
    client = SheetsClient.build(
        endpoint=sheets.url, client=redis_client, reads_per_minute=10_000, writes_per_minute=10_000, **options
    )
    client.sleep = slept.append  # the waits are recorded, not spent
    return client, slept


def test_a_job_client_waits_longer_each_time_and_then_reads(sheets, redis_client, sheet_id):
    client, slept = make_client(sheets, redis_client)
    sheets.admin.set_faults(503, count=2)
    assert client.batch_get(sheet_id, ["A1:A2"]) == [[["name"], ["Anna"]]]
    assert sheets.admin.counters()["spreadsheets.values.batchGet"] == 3
    assert client.calls == {"spreadsheets.values.batchGet": 3}
    assert len(slept) == 2
    assert 2 <= slept[0] < 3 and 4 <= slept[1] < 5  # 2^attempt seconds plus up to one of jitter


def test_a_write_that_keeps_failing_gives_up_after_the_last_attempt(sheets, redis_client, sheet_id):
    client, slept = make_client(sheets, redis_client)
    client.max_attempts = 3
    sheets.admin.set_faults(500, count=10, methods=["spreadsheets.values.batchUpdate"])
    with pytest.raises(SheetsError) as caught:
        client.update_values(sheet_id, [{"range": "A1", "values": [["x"]]}])
    assert caught.value.http_status == 500 and "Internal error" in str(caught.value)
    assert sheets.admin.counters()["spreadsheets.values.batchUpdate"] == 3
    assert len(slept) == 2
    assert client.batch_get(sheet_id, ["A1"]) == [[["name"]]]  # no faulted write changed anything


def test_an_error_that_is_not_transient_is_not_repeated(sheets, redis_client, sheet_id):
    client, slept = make_client(sheets, redis_client)
    with pytest.raises(SheetsError) as caught:
        client.get("no-such-spreadsheet", "spreadsheetId")
    assert caught.value.http_status == 404
    assert sheets.admin.counters()["spreadsheets.get"] == 1 and slept == []


def test_a_web_client_answers_busy_at_once(sheets, redis_client, sheet_id):
    client, slept = make_client(sheets, redis_client, web_share="conn-1")
    sheets.admin.set_faults(503, count=1)
    with pytest.raises(SheetsBusy) as caught:
        client.batch_get(sheet_id, ["A1"])
    assert caught.value.status == 503 and 2 <= caught.value.retry_after_s <= 3
    assert sheets.admin.counters()["spreadsheets.values.batchGet"] == 1 and slept == []


def test_a_429_holds_every_process_s_next_call_of_that_kind(sheets, redis_client, sheet_id):
    client, _ = make_client(sheets, redis_client, web_share="conn-1")
    sheets.admin.set_faults(429, count=1)
    with pytest.raises(SheetsBusy) as caught:
        client.batch_get(sheet_id, ["A1"])
    assert caught.value.status == 429 and caught.value.extra == {"retry_after": caught.value.retry_after_s}
    ok, wait = SlidingWindowLimiter(redis_client, "sheets:read", 10_000).try_reserve()
    assert not ok and 1 < wait <= 3  # blocked for the backoff the client chose
    assert SlidingWindowLimiter(redis_client, "sheets:write", 10_000).try_reserve()[0]
