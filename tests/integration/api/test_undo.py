"""Undo a run, over real HTTP (both emulators, a real Redis, RQ's worker), checking both sides: fields
go back only where nobody changed them since (the others are kept and listed), created leads are
never deleted (tagged, moved to the picked stage, rows marked), an undo can be undone, and running
the same undo twice ends in the same state."""

import datetime as dt

import pytest

from backend.sync.undo import UNDONE_TAG
from tests.integration.amocrm.conftest import HOST
from tests.integration.sync.messy import HEADERS

ROWS = [
    ["Иван Петров", "8 912 000-00-01", "ivan@x.ru", "100", ""],
    ["Olga Smirnova", "8 912 000-00-02", "olga@x.ru", "200", ""],
]


@pytest.fixture
def small(make_stack):
    stack = make_stack([list(r) for r in ROWS], HEADERS)
    assert stack.sync()["status"] == "finished"
    stack.settle()
    return stack


def newest(stack) -> dict:
    return stack.call("GET", "/runs").json()["runs"][0]


def undo(stack, run_id: str, body=None) -> dict:
    r = stack.call("POST", f"/runs/{run_id}/undo", body)
    assert r.status_code == 202, r.text
    stack.work()
    job = stack.call("GET", f"/jobs/{r.json()['job_id']}").json()
    assert job["status"] == "finished", job
    return job["result"]


def row(stack, name: str) -> dict:
    return next(stack.row_of(k) for k in stack.column("amo_sync_id") if k and stack.row_of(k)["Имя"] == name)


def amo_lead(stack, lead_id: int) -> dict:
    return next(x for x in stack.amo.admin.leads(HOST) if x["id"] == lead_id)


def stage(stack, name: str) -> int:
    pipeline = next(p for p in stack.amo.admin.account(HOST)["pipelines"] if p["is_main"])
    return next(s["id"] for s in pipeline["statuses"] if s["name"] == name)


def test_undo_of_an_import_keeps_the_leads_tags_and_moves_them_and_marks_the_rows(small):
    (imported,) = small.call("GET", "/runs").json()["runs"]
    offered = small.call("GET", f"/runs/{imported['run_id']}").json()["undo_stages"]
    assert {"id": stage(small, "Переговоры"), "name": "Переговоры"} in offered
    leads = {x["id"] for x in small.leads()}
    result = undo(small, imported["run_id"], {"stage": stage(small, "Переговоры")})
    assert result["leads_kept"] == 2 and result["kept"] == 0
    assert {x["id"] for x in small.leads()} == leads  # nothing deleted
    for lead_id in leads:
        lead = amo_lead(small, lead_id)
        assert UNDONE_TAG in {t["name"] for t in lead["_embedded"]["tags"]}
        assert lead["status_id"] == stage(small, "Переговоры")
    for name in ("Иван Петров", "Olga Smirnova"):
        r = row(small, name)
        assert r["amo_sync_status"].startswith("↶ undone") and "kept" in r["amo_sync_status"]
        assert r["Статус"] == "Переговоры"  # the stage column follows the lead
    run = newest(small)
    assert run["trigger"] == "undo" and run["undo_of"] == imported["run_id"]
    assert run["summary"] == "Undo: 0 restored, 2 created leads kept and tagged."
    moved = [
        c
        for c in small.call("GET", f"/runs/{run['run_id']}").json()["changes"]
        if c["field"] == "lead.status"
    ]
    assert {(c["side"], c["why"], c["label"], c["after_text"]) for c in moved} == {
        ("amo", "undo", "Статус", "Переговоры"),
        ("sheet", "undo", "Статус", "Переговоры"),
    }
    # the next sync sees both sides agree: it plans nothing
    again = small.sync()
    p = again["preview"]
    assert p["create"] == p["update_amo"] == p["update_sheet"] == p["conflicts"] == 0


def test_undo_of_an_amo_change_restores_both_sides_and_undoing_the_undo_brings_it_back(small):
    ivan = row(small, "Иван Петров")
    lead_id = int(ivan["amo_lead_id"])
    small.amo.admin.manager_update_lead(HOST, lead_id, price=150)
    small.settle()
    assert row(small, "Иван Петров")["Бюджет"] == 150
    amo_run = newest(small)
    assert amo_run["trigger"] == "amocrm"
    result = undo(small, amo_run["run_id"])
    assert (result["restored"], result["kept"]) == (1, 0)
    small.settle()  # amoCRM's echo of the restore changes nothing
    assert amo_lead(small, lead_id)["price"] == 100 and row(small, "Иван Петров")["Бюджет"] == 100
    first_undo = newest(small)
    assert first_undo["trigger"] == "undo" and first_undo["counts"]["restored"] == 1
    # the same undo again (as after a crash): same end state, nothing written twice
    assert undo(small, amo_run["run_id"])["restored"] == 1
    assert amo_lead(small, lead_id)["price"] == 100 and row(small, "Иван Петров")["Бюджет"] == 100
    # undo the undo
    assert undo(small, first_undo["run_id"])["restored"] == 1
    small.settle()
    assert amo_lead(small, lead_id)["price"] == 150 and row(small, "Иван Петров")["Бюджет"] == 150


