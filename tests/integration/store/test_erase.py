"""Disconnect erases the connection: the sheet is synced by a real worker process, edited, a run is
undone, then the sheet is disconnected through the add-on API; a SCAN of the whole of Redis (every
key's name and value) then finds none of the sheet's e-mails or phones, no key naming the connection —
nor, when it was the account's last, naming the account, its host or holding its id — and the service
account can no longer open the spreadsheet. What is erased comes from `backend/store/keys.py`: the
answer counts no key that names the connection without a declared family."""

from __future__ import annotations

import os
import subprocess
import sys

import requests

from backend.security import signing
from backend.store import keys
from backend.store.erase import erase_connection
from backend.store.keys import Found, Scope
from tests.conftest import ROOT
from tests.integration.api.conftest import id_token, make_stack, sheets, sync_backend
from tests.integration.sync.conftest import PERSON, SERVICE_ACCOUNT

HEADERS = ["Имя", "Телефон", "Email", "Бюджет"]

__all__ = ["id_token", "make_stack", "sheets", "sync_backend"]


def people(tag: str, n: int) -> list[list]:
    return [
        [f"Person {tag}{i}", f"+7 912 {tag}{i:02d}-00-0{i % 10}", f"p{i}.{tag}@example.com", 1000 + i]
        for i in range(n)
    ]


def needles(rows: list[list]) -> set[str]:
    """Every way the sheet's e-mails and phones could be stored: as typed, canonical, digits only."""
    out: set[str] = set()
    for _, phone, email, _budget in rows:
        digits = "".join(ch for ch in phone if ch.isdigit())
        out |= {email, email.lower(), phone, "+" + digits, digits}
    return out


