"""The Activity and Health API over real HTTP (both emulators, a real Redis, RQ's worker): every run is
journaled with what started it, its counts and each field it changed (before -> after, why); a
reconcile says how many missed changes it healed; health says what to do when something is wrong."""

import pytest

from backend.security.crypto import Cipher
from backend.store.tokens import NEEDS_RECONNECT, TokenStore
from tests.integration.amocrm.conftest import HOST
from tests.integration.sync.messy import HEADERS


@pytest.fixture
def small(make_stack):
    stack = make_stack(
        [["Иван Петров", "8 912 000-00-01", "ivan@x.ru", "100", ""],
         ["Olga Smirnova", "8 912 000-00-02", "olga@x.ru", "200", ""]],
        HEADERS,
    )  # fmt: skip
    assert stack.sync()["status"] == "finished"
    stack.settle()
    return stack


def runs(stack) -> list[dict]:
    r = stack.call("GET", "/runs")
    assert r.status_code == 200, r.text
    return r.json()["runs"]


def changes(stack, run_id: str) -> list[dict]:
    r = stack.call("GET", f"/runs/{run_id}")
    assert r.status_code == 200, r.text
    return r.json()["changes"]


def key_and_lead(stack, name: str) -> tuple[str, int]:
    row = next(r for r in [stack.row_of(k) for k in stack.column("amo_sync_id") if k] if r["Имя"] == name)
    return row["amo_sync_id"], int(row["amo_lead_id"])


def test_an_import_then_an_edit_then_an_amo_change_are_journaled_newest_first(small):
    (first,) = runs(small)
    assert first["trigger"] == "sync_now" and first["counts"]["created"] == 2
    assert first["summary"].startswith("2 created")
    created = changes(small, first["run_id"])
    assert {(c["field"], c["why"], c["before"]) for c in created} == {("lead", "created", None)}
    assert {c["after"] for c in created} == {x["id"] for x in small.leads()}

    olga, olga_lead = key_and_lead(small, "Olga Smirnova")
    small.edit("Leads!D3", [["777"]])
    small.send_edits([olga])
    small.work()
    edit = runs(small)[0]
    assert edit["trigger"] == "edit" and edit["counts"]["updated_amo"] == 1
    assert small.call("GET", f"/runs/{edit['run_id']}").json()["undo_stages"] == []  # it created none
    (c,) = changes(small, edit["run_id"])
    assert (c["key"], c["lead_id"], c["side"], c["field"]) == (olga, olga_lead, "amo", "lead.price")
    assert (c["before"], c["after"], c["why"]) == ("200", "777", "sheet_edit")
    assert (c["label"], c["before_text"], c["after_text"]) == ("Бюджет", "200", "777")
    small.settle()  # amoCRM's echo of our write changes nothing and is not a run

    ivan, ivan_lead = key_and_lead(small, "Иван Петров")
    small.amo.admin.manager_update_lead(HOST, ivan_lead, price=150)
    small.settle()
    listed = runs(small)
    amo = listed[0]
    assert [r["trigger"] for r in listed] == ["amocrm", "edit", "sync_now"]
    assert amo["counts"]["updated_sheet"] == 1 and amo["summary"] == "1 updated in the sheet."
    (c,) = changes(small, amo["run_id"])
    assert (c["key"], c["side"], c["field"], c["before"], c["after"], c["why"]) == (
        ivan, "sheet", "lead.price", "100", "150", "amo_change")  # fmt: skip
    # paging: one at a time, older after newer
    page = small.call("GET", "/runs?limit=1").json()
    assert [r["run_id"] for r in page["runs"]] == [amo["run_id"]]
    older = small.call("GET", f"/runs?limit=2&before={page['next_before']}").json()
    assert [r["trigger"] for r in older["runs"]] == ["edit", "sync_now"]


def test_a_reconcile_says_how_many_missed_changes_it_healed(small):
    _, ivan_lead = key_and_lead(small, "Иван Петров")
    _, olga_lead = key_and_lead(small, "Olga Smirnova")
    small.amo.admin.set_faults(webhook_drop=100)
    small.amo.admin.manager_update_lead(HOST, ivan_lead, price=101)
    small.amo.admin.manager_update_lead(HOST, olga_lead, price=202)
    small.amo.admin.advance(600)
    small.settle()
    assert small.call("POST", "/reconcile").status_code == 202
    small.work()
    run = runs(small)[0]
    assert run["trigger"] == "reconcile" and run["counts"]["healed"] == 2
    assert run["summary"] == "2 changes amoCRM did not announce were picked up."
    assert {(c["after"], c["why"]) for c in changes(small, run["run_id"])} == {
        ("101", "reconcile"), ("202", "reconcile")}  # fmt: skip


def test_unknown_or_malformed_run_ids_are_not_found_and_bad_paging_is_refused(small):
    assert small.call("GET", "/runs/0000000000000-00000000").status_code == 404
    assert small.call("GET", "/runs/not-a-run").status_code == 404
    assert small.call("GET", "/runs?limit=0").status_code == 400
    assert small.call("GET", "/runs?before=x").status_code == 400


def test_health_is_green_after_a_sync_and_says_what_to_do_when_it_is_not(small):
    h = small.call("GET", "/health").json()
    assert all(h[k]["ok"] for k in ("webhook", "amo", "token", "backlog")), h
    assert h["backlog"]["queued"] == 0 and h["amo"]["at"] and h["token"]["at"]
    # edits waiting, amoCRM's webhook disabled, the grant refused
    svc = small.backend.services
    small.redis.hset(f"edits:{small.connection_id}", mapping={"k1": 1, "k2": 1})
    account_id = small.amo.admin.account(HOST)["id"]
    small.backend.tenants.set_account_fields(account_id, webhook="disabled")
    TokenStore(small.redis, Cipher(svc.settings.token_encryption_keys)).mark(
        account_id, NEEDS_RECONNECT, "revoked"
    )
    h = small.call("GET", "/health").json()
    assert h["backlog"]["queued"] == 2 and h["backlog"]["detail"].startswith("2 changes queued, about ")
    assert not h["webhook"]["ok"] and "reconnect amoCRM" in h["webhook"]["action"]
    assert not h["token"]["ok"] and h["token"]["action"] == "Reconnect amoCRM."
