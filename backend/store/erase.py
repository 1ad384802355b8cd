"""Erase a connection from Redis on disconnect — every key family `store/keys.toml` declares per
connection, its queued and finished jobs, the contact-directory entries only it used — and the families
declared per account when no connection is left on its amoCRM account.

How each family is found (its `Found`):
- by name: the id is in the name. A family named by the id alone is deleted by name; the ones with a
  suffix (row keys, run ids, nonces, …) are matched against their declared patterns in one SCAN of the
  keys naming the connection (never KEYS: it blocks Redis for the whole keyspace; and one pass, not
  one per family). A key that names the connection but no declared family is erased too, counted as
  `undeclared` and logged as an error: a module wrote a key without declaring it (a test keeps it 0);
- through RQ: jobs whose id or arguments name the connection (`rq:job:*` descriptions), deleted through
  RQ so its registries and results go too; a job still running is stopped first, so it cannot write
  again after the erase;
- from the connection hash: `conn-by-sheet:{spreadsheet}:{sheet}`;
- the contact directory (`store/contact_directory.py`): the values only this connection used are dropped,
  and the directory's cursor too, so the next run of another connection re-lists amoCRM and no contact
  that still exists there is ever created twice; with no connection left, the whole directory;
- with no connection left on the account: its families by name, the webhook token's `amo:webhook:{hash}`
  by its value, the amoCRM limiter's keys from the account's host.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass

import redis
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus

from backend.store import keys
from backend.store.keys import Family, Found, Scope

log = logging.getLogger(__name__)

BATCH = 500
STOP_WAIT_S = 15.0  # a stopped work horse is gone within a second; the worker then files the job

# How this module finds each kind of family (a test checks every declared family is covered).
HANDLED = {Found.BY_NAME, Found.THROUGH_RQ, Found.BY_CONNECTION, Found.BY_VALUE, Found.BY_ACCOUNT_HOST}


@dataclass
class Erased:
    keys: int = 0
    jobs: int = 0
    directory_entries: int = 0
    account_erased: bool = False
    undeclared: int = 0  # keys naming the connection that no family declares (erased all the same)

    def to_json(self) -> dict:
        return asdict(self)


def _unlink(client: redis.Redis, names: list) -> int:
    """Unlink the keys that exist among `names` -> how many did."""
    return sum(client.unlink(*names[i : i + BATCH]) for i in range(0, len(names), BATCH))


def _scan(client: redis.Redis, pattern: str) -> list[bytes]:
    return list(client.scan_iter(match=pattern, count=1000))


def _families(scope: Scope, found: Found) -> list[Family]:
    return [family for family in keys.FAMILIES if family.scope is scope and family.found is found]


def _jobs_of(client: redis.Redis, connection_id: str) -> list[str]:
    """Ids of RQ jobs whose id or arguments name the connection."""
    found = []
    for key in client.scan_iter(match="rq:job:*", count=1000):
        name = key.decode()
        if name.count(":") != 2:
            continue  # rq:job:{id}:dependents and the like go with their job
        job_id = name.split(":", 2)[2]
        description = client.hget(key, "description") or b""
        if connection_id in job_id or connection_id.encode() in description:
            found.append(job_id)
    return found


def _stop_and_delete_jobs(client: redis.Redis, job_ids: list[str]) -> int:
    deadline = time.monotonic() + STOP_WAIT_S
    for job_id in job_ids:
        try:
            job = Job.fetch(job_id, connection=client)
        except NoSuchJobError:
            continue
        if job.get_status(refresh=True) == JobStatus.STARTED:
            try:
                send_stop_job_command(client, job_id)
            except InvalidJobOperation:
                pass  # it finished meanwhile
            while job.get_status(refresh=True) == JobStatus.STARTED and time.monotonic() < deadline:
                time.sleep(0.2)
    deleted = 0
    for job_id in job_ids:
        try:
            Job.fetch(job_id, connection=client).delete(remove_from_queue=True)
            deleted += 1
        except NoSuchJobError:
            pass
    return deleted


def _directory(client: redis.Redis, connection_id: str, account_id: int, others: list[str]) -> int:
    email, phone = keys.directory_email(account_id), keys.directory_phone(account_id)
    if not others:
        dropped = client.hlen(email) + client.hlen(phone)
        used = _scan(client, keys.directory_used.glob(account=account_id))  # every connection's, ghosts too
        _unlink(client, [email, phone, keys.directory_cursor(account_id), *used])
        return dropped
    used = keys.directory_used(account_id, connection_id)
    dropped = 0
    batch: list[bytes] = []
    for member in client.sscan_iter(used, count=1000):
        batch.append(member)
        if len(batch) >= BATCH:
            dropped += _drop_unshared(client, account_id, batch, others)
            batch.clear()
    dropped += _drop_unshared(client, account_id, batch, others)
    if dropped:
        client.delete(keys.directory_cursor(account_id))  # re-list amoCRM next time: never miss a contact
    client.unlink(used)
    return dropped


def _drop_unshared(client: redis.Redis, account_id: int, members: list[bytes], others: list[str]) -> int:
    if not members:
        return 0
    pipe = client.pipeline(transaction=False)
    for member in members:
        for other in others:
            pipe.sismember(keys.directory_used(account_id, other), member)
    shared = pipe.execute()
    n = len(others)
    drop = [m for i, m in enumerate(members) if not any(shared[i * n : (i + 1) * n])]
    pipe = client.pipeline(transaction=False)
    for member in drop:
        kind, value = member.decode().split(":", 1)
        pipe.hdel((keys.directory_email if kind == "e" else keys.directory_phone)(account_id), value)
    return sum(pipe.execute())


def _account(client: redis.Redis, account_id: int) -> int:
    """The families declared per account (the directory went with `_directory`)."""
    names: list = []
    for family in _families(Scope.ACCOUNT, Found.BY_NAME):
        if family.placeholders == ["account"]:
            names.append(family.name(account=account_id))
        else:
            names += _scan(client, family.glob(account=account_id))
    for family in _families(Scope.ACCOUNT, Found.BY_VALUE):
        names += [k for k in _scan(client, family.glob()) if client.get(k) == str(account_id).encode()]
    host = client.hget(keys.account(account_id), "host")
    if host:
        names += [
            family.name(host=host.decode()) for family in _families(Scope.ACCOUNT, Found.BY_ACCOUNT_HOST)
        ]
    return _unlink(client, names)


def _connection_keys(client: redis.Redis, connection_id: str) -> tuple[list, list[str]]:
    """(the connection's declared keys, keys naming it that no family declares)."""
    declared = _families(Scope.CONNECTION, Found.BY_NAME)
    names: list = [f.name(conn=connection_id) for f in declared if f.placeholders == ["conn"]]
    patterns = [f.regex(conn=connection_id) for f in declared if f.placeholders != ["conn"]]
    fixed = set(names)
    undeclared = []
    for raw in _scan(client, f"*{keys.escape_glob(connection_id)}*"):
        name = raw.decode()
        if name in fixed:
            continue
        names.append(raw)
        if not any(p.match(name) for p in patterns):
            undeclared.append(name)
    return names, undeclared


def erase_connection(client: redis.Redis, connection_id: str, account_id: int | None) -> Erased:
    """Erase the connection (already unbound from `account_id`, the account it used, if any)."""
    out = Erased()
    out.jobs = _stop_and_delete_jobs(client, _jobs_of(client, connection_id))
    conn = client.hmget(keys.connection(connection_id), "spreadsheet_id", "sheet_id")
    if conn[0] is not None:  # Found.BY_CONNECTION
        by_sheet = keys.connection_by_sheet(conn[0].decode(), conn[1].decode())
        if client.get(by_sheet) == connection_id.encode():
            out.keys += client.delete(by_sheet)
    if account_id:
        members = client.smembers(keys.account_connections(account_id))
        others = sorted(m.decode() for m in members if m.decode() != connection_id)
        out.directory_entries = _directory(client, connection_id, account_id, others)
        if not others:
            out.keys += _account(client, account_id)
            out.account_erased = True
    names, undeclared = _connection_keys(client, connection_id)
    out.keys += _unlink(client, names)
    out.undeclared = len(undeclared)
    if undeclared:
        log.error(
            "connection %s: erased %d keys no family in store/keys.toml declares: %s",
            connection_id,
            len(undeclared),
            ", ".join(sorted(undeclared)[:10]),
        )
    log.info(
        "connection %s: erased %d keys, %d jobs, %d directory entries%s",
        connection_id,
        out.keys,
        out.jobs,
        out.directory_entries,
        " and its amoCRM account's keys" if out.account_erased else "",
    )
    return out
