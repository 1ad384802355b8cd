"""Every key in Redis is declared in `backend/store/keys.py`, with the declared type and expiry.

A representative flow over real HTTP (both emulators, a real Redis, RQ's worker): registration's
challenge, a preview and a sync of two sheets of one amoCRM account, amoCRM's webhooks drained, edits
sent with and without their values, a reconcile, an undo, the sidebar's reads, a scheduled job and a
heartbeat; then one sheet is disconnected. After each stage, SCAN every key: a key no family declares
(a module that builds its own key name) fails, and so does a key whose Redis type or expiry is not the
declared one. RQ's own keys (`rq:…`) follow RQ's rules and are only checked to be RQ's."""

from __future__ import annotations

import time

import pytest

from backend import queues, schedule, worker
from backend.store import keys
from backend.sync import edit_answers, jobs
from tests.integration.api.conftest import id_token, make_stack, post, sheets, sync_backend
from tests.integration.store.test_erase import HEADERS, disconnect, people
from tests.integration.sync.test_scenarios import keys_by_name

__all__ = ["id_token", "make_stack", "sheets", "sync_backend"]


def undeclared_or_wrong(redis) -> tuple[list[str], set[str]]:
    """(a sentence per key that is not as declared, the patterns of the families seen)."""
    wrong, seen = [], set()
    for raw in redis.scan_iter(count=1000):
        name = raw.decode()
        family = keys.family_of(name)
        if family is None:
            wrong.append(f"{name}: no family declares it")
            continue
        seen.add(family.pattern)
        if family.owner == keys.RQ_OWNER:
            continue
        kind, ttl_ms = redis.pipeline().type(raw).pttl(raw).execute()
        kind = kind.decode()
        if kind == "none":
            continue  # expired since the SCAN saw it (a one-second marker)
        if kind != family.type:
            wrong.append(f"{name}: a {kind}, declared a {family.type} ({family.pattern})")
        expires = ttl_ms > 0
        if expires != family.expires:
            wrong.append(f"{name}: {'expires' if expires else 'never expires'}; declared ttl {family.ttl!r}")
    return wrong, seen


def send_with_values(stack, name: str, **changed: str) -> None:
    """An edit as the edits endpoint records it when the add-on sends the row's values."""
    mapping = stack.backend.tenants.get(stack.connection_id).mapping
    column = {c["header"]: c["column"] for c in mapping["columns"]}
    key = keys_by_name(stack)[name]
    row = stack.row_of(key)
    at = time.time()
    sent = {"row": 2, "values": {column[h]: changed.get(h, row[h]) for h in column}, "edited_at": at}
    sent["lead_id"] = row["amo_lead_id"]
    waiter = edit_answers.Waiter(stack.redis, stack.connection_id, {key: at})
    jobs.request_edits(stack.redis, stack.connection_id, {key: at}, {key: sent})
    stack.work()
    waiter.close()


@pytest.fixture
def two_sheets(make_stack, id_token):
    first = make_stack([*people("1", 4), ["Boris", "+7 912 000-00-99", "boris@", 1]], HEADERS)  # one error
    target = {"spreadsheet_id": first.spreadsheet_id, "sheet_id": 0}
    challenge = post(first.backend, "/register/challenge", target, id_token())
    assert challenge.status_code == 200, challenge.text
    assert first.sync(preview=True)["status"] == "finished"
    assert first.sync(confirm=True)["status"] == "finished"
    second = make_stack(people("1", 2) + people("2", 2), HEADERS, title="Leads")
    assert second.sync(confirm=True)["status"] == "finished"
    first.settle()
    return first, second


def test_every_key_a_representative_flow_leaves_is_declared_with_its_type_and_expiry(two_sheets, id_token):
    first, second = two_sheets
    first.edit("D2", [[5555]])
    first.send_edits([first.column("amo_sync_id")[0]])
    first.work()
    send_with_values(first, "Person 11", Бюджет="4321")
    r = first.call("POST", "/reconcile")
    assert r.status_code == 202, r.text
    first.work()
    runs = first.call("GET", "/runs").json()["runs"]
    run_id = next(run["run_id"] for run in runs if run["trigger"] == "edit")
    undone = first.call("POST", f"/runs/{run_id}/undo")
    assert undone.status_code == 202, undone.text
    first.settle()
    assert first.call("GET", "/errors").json()["errors"]
    for path in ("", "/health", "/runs", "/mapping"):
        assert first.call("GET", path).status_code == 200, path
    key = first.column("amo_sync_id")[0]
    assert first.call("GET", f"/rows/{key}/history").status_code == 200
    queues.enqueue(first.redis, queues.DEFAULT, schedule.run_scheduled, "reconcile_all")
    queues.enqueue(first.redis, queues.DEFAULT, worker.heartbeat, "test")
    first.settle()

    wrong, seen = undeclared_or_wrong(first.redis)
    assert wrong == []
    # the flow is representative: most of what a sheet keeps in Redis was there to be checked
    expected = {
        keys.connection, keys.connection_by_sheet, keys.ledger, keys.ledger_lead, keys.ledger_print,
        keys.history, keys.journal_runs, keys.journal_run, keys.journal_changes, keys.journal_health,
        keys.edited_at, keys.errors, keys.reconcile_cursor, keys.nonce, keys.queued_job, keys.sheet_info,
        keys.directory_used, keys.account, keys.account_connections, keys.webhook, keys.tokens,
        keys.catalog, keys.directory_email, keys.directory_phone, keys.directory_cursor, keys.amo_window,
        keys.sheets_window, keys.register_challenge, keys.schedule_claim, keys.worker_heartbeat, keys.rq,
    }  # fmt: skip
    assert {f.pattern for f in expected} - seen == set()

    r = disconnect(first, id_token())
    assert r.status_code == 200, r.text
    assert r.json()["erased"]["undeclared"] == 0
    assert undeclared_or_wrong(first.redis)[0] == []
    assert second.call("GET", "").status_code == 200  # the account's other sheet is still connected
