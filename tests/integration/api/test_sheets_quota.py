"""Web requests never wait on the Sheets quota every tenant shares: a slot now, an answer from the
cache, or 429 with Retry-After — over real HTTP, with a real Redis limiter and the Sheets emulator."""

from __future__ import annotations

from backend.sheets.client import WEB_SHARE_DIVISOR
from backend.store.ratelimit import SlidingWindowLimiter

HEADERS = ["Имя", "Телефон", "Email", "Бюджет", "Статус"]


def test_try_reserve_takes_a_free_slot_or_books_nothing(redis_client):
    lim = SlidingWindowLimiter(redis_client, "test:try", 3, window_s=60.0)
    assert [lim.try_reserve()[0] for _ in range(3)] == [True, True, True]
    ok, wait = lim.try_reserve()
    assert not ok and 55 < wait <= 60
    assert redis_client.zcard("ratelimit:test:try") == 3  # the refusal booked nothing
    # a waiting caller's reservation is booked in the future; it still counts for a "now" caller
    waiting = SlidingWindowLimiter(redis_client, "test:try2", 2, window_s=60.0)
    assert waiting.reserve() == 0.0 and waiting.reserve() == 0.0
    assert waiting.reserve() > 55  # booked a minute ahead
    assert not waiting.try_reserve()[0]


def test_a_blocked_quota_answers_429_with_retry_after_and_the_cached_mapping_still_opens(make_stack):
    stack = make_stack([["Anna", "+79161234567", "a@example.com", 100, ""]], HEADERS)
    first = stack.call("GET", "/mapping")
    assert first.status_code == 200
    # Google answered 429 with Retry-After 40 to someone: every process holds its next Sheets request
    SlidingWindowLimiter(stack.redis, "sheets:read", 100_000).block(40)
    cached = stack.call("GET", "/mapping")
    assert cached.status_code == 200 and cached.json() == first.json()
    saved = stack.call("PUT", "/mapping", first.json()["mapping"])  # saving reads the sheet afresh
    assert saved.status_code == 429, saved.text
    assert saved.headers["Content-Type"] == "application/problem+json"
    assert 30 <= int(saved.headers["Retry-After"]) <= 40
    assert saved.json()["code"] == "rate_limited" and saved.json()["retry_after"] == int(
        saved.headers["Retry-After"]
    )
    assert stack.call("GET", "").status_code == 200  # the state needs no Sheets call


def test_one_connection_spends_at_most_its_share_of_the_minute_from_the_web(make_stack):
    stack = make_stack([["Anna", "+79161234567", "a@example.com", 100, ""]], HEADERS)
    share = SlidingWindowLimiter(
        stack.redis, f"sheets:read:web:{stack.connection_id}", 100_000 // WEB_SHARE_DIVISOR, window_s=60.0
    )
    mapping = stack.call("GET", "/mapping").json()["mapping"]
    while share.try_reserve()[0]:  # this connection's web requests spent their share
        pass
    assert stack.call("GET", "/mapping").status_code == 200  # from the cache
    saved = stack.call("PUT", "/mapping", mapping)
    assert saved.status_code == 429 and "share" in saved.json()["detail"]
    other = make_stack([["Boris", "+79161234568", "b@example.com", 200, ""]], HEADERS)
    assert other.call("PUT", "/mapping", other.call("GET", "/mapping").json()["mapping"]).status_code == 200