def test_fields_changed_since_are_kept_and_listed_the_rest_restored(small):
    ivan, olga = row(small, "Иван Петров"), row(small, "Olga Smirnova")
    grid = small.grid()
    budget = "ABCDEFGHIJ"[grid[0].index("Бюджет")]
    at = {r[grid[0].index("amo_sync_id")]: n for n, r in enumerate(grid[1:], 2)}
    small.edit(f"Leads!{budget}{at[ivan['amo_sync_id']]}", [["111"]])
    small.edit(f"Leads!{budget}{at[olga['amo_sync_id']]}", [["777"]])
    small.send_edits([ivan["amo_sync_id"], olga["amo_sync_id"]])
    small.work()
    edit_run = newest(small)
    assert edit_run["trigger"] == "edit" and edit_run["counts"]["updated_amo"] == 2
    small.settle()
    small.amo.admin.set_faults(webhook_drop=100)  # a manager's change the sheet has not heard of yet
    small.amo.admin.manager_update_lead(HOST, int(olga["amo_lead_id"]), price=900)
    result = undo(small, edit_run["run_id"])
    assert (result["restored"], result["kept"]) == (1, 1)
    assert (
        amo_lead(small, int(ivan["amo_lead_id"]))["price"] == 100
        and row(small, "Иван Петров")["Бюджет"] == 100
    )
    assert (
        amo_lead(small, int(olga["amo_lead_id"]))["price"] == 900
        and row(small, "Olga Smirnova")["Бюджет"] == 777
    )
    (kept,) = newest(small)["kept"]
    changed_by, changed_at = kept.pop("by"), kept.pop("at")
    assert changed_by == "Maxim Manager"  # the emulator's manager (not the integration's user)
    updated = amo_lead(small, int(olga["amo_lead_id"]))["updated_at"]
    assert changed_at == dt.datetime.fromtimestamp(updated, dt.UTC).isoformat()
    assert kept == {
        "key": olga["amo_sync_id"],
        "lead_id": int(olga["amo_lead_id"]),
        "field": "lead.price",
        "side": "amo",
        "now": "900",
        "reason": "changed in amoCRM since",
    }


def test_unknown_runs_and_bad_stages_are_refused(small):
    assert small.call("POST", "/runs/0000000000000-00000000/undo").status_code == 404
    run_id = newest(small)["run_id"]
    assert small.call("POST", f"/runs/{run_id}/undo", {"stage": "x"}).status_code == 400
    r = small.call("POST", f"/runs/{run_id}/undo", {"stage": 999999})
    assert r.status_code == 202
    small.work()
    job = small.call("GET", f"/jobs/{r.json()['job_id']}").json()
    assert job["status"] == "failed" and "not in the pipeline" in job["error"]["detail"]
    assert len(small.leads()) == 2


def test_an_undo_that_would_change_most_rows_waits_for_confirmation_like_a_sync(make_stack):
    rows = [[f"Person {i}", f"8 912 000-01-{i:02d}", f"p{i}@x.ru", str(100 + i), ""] for i in range(6)]
    stack = make_stack(rows, HEADERS)
    assert stack.sync()["status"] == "finished"
    stack.settle()
    run_id = newest(stack)["run_id"]
    moved = {"stage": stage(stack, "Переговоры")}
    r = stack.call("POST", f"/runs/{run_id}/undo", moved)
    stack.work()
    job = stack.call("GET", f"/jobs/{r.json()['job_id']}").json()
    assert job["status"] == "waiting_confirmation", job
    (guard,) = [g for g in job["guards"] if g["tripped"]]
    assert guard["reason"] == "the undo would change 6 of 6 synced rows (limit 20%)"
    assert {x["status_id"] for x in stack.leads()} != {moved["stage"]}  # nothing written yet
    assert newest(stack)["run_id"] == run_id  # and nothing journaled
    result = undo(stack, run_id, {**moved, "confirm": True})
    assert result["leads_kept"] == 6
    assert {x["status_id"] for x in stack.leads()} == {moved["stage"]}


def test_a_created_lead_deleted_since_is_listed_and_the_rest_still_undone(small):
    (imported,) = small.call("GET", "/runs").json()["runs"]
    olga = int(row(small, "Olga Smirnova")["amo_lead_id"])
    ivan = int(row(small, "Иван Петров")["amo_lead_id"])
    small.amo.admin.manager_delete_lead(HOST, olga)
    small.settle()
    result = undo(small, imported["run_id"])
    assert (result["leads_kept"], result["kept"]) == (1, 1)
    assert UNDONE_TAG in {t["name"] for t in amo_lead(small, ivan)["_embedded"]["tags"]}
    (kept,) = newest(small)["kept"]
    assert (kept["lead_id"], kept["reason"]) == (olga, "the lead is gone from amoCRM")


def test_a_row_sorted_under_other_values_since_is_kept_and_not_counted_as_restored(small):
    """A range sorted without the sync's columns after the run: each key now sits beside the other
    row's values, so neither row gets its old value back (though the budget it shows is the one the
    run wrote: both rows have it) — and the result says so: kept, not restored."""
    ivan = row(small, "Иван Петров")
    grid = small.grid()
    budget = "ABCDEFGHIJ"[grid[0].index("Бюджет")]
    at = {r[grid[0].index("amo_sync_id")]: n for n, r in enumerate(grid[1:], 2)}
    small.edit(f"Leads!{budget}{at[ivan['amo_sync_id']]}", [["200"]])  # Olga's budget too
    small.send_edits([ivan["amo_sync_id"]])
    small.work()
    edit_run = newest(small)
    assert edit_run["counts"]["updated_amo"] == 1
    small.settle()
    data = [r[:5] for r in small.grid()[1:3]]
    small.edit("Leads!A2:E3", [data[1], data[0]])  # sorted Z→A by name, the key columns left out
    result = undo(small, edit_run["run_id"])
    assert (result["restored"], result["kept"]) == (0, 1)
    (kept,) = newest(small)["kept"]
    assert kept["field"] == "lead.price" and "another row" in kept["reason"]
    assert amo_lead(small, int(ivan["amo_lead_id"]))["price"] == 200  # nothing written into amoCRM