def run_worker(stack) -> None:
    """Every queued job, run by a real worker process (`python -m backend worker --burst`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AMO_", "GOOGLE_", "SHEETS_"))}
    env.update(stack.backend.env, PYTHONPATH=str(ROOT))
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    proc = subprocess.run(
        [sys.executable, "-m", "backend", "worker", "--burst"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]


def key_of_first_row(stack) -> str:
    grid = stack.grid()
    return grid[1][grid[0].index("amo_sync_id")]


def sync_in_a_worker_process(stack) -> None:
    r = stack.call("POST", "/sync", {"confirm": True})
    assert r.status_code == 202, r.text
    run_worker(stack)
    job = stack.call("GET", f"/jobs/{r.json()['job_id']}").json()
    assert job["status"] == "finished", job


def disconnect(stack, token: str) -> requests.Response:
    url = f"{stack.backend.url}/api/v1/connections/{stack.connection_id}"
    headers = signing.sign(
        "DELETE", url, {"X-Google-Id-Token": token}, b"", key_id=stack.connection_id, secret=stack.secret
    )
    return requests.delete(url, headers=headers, timeout=60)


def dump(redis) -> list[tuple[str, bytes]]:
    """(key name, every byte of its value) for every key in Redis, read with SCAN."""
    out = []
    for key in redis.scan_iter(count=1000):
        kind = redis.type(key).decode()
        if kind == "string":
            parts = [redis.get(key) or b""]
        elif kind == "hash":
            parts = [b for kv in redis.hgetall(key).items() for b in kv]
        elif kind == "list":
            parts = redis.lrange(key, 0, -1)
        elif kind == "set":
            parts = list(redis.smembers(key))
        elif kind == "zset":
            parts = redis.zrange(key, 0, -1)
        elif kind == "stream":
            parts = [b for _, fields in redis.xrange(key) for kv in fields.items() for b in kv]
        else:
            parts = []
        out.append((key.decode(), b"\x00".join(parts)))
    return out


def found(redis, texts: set[str]) -> list[tuple[str, str]]:
    hits = []
    for name, value in dump(redis):
        for t in texts:
            if t in name or t.encode() in value:
                hits.append((name, t))
    return hits


def test_a_disconnect_leaves_nothing_of_the_sheet_in_redis(make_stack, id_token):
    rows = people("1", 6)
    stack = make_stack(rows, HEADERS)
    sync_in_a_worker_process(stack)
    assert len(stack.leads()) == 6
    stack.edit("D2", [[5555]])  # a change, so the row has history and edit bookkeeping
    stack.send_edits([key_of_first_row(stack)])
    run_worker(stack)
    edit_run = next(r for r in stack.call("GET", "/runs").json()["runs"] if r["trigger"] == "edit")
    undo = stack.call("POST", f"/runs/{edit_run['run_id']}/undo")
    assert undo.status_code == 202, undo.text
    run_worker(stack)
    assert stack.call("GET", f"/jobs/{undo.json()['job_id']}").json()["status"] == "finished"
    cid = stack.connection_id
    account_id = stack.backend.tenants.get(cid).account_id
    host = stack.backend.tenants.account(account_id).host
    assert found(stack.redis, needles(rows)), "the sync left no trace to erase: the test proves nothing"
    assert any(cid in name for name, _ in dump(stack.redis))
    assert any(str(account_id) in name for name, _ in dump(stack.redis))
    assert any(host in name for name, _ in dump(stack.redis))

    r = disconnect(stack, id_token())
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["status"] == "disconnected" and answer["google_access"] == "removed"
    assert "no longer has access" in answer["message"]
    assert answer["erased"]["account_erased"] is True
    assert answer["erased"]["undeclared"] == 0

    assert found(stack.redis, needles(rows)) == []
    assert [name for name, _ in dump(stack.redis) if cid in name] == []
    left = dump(stack.redis)
    assert [name for name, _ in left if str(account_id) in name or host in name] == []
    assert [name for name, value in left if value == str(account_id).encode()] == []
    assert SERVICE_ACCOUNT not in stack.sheets.admin.sharing(stack.spreadsheet_id)["editors"]
    assert PERSON == stack.sheets.admin.sharing(stack.spreadsheet_id)["owner"]


def test_another_connection_of_the_account_keeps_what_it_uses_and_still_syncs(make_stack, id_token):
    shared = people("2", 3)
    only_first = people("3", 3)
    first = make_stack(shared + only_first, HEADERS)
    sync_in_a_worker_process(first)
    # an hour apart on amoCRM's clock, so the directory's cursor is past the first sheet's contacts
    first.amo.admin.advance(3600)
    second = make_stack(shared + people("4", 2), HEADERS, title="Leads")
    sync_in_a_worker_process(second)
    first.amo.admin.advance(3600)
    second.edit("A7", [people("6", 1)[0]])  # a new person: this run's listing moves the cursor on
    sync_in_a_worker_process(second)
    first.amo.admin.advance(3600)
    assert len(second.contacts()) == 9  # the shared people were found, not created twice

    r = disconnect(first, id_token())
    assert r.status_code == 200, r.text
    assert r.json()["erased"]["account_erased"] is False
    assert r.json()["erased"]["undeclared"] == 0
    assert found(first.redis, needles(only_first)) == []
    assert [n for n, _ in dump(first.redis) if first.connection_id in n] == []
    # the remaining connection re-lists amoCRM's contacts and still finds everyone: no duplicates
    second.edit("A2", [["Person renamed"]])
    added = people("5", 1)[0]
    added[2] = only_first[0][2]  # a new row for a person only the disconnected sheet had
    second.edit("A8", [added])  # below the synced rows
    sync_in_a_worker_process(second)
    emails = [
        v["values"][0]["value"]
        for c in second.contacts()
        for v in c.get("custom_fields_values") or []
        if v.get("field_code") == "EMAIL"
    ]
    assert emails.count(only_first[0][2]) == 1


def test_another_connected_tab_of_the_spreadsheet_keeps_the_service_account_in(make_stack, id_token):
    stack = make_stack(people("7", 2), HEADERS)
    other, _ = stack.backend.tenants.create(stack.spreadsheet_id, 1, "Other tab", "sub-1", PERSON)
    r = disconnect(stack, id_token())
    assert r.status_code == 200 and r.json()["google_access"] == "shared"
    assert SERVICE_ACCOUNT in stack.sheets.admin.sharing(stack.spreadsheet_id)["editors"]
    assert stack.backend.tenants.get(other.id) is not None  # the other tab's connection is untouched


def put(redis, name: str, kind: str) -> None:
    {
        "string": lambda: redis.set(name, 1),
        "hash": lambda: redis.hset(name, "f", 1),
        "list": lambda: redis.rpush(name, 1),
        "set": lambda: redis.sadd(name, 1),
        "zset": lambda: redis.zadd(name, {"m": 1}),
    }[kind]()


def test_the_erase_takes_every_declared_family_of_the_connection_and_counts_an_undeclared_key(redis_client):
    """Straight on Redis: a key of every family declared per connection (by name), for the connection
    and for another one; plus a key naming the connection that no family declares."""
    gone, kept = "c_gone-1", "c_kept-2"
    parts = {"account": 7, "row": "rA1", "run": "0001-ab", "nonce": "n:1", "kind": "sync", "args": "x:y"}
    parts |= {"spreadsheet": "s1", "sheet": 0, "method": "read"}
    declared = [f for f in keys.FAMILIES if f.scope is Scope.CONNECTION and f.found is Found.BY_NAME]
    for family in declared:
        for cid in (gone, kept):
            put(redis_client, family.name(**parts, conn=cid), family.type)
    redis_client.set(f"stray:{gone}", 1)
    erased = erase_connection(redis_client, gone, None)
    names = [k.decode() for k in redis_client.scan_iter()]
    assert [n for n in names if gone in n] == []
    assert len([n for n in names if kept in n]) == len(declared) > 20  # the other connection's are kept
    assert (erased.keys, erased.undeclared) == (len(declared) + 1, 1)
