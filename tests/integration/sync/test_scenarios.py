"""The sync engine's scenarios (issue 6), end to end: both emulators, a real Redis, RQ workers."""

from collections import Counter

import pytest
from rq.job import Job

from backend.sync import run
from tests.integration.amocrm.conftest import HOST
from tests.integration.sync.messy import HEADERS, messy


def keys_by_name(stack) -> dict[str, str]:
    grid = stack.grid()
    n, k = grid[0].index("Имя"), grid[0].index("amo_sync_id")
    return {row[n]: row[k] for row in grid[1:] if len(row) > k and row[n]}


@pytest.mark.parametrize("batch_rows", [None, 64], ids=["whole", "in-batches"])
def test_1_import_of_1000_messy_rows_then_a_second_sync_plans_nothing(make_stack, monkeypatch, batch_rows):
    """Also imported 64 rows at a time (as 100,000 rows are, 5,000 at a time): the same outcome, the
    same person written two ways still one contact, and one run in the journal."""
    if batch_rows:
        monkeypatch.setattr(run, "IMPORT_BATCHED_ABOVE", batch_rows)
        monkeypatch.setattr(run, "IMPORT_BATCH_ROWS", batch_rows)
    data = messy(1000)
    stack = make_stack(data.rows, HEADERS)
    stack.sheets.admin.reset_counters()
    job = stack.sync()
    assert job["status"] == "finished", job
    writes = sum(n for method, n in stack.sheets.admin.counters().items() if "batchUpdate" in method)
    assert writes > 1000 // 64 if batch_rows else writes <= 2  # keys, then each batch's cells
    result = job["result"]
    leads, contacts = stack.leads(), stack.contacts()
    assert len(leads) == data.leads == result["leads_created"]
    assert len(contacts) == data.contacts == result["contacts_created"]
    assert result["errors"] == data.errors and result["failed"] == 0
    # no duplicates: every person once, every lead linked to its person's contact
    assert len({c["name"] for c in contacts}) == len(contacts)
    grid = stack.grid()
    h = {name: i for i, name in enumerate(grid[0])}
    synced = [r for r in grid[1:] if len(r) > h["amo_lead_id"] and r[h["amo_lead_id"]]]
    assert len(synced) == data.leads
    assert len({r[h["amo_lead_id"]] for r in synced}) == data.leads  # one lead per row
    for r in synced:
        assert r[h["amo_link"]] == f"https://{HOST}/leads/detail/{r[h['amo_lead_id']]}"
        assert r[h["amo_sync_status"]].startswith("✓ ")
        assert r[h["Статус"]] == "Первичный контакт"  # the default stage, written back by name
    bad = [
        r[h["amo_sync_status"]]
        for r in grid[1:]
        if len(r) > h["amo_sync_status"] and r[h["amo_sync_status"]].startswith("⚠")
    ]
    assert len(bad) == data.errors
    assert sum("invalid email" in s for s in bad) == data.errors // 2
    assert sum("is not a number" in s for s in bad) == data.errors // 2
    # the same person written two ways is one contact with two leads
    by_contact = Counter(
        lead["_embedded"]["contacts"][0]["id"] for lead in leads if lead["_embedded"]["contacts"]
    )
    assert sum(1 for n in by_contact.values() if n == 2) == 100
    # calls: a handful, not dozens per row
    assert job["result"]["rows"] == 950
    (journaled,) = stack.call("GET", "/runs").json()["runs"]
    assert journaled["counts"]["created"] == data.leads and journaled["counts"]["errors"] == data.errors
    second = stack.sync()
    assert second["status"] == "finished"
    p = second["preview"]
    assert p["create"] == p["update_amo"] == p["update_sheet"] == p["conflicts"] == 0
    assert p["errors"] == data.errors and p["unchanged"] == data.leads


@pytest.fixture
def small(make_stack):
    stack = make_stack(
        [
            ["Иван Петров", "8 912 000-00-01", "ivan@x.ru", "100", ""],
            ["Olga Smirnova", "8 912 000-00-02", "olga@x.ru", "200", ""],
            ["Пётр Иванов", "8 912 000-00-03", "petr@x.ru", "300", ""],
        ],
        HEADERS,
    )
    assert stack.sync()["status"] == "finished"
    stack.settle()
    return stack


