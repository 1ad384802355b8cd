"""The Redis-backed stores against a real redis-server: limiter, locks, ledger, history, crypto."""

import multiprocessing
import threading
import time

import pytest
import redis
from cryptography.fernet import Fernet

from backend.security.crypto import Cipher, DecryptionError
from backend.store.ledger import HISTORY_LIMIT, History, Ledger
from backend.store.locks import LockTimeout, hold
from backend.store.ratelimit import SlidingWindowLimiter
from backend.sync.core.model import LedgerEntry
from backend.sync.core.moved import near_prints


def max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


def _hammer(url: str, n: int, out) -> None:
    client = redis.Redis.from_url(url)
    limiter = SlidingWindowLimiter(client, "amo:1", limit=7, window_s=0.5, margin_s=0.05)
    sent = []
    for _ in range(n):
        limiter.acquire()
        sent.append(time.time())
    out.put(sent)


def test_limiter_never_puts_more_than_the_limit_in_a_window_across_processes(redis_client, redis_url):
    q = multiprocessing.get_context("spawn").Queue()
    procs = [
        multiprocessing.get_context("spawn").Process(target=_hammer, args=(redis_url, 10, q))
        for _ in range(3)
    ]
    for p in procs:
        p.start()
    sent = [t for _ in procs for t in q.get(timeout=60)]
    for p in procs:
        p.join(timeout=30)
    assert len(sent) == 30
    assert max_in_window(sent, 0.5) <= 7
    # and it does not starve: 30 requests at 7 per 0.5 s need about 2 s, not much more
    assert max(sent) - min(sent) < 4.0


def test_limiter_first_requests_go_at_once_then_wait(redis_client):
    limiter = SlidingWindowLimiter(redis_client, "x", limit=3, window_s=1.0)
    waits = [limiter.reserve() for _ in range(5)]
    assert waits[:3] == [0, 0, 0]
    assert 0.9 < waits[3] <= 1.0 and 0.9 < waits[4] <= 1.01


def test_a_paced_limiter_spreads_a_minutes_quota_instead_of_spending_it_at_once(redis_client):
    """60 a minute paced 10 per 10 s: a burst of 25 goes 10 at once, 10 after 10 s, 5 after 20 s —
    not 25 at once (which would leave the next 35 seconds' callers waiting for the minute to pass)."""
    limiter = SlidingWindowLimiter(
        redis_client, "z", limit=60, window_s=60.0, pace_limit=10, pace_window_s=10.0
    )
    waits = [limiter.reserve() for _ in range(25)]
    assert waits[:10] == [0] * 10
    assert all(9.9 < w <= 10.0 for w in waits[10:20]), waits[10:20]
    assert all(19.9 < w <= 20.0 for w in waits[20:]), waits[20:]
    # the minute's quota still holds: the 61st reservation waits for the first to leave the minute
    more = [limiter.reserve() for _ in range(36)]
    assert 59.9 < more[-1] <= 60.0 and more[-2] <= 50.0


def test_limiter_block_holds_everyone(redis_client):
    a = SlidingWindowLimiter(redis_client, "y", limit=100)
    b = SlidingWindowLimiter(redis.Redis(connection_pool=redis_client.connection_pool), "y", limit=100)
    a.block(2.0)
    assert 1.8 < b.reserve() <= 2.0


def test_lock_is_exclusive_and_times_out_with_a_clear_error(redis_client):
    with hold(redis_client, "lock:connection:c1", wait_s=1):
        with pytest.raises(LockTimeout) as err, hold(redis_client, "lock:connection:c1", wait_s=0.3):
            pass
        assert "busy" in err.value.detail
    with hold(redis_client, "lock:connection:c1", wait_s=0.1):
        pass  # released after the first block


def test_lock_serializes_threads(redis_client):
    inside, peak, lock = [0], [0], threading.Lock()

    def work():
        with hold(redis_client, "lock:connection:c2", wait_s=10):
            with lock:
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
            time.sleep(0.02)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 1


def test_ledger_round_trip_and_lead_index(redis_client):
    ledger = Ledger(redis_client, "c1")
    ledger.put_many({"k1": LedgerEntry(11, 21, {"lead.price": "5", "contact.name": "Иван"}, 1.5)})
    ledger.put_many({"k2": LedgerEntry(12, None, {}, 2.0)})
    assert ledger.all()["k1"] == LedgerEntry(11, 21, {"lead.price": "5", "contact.name": "Иван"}, 1.5)
    assert ledger.keys_for_leads([11, 12, 99]) == {11: "k1", 12: "k2"}
    ledger.put_many({"k1": LedgerEntry(13, 21, {}, 3.0)})  # re-linked to another lead
    assert ledger.keys_for_leads([11, 13]) == {13: "k1"}
    assert Ledger(redis_client, "other").all() == {}  # tenants do not see each other


def test_a_lead_passed_from_one_row_to_another_in_one_write_stays_indexed(redis_client):
    """k1 gives up lead 11 for 13 while k2 takes 11, in one put_many: 11 must name k2 afterwards, whatever
    the order of the entries (the old lead's index entry is removed before the new ones are written)."""
    ledger = Ledger(redis_client, "c1")
    ledger.put_many({"k1": LedgerEntry(11, None, {"lead.name": "A"}, 1.0)})
    for batch in (
        {"k2": LedgerEntry(11, None, {"lead.name": "A"}, 2.0), "k1": LedgerEntry(13, None, {}, 2.0)},
        {"k1": LedgerEntry(11, None, {}, 3.0), "k2": LedgerEntry(14, None, {}, 3.0)},
    ):
        ledger.put_many(batch)
        assert ledger.keys_for_leads([e.lead_id for e in batch.values()]) == {
            e.lead_id: k for k, e in batch.items()
        }
    assert ledger.keys_for_prints(near_prints({"lead.name": "A"})) == {}  # no row holds "A" any more


def test_history_is_capped_and_newest_first(redis_client):
    history = History(redis_client, "c1")
    for i in range(HISTORY_LIMIT + 5):
        history.record_many({"k1": [{"n": i}]})
    items = history.of("k1")
    assert len(items) == HISTORY_LIMIT and items[0] == {"n": HISTORY_LIMIT + 4}


def test_cipher_rotation():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = Cipher([old]).encrypt("refresh-token-1")
    both = Cipher([new, old])
    assert both.decrypt(token) == "refresh-token-1"
    rotated = both.rotate(token)
    assert Cipher([new]).decrypt(rotated) == "refresh-token-1"
    with pytest.raises(DecryptionError):
        Cipher([new]).decrypt(token)
