"""The run journal against a real redis-server: listing, bounds, expiry, keys an erase finds, and what
it costs (MEMORY USAGE of a run of 10,000 changes; the figure is in docs/scaling.md)."""

import time

from backend.store.journal import RETENTION_S, Journal
from backend.sync.core import journal as j


def meta(run_id: str, started: float, trigger: str = "edit") -> j.RunMeta:
    return j.RunMeta(run_id, "c1", trigger, started, started + 1, {"updated_amo": 1})


def change(i: int) -> j.Change:
    return j.Change(f"k{i:06d}", 30_000_000 + i, 40_000_000 + i, "amo", "lead.price", str(1000 + i),
                    str(2000 + i), "sheet_edit")  # fmt: skip


def test_runs_are_listed_newest_first_and_page_on(redis_client):
    jr = Journal(redis_client, "c1")
    now = time.time()
    for n in range(5):
        jr.put(meta(f"r{n}", now - 100 + n), [change(n)])
    assert [m.run_id for m in jr.runs()] == ["r4", "r3", "r2", "r1", "r0"]
    assert [m.run_id for m in jr.runs(limit=2, before="r3")] == ["r2", "r1"]
    assert jr.runs(before="gone") == []
    assert jr.changes("r2") == [change(2)] and jr.run("r2").changes == 1
    assert Journal(redis_client, "c2").runs() == []  # another connection sees nothing


def test_bounds_runs_per_connection_changes_per_run_and_thirty_days(redis_client):
    jr = Journal(redis_client, "c1", max_runs=3, max_changes=4)
    now = time.time()
    jr.put(meta("ancient", now - RETENTION_S - 10), [change(0)])
    for n in range(4):
        jr.put(meta(f"r{n}", now - 50 + n), [change(i) for i in range(10)])
    assert [m.run_id for m in jr.runs()] == ["r3", "r2", "r1"]
    assert jr.run("r0") is None and jr.changes("r0") == [] and jr.run("ancient") is None
    kept = jr.run("r3")
    assert kept.changes == 10 and kept.truncated and len(jr.changes("r3")) == 4
    for key in redis_client.scan_iter("journal:c1:*"):
        assert 0 < redis_client.ttl(key) <= RETENTION_S


def test_a_connection_keeps_a_bounded_number_of_changes_over_all_its_runs(redis_client):
    jr = Journal(redis_client, "c1", max_stored=25)
    now = time.time()
    for n in range(4):
        jr.put(meta(f"r{n}", now - 50 + n), [change(i) for i in range(10)])
    assert [m.run_id for m in jr.runs()] == ["r3", "r2"]
    jr.put(meta("huge", now), [change(i) for i in range(40)])  # the newest run stays, whatever its size
    assert [m.run_id for m in jr.runs()] == ["huge"] and len(jr.changes("huge")) == 40


def test_every_key_names_its_connection_so_an_erase_finds_it(redis_client):
    jr = Journal(redis_client, "c1")
    jr.put(meta("r1", time.time()), [change(1)])
    jr.amo_answered(time.time())
    keys = {k.decode() for k in redis_client.scan_iter("*")}
    assert keys and all(k.startswith("journal:c1:") for k in keys)
    for k in keys:
        redis_client.delete(k)
    assert jr.runs() == [] and jr.amo_answered_at() is None


def test_what_10000_changes_cost_in_redis(redis_client, capsys):
    """Real row keys, 8-digit ids and a mix of what people edit: budgets, stages, names, e-mails."""
    from backend.sync.snapshot import new_key

    kinds = [
        ("lead.price", "125000", "140000"),
        ("lead.status", "7654321:142", "7654321:143"),
        ("contact.name", "Иван Петров", "Иван Петров-Водкин"),
        ("contact.email", "ivan.petrov@example.ru", "i.petrov@example.ru"),
    ]
    items = (
        j.Change(new_key(), 30_000_000 + i, 40_000_000 + i, "amo", *kinds[i % 4], "sheet_edit")
        for i in range(10_000)
    )
    jr = Journal(redis_client, "c_Yx3kPq8mZ2wR")
    jr.put(j.RunMeta("big", "c_Yx3kPq8mZ2wR", "edit", time.time(), time.time()), items)
    used = sum(redis_client.memory_usage(k, samples=0) for k in redis_client.scan_iter("journal:*"))
    with capsys.disabled():
        print(f"\njournal: 10,000 changes take {used} bytes ({used / 10_000:.0f} B per change)")
    assert used < 3_000_000  # the budget docs/scaling.md states