def test_2_editing_a_budget_updates_the_lead_and_our_own_webhook_plans_nothing(small):
    key = keys_by_name(small)["Olga Smirnova"]
    small.edit("Leads!D3", [["250"]])
    sheets_before = small.sheets.admin.counters()
    calls_before = small.amo.admin.counters()["by_endpoint"].get("PATCH /api/v4/leads", 0)
    edits_job = small.send_edits([key]).json()["job_id"]
    small.work()
    lead_id = int(small.row_of(key)["amo_lead_id"])
    assert next(x for x in small.leads() if x["id"] == lead_id)["price"] == 250
    assert small.amo.admin.counters()["by_endpoint"].get("PATCH /api/v4/leads", 0) == calls_before + 1
    # amoCRM fires update_lead for our own write; its drain plans nothing and writes nothing — and,
    # seeing the lead hold what the row's base holds, does not even read the sheet
    small.settle()
    hooks = [
        d for d in small.amo.admin.webhook_deliveries(HOST) if ["leads[update][0][price]", "250"] in d["form"]
    ]
    assert hooks and all(d["state"] == "delivered" for d in hooks)
    assert small.amo.admin.counters()["by_endpoint"].get("PATCH /api/v4/leads", 0) == calls_before + 1
    sheets_calls = sum(small.sheets.admin.counters().values()) - sum(sheets_before.values())
    assert sheets_calls == Job.fetch(edits_job, connection=small.redis).meta["report"]["sheets_calls"] > 0
    assert small.row_of(key)["Бюджет"] == 250
    history = small.call("GET", f"/rows/{key}/history").json()["history"]
    assert any(h.get("field") == "Бюджет" and h.get("new") == "250" for h in history)


def test_3_a_manager_moves_a_lead_and_the_row_shows_the_new_status(small):
    key = keys_by_name(small)["Пётр Иванов"]
    lead_id = int(small.row_of(key)["amo_lead_id"])
    account = small.amo.admin.account(HOST)
    pipeline = next(p for p in account["pipelines"] if p["is_main"])
    stage = next(s for s in pipeline["statuses"] if s["name"] == "Переговоры")
    small.amo.admin.manager_set_status(HOST, lead_id, stage["id"])
    small.settle()
    assert small.row_of(key)["Статус"] == "Переговоры"
    assert small.row_of(keys_by_name(small)["Olga Smirnova"])["Статус"] == "Первичный контакт"


def test_3b_a_real_change_among_echoes_reaches_the_sheet(small, monkeypatch):
    """One drain holding the echoes of our own two writes and a manager's stage move: the echo check
    (one lead at a time here) must hand the run to the full path, and the move must reach the row."""
    monkeypatch.setattr("backend.sync.run.ECHO_CHUNK", 1)
    names = keys_by_name(small)
    small.edit("Leads!D2:D3", [["111"], ["222"]])
    small.send_edits([names["Иван Петров"], names["Olga Smirnova"]])
    small.work()  # two PATCHes: amoCRM queues their webhooks
    key = names["Пётр Иванов"]
    lead_id = int(small.row_of(key)["amo_lead_id"])
    small.amo.admin.manager_set_status(HOST, lead_id, stage_id(small, "Переговоры"))
    small.settle()
    assert small.row_of(key)["Статус"] == "Переговоры"
    assert [small.row_of(names[n])["Бюджет"] for n in ("Иван Петров", "Olga Smirnova")] == [111, 222]


def ids(stack) -> dict[str, int]:
    """name -> lead id, from the sheet."""
    grid = stack.grid()
    n, i = grid[0].index("Имя"), grid[0].index("amo_lead_id")
    return {row[n]: int(row[i]) for row in grid[1:] if len(row) > i and row[i] != ""}


def lead(stack, lead_id: int) -> dict:
    return next(x for x in stack.amo.admin.leads(HOST) if x["id"] == lead_id)


def stage_id(stack, name: str) -> int:
    pipeline = next(p for p in stack.amo.admin.account(HOST)["pipelines"] if p["is_main"])
    return next(s["id"] for s in pipeline["statuses"] if s["name"] == name)


def test_4_sorting_inserting_deleting_rows_and_moving_renaming_columns_between_event_and_job(small):
    before = {x["id"]: (x["price"], x["status_id"]) for x in small.leads()}
    by_name = ids(small)
    olga, ivan, petr = by_name["Olga Smirnova"], by_name["Иван Петров"], by_name["Пётр Иванов"]
    key = keys_by_name(small)["Olga Smirnova"]
    small.edit("Leads!D3", [["777"]])  # the event: Olga's budget
    small.send_edits([key])
    small.amo.admin.set_faults(webhook_drop=1)  # and a manager's change whose hook we process later
    small.amo.admin.manager_set_status(HOST, ivan, stage_id(small, "Переговоры"))
    admin, sid = small.sheets.admin, small.spreadsheet_id
    admin.sort(sid, "Leads!A2:I4", "A", ascending=False, user="manager@example.com")
    admin.insert_rows(sid, 2, 2, user="manager@example.com")
    petr_row = 1 + next(i for i, r in enumerate(small.grid()) if r and r[0] == "Пётр Иванов")
    admin.delete_rows(sid, petr_row, 1, user="manager@example.com")
    admin.move_columns(sid, "D", 1, "A", user="manager@example.com")  # Бюджет becomes the first column
    admin.rename_header(sid, "Бюджет", "Сумма, ₽", user="manager@example.com")
    grid_before = small.grid()
    small.work()
    small.send_edits([]) if False else None
    from backend.sync import jobs

    jobs.request_amo_drain(small.redis, small.amo.admin.account(HOST)["id"], [ivan], [])
    small.work()
    after = {x["id"]: (x["price"], x["status_id"]) for x in small.leads()}
    assert after[olga][0] == 777
    assert after[ivan] == (before[ivan][0], stage_id(small, "Переговоры"))
    assert (
        after[petr] == before[petr] or petr not in after
    )  # untouched (its row was deleted: nothing deleted in amoCRM)
    assert len(small.leads()) == 3
    grid = small.grid()
    h = grid[0]
    assert h[0] == "Сумма, ₽"
    rows = {r[h.index("Имя")]: r for r in grid[1:] if len(r) > 1 and r[h.index("Имя")]}
    assert rows["Olga Smirnova"][0] == 777 and rows["Olga Smirnova"][h.index("amo_sync_status")].startswith(
        "✓"
    )
    assert rows["Иван Петров"][h.index("Статус")] == "Переговоры"
    # only Olga's and Ivan's rows changed; the blank rows stayed blank
    assert sum(1 for r in grid[1:] if not any(str(c) for c in r)) == sum(
        1 for r in grid_before[1:] if not any(str(c) for c in r)
    )


def test_5_conflicts_follow_each_column_policy_and_history_keeps_both_sides(make_stack):
    stack = make_stack([["Иван Петров", "8 912 000-00-01", "ivan@x.ru", "100", ""]], HEADERS)
    mapping = stack.call("GET", "/mapping").json()["mapping"]
    policy = {"lead.price": "sheet_wins", "lead.status": "amo_wins", "contact.name": "newest"}
    for c in mapping["columns"]:
        c["policy"] = policy.get(c["target"], c["policy"])
    assert stack.call("PUT", "/mapping", mapping).status_code == 200
    assert stack.sync()["status"] == "finished"
    stack.settle()
    (lead_id,) = ids(stack).values()
    key = keys_by_name(stack)["Иван Петров"]
    contact_id = lead(stack, lead_id)["_embedded"]["contacts"][0]["id"]
    stack.amo.admin.set_faults(webhook_drop=10)  # both sides change before either is synced
    stack.amo.admin.manager_update_lead(HOST, lead_id, price=300, status_id=stage_id(stack, "Переговоры"))
    stack.amo.admin.manager_update_contact(HOST, contact_id, name="Ivan (amo)")
    import time

    time.sleep(1.1)  # the sheet edit is newer than amoCRM's updated_at (whole seconds)
    stack.edit(
        "Leads!A2:E2", [["Иван (sheet)", "8 912 000-00-01", "ivan@x.ru", "200", "Успешно реализовано"]]
    )
    stack.send_edits([key])
    stack.work()
    lead_now = lead(stack, lead_id)
    row = stack.row_of(key)
    assert lead_now["price"] == 200 and row["Бюджет"] == 200  # sheet_wins
    assert (
        lead_now["status_id"] == stage_id(stack, "Переговоры") and row["Статус"] == "Переговоры"
    )  # amo_wins
    contact = next(c for c in stack.contacts() if c["id"] == contact_id)
    assert contact["name"] == "Иван (sheet)" and row["Имя"] == "Иван (sheet)"  # newest: the sheet edit
    assert row["amo_sync_status"].startswith("conflict on")
    history = stack.call("GET", f"/rows/{key}/history").json()["history"]
    conflicts = {h["conflict"]["reason"].split(":")[0]: h["conflict"] for h in history if "conflict" in h}
    assert conflicts["policy sheet_wins"] == {
        **conflicts["policy sheet_wins"],
        "sheet": "200",
        "amo": "300",
        "base": "100",
        "kept": "sheet",
    }
    assert conflicts["policy amo_wins"]["kept"] == "amo" and conflicts["policy amo_wins"]["sheet"].endswith(
        ":142"
    )
    assert conflicts["policy newest"]["kept"] == "sheet"


def test_6_deleted_and_merged_leads_mark_their_rows_and_nothing_is_deleted(small):
    by_name = ids(small)
    small.amo.admin.manager_delete_lead(HOST, by_name["Olga Smirnova"])
    small.amo.admin.manager_merge_leads(HOST, by_name["Иван Петров"], by_name["Пётр Иванов"])
    small.settle()
    assert len(small.grid()) == 4  # every row is still there
    keys = keys_by_name(small)
    assert "deleted in amoCRM" in small.row_of(keys["Olga Smirnova"])["amo_sync_status"]
    assert "deleted in amoCRM" in small.row_of(keys["Пётр Иванов"])["amo_sync_status"]
    assert small.row_of(keys["Иван Петров"])["amo_sync_status"].startswith("✓")
    assert {x["id"] for x in small.leads()} == {by_name["Иван Петров"]}  # amoCRM's own deletes only
    errors = small.call("GET", "/errors").json()["errors"]
    assert {e["key"] for e in errors} == {keys["Olga Smirnova"], keys["Пётр Иванов"]}
    # the next full sync keeps them marked and recreates nothing
    job = small.sync()
    assert job["preview"]["create"] == 0 and job["preview"]["deleted_in_amo"] == 2


def test_7_webhooks_dropped_for_10_minutes_are_healed_by_reconcile(small):
    by_name = ids(small)
    small.amo.admin.set_faults(webhook_drop=100)
    small.amo.admin.manager_set_status(HOST, by_name["Иван Петров"], stage_id(small, "Переговоры"))
    small.amo.admin.manager_update_lead(HOST, by_name["Olga Smirnova"], price=555)
    small.amo.admin.advance(600)
    small.amo.admin.manager_update_lead(HOST, by_name["Пётр Иванов"], name="Renamed deal")  # not mapped
    small.amo.admin.drain_webhooks()
    small.work()
    keys = keys_by_name(small)
    assert small.row_of(keys["Иван Петров"])["Статус"] == "Первичный контакт"  # nothing arrived
    r = small.call("POST", "/reconcile")
    assert r.status_code == 202
    small.work()
    job = small.call("GET", f"/jobs/{r.json()['job_id']}").json()
    assert job["status"] == "finished" and job["result"]["healed"] == 2
    assert small.row_of(keys["Иван Петров"])["Статус"] == "Переговоры"
    assert small.row_of(keys["Olga Smirnova"])["Бюджет"] == 555


def test_8_two_workers_two_quick_edits_and_a_webhook_end_with_one_lead_and_the_newest_edit(
    small, subprocess_env
):
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT

    by_name = ids(small)
    key = keys_by_name(small)["Olga Smirnova"]
    lead_id = by_name["Olga Smirnova"]
    env = {**subprocess_env, **small.backend.env}
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "backend", "worker", "--name", f"w{i}"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(2)
    ]
    try:
        t = time.time()
        small.edit("Leads!D3", [["300"]])
        small.send_edits([key], at=t)
        small.amo.admin.manager_set_status(HOST, lead_id, stage_id(small, "Переговоры"))  # the webhook
        small.edit("Leads!D3", [["400"]])
        small.send_edits([key], at=t + 0.5)
        small.send_edits([key], at=t)  # a late duplicate of the older edit arrives last
        deadline = time.time() + 30
        while time.time() < deadline:
            small.amo.admin.drain_webhooks()
            from backend import queues

            busy = sum(queues.queue(q, small.redis).count for q in queues.ALL)
            if (
                not busy
                and lead(small, lead_id)["price"] == 400
                and small.row_of(key)["Статус"] == "Переговоры"
            ):
                break
            time.sleep(0.2)
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(timeout=30)
    assert len(small.leads()) == 3
    assert lead(small, lead_id)["price"] == 400 and small.row_of(key)["Бюджет"] == 400
    assert small.row_of(key)["Статус"] == "Переговоры"


def test_9_a_change_that_would_rewrite_half_the_rows_waits_for_confirmation(make_stack):
    rows = [[f"Person {i}", f"8 912 000-01-{i:02d}", f"p{i}@x.ru", str(100 + i), ""] for i in range(10)]
    stack = make_stack(rows, HEADERS)
    assert stack.sync()["status"] == "finished"
    stack.settle()
    stack.edit("Leads!D2:D6", [["999"]] * 5)  # half the rows, e.g. a fill-down by mistake
    job = stack.sync()
    assert job["status"] == "waiting_confirmation"
    (guard,) = [g for g in job["guards"] if g["tripped"]]
    assert guard["name"] == "share_of_rows" and "5 of 10" in guard["reason"]
    assert sorted(x["price"] for x in stack.leads()) == [100 + i for i in range(10)]  # nothing written
    job = stack.sync(confirm=True)
    assert job["status"] == "finished"
    assert sorted(x["price"] for x in stack.leads()).count(999) == 5
