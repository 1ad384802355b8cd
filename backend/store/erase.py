"""Erase a connection from Redis on disconnect — every key that names it, its queued and finished jobs,
the contact-directory entries only it used — and its amoCRM account's keys when no connection is left.

What is found, and how:
- every key whose name holds the connection id, by SCAN (never KEYS: it blocks Redis for the whole
  keyspace): `conn:`, `ledger:`, `ledger-lead:`, `history:{conn}:{key}`, `edits:`, `edited-at:`,
  `edits-queued:`, `reconcile-queued:`, `reconcile-cursor:`, `intents:`, `errors:`, `nonce:{conn}:…`,
  `lock:connection:`, `amo:cdir:{acct}:used:{conn}`, and RQ jobs whose id names it;
- `conn-by-sheet:{spreadsheet}:{gid}` (named by the sheet, not the connection) through the connection hash;
- RQ jobs whose arguments name it (`rq:job:*` descriptions), deleted through RQ so its registries and
  results go too; a job still running is stopped first, so it cannot write again after the erase;
- contact-directory entries (`store/contact_directory.py`): the values only this connection used are
  dropped, and the directory's cursor too, so the next run of another connection re-lists amoCRM and no
  contact that still exists there is ever created twice; with no connection left, the whole directory;
- with no connection left on the account: `amo:account:`, `amo:tokens:`, `amo:catalog:`, `amo:changed-*:`,
  `amo:drain-queued:`, `amo:account-conns:`, the webhook token's `amo:webhook:{hash}`, the refresh lock,
  and the account's rate-limit window.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass

import redis
from rq.command import send_stop_job_command
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus

log = logging.getLogger(__name__)

BATCH = 500
STOP_WAIT_S = 15.0  # a stopped work horse is gone within a second; the worker then files the job


@dataclass
class Erased:
    keys: int = 0
    jobs: int = 0
    directory_entries: int = 0
    account_erased: bool = False

    def to_json(self) -> dict:
        return asdict(self)


def _glob(text: str) -> str:
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)


def _unlink(client: redis.Redis, keys: list) -> int:
    for i in range(0, len(keys), BATCH):
        client.unlink(*keys[i : i + BATCH])
    return len(keys)


def _scan(client: redis.Redis, pattern: str) -> list[bytes]:
    return list(client.scan_iter(match=pattern, count=1000))


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
    prefix = f"amo:cdir:{account_id}"
    if not others:
        keys = _scan(client, f"{prefix}:*")
        dropped = sum(client.hlen(k) for k in keys if k.decode() in (f"{prefix}:email", f"{prefix}:phone"))
        _unlink(client, keys)
        return dropped
    used = f"{prefix}:used:{connection_id}"
    dropped = 0
    batch: list[bytes] = []
    for member in client.sscan_iter(used, count=1000):
        batch.append(member)
        if len(batch) >= BATCH:
            dropped += _drop_unshared(client, prefix, batch, others)
            batch.clear()
    dropped += _drop_unshared(client, prefix, batch, others)
    if dropped:
        client.delete(f"{prefix}:cursor")  # re-list amoCRM next time: never miss a contact it still has
    client.unlink(used)
    return dropped


def _drop_unshared(client: redis.Redis, prefix: str, members: list[bytes], others: list[str]) -> int:
    if not members:
        return 0
    pipe = client.pipeline(transaction=False)
    for member in members:
        for other in others:
            pipe.sismember(f"{prefix}:used:{other}", member)
    shared = pipe.execute()
    n = len(others)
    drop = [m for i, m in enumerate(members) if not any(shared[i * n : (i + 1) * n])]
    pipe = client.pipeline(transaction=False)
    for member in drop:
        kind, value = member.decode().split(":", 1)
        pipe.hdel(f"{prefix}:{'email' if kind == 'e' else 'phone'}", value)
    return sum(pipe.execute())


def _account(client: redis.Redis, account_id: int) -> int:
    host = client.hget(f"amo:account:{account_id}", "host")
    keys = [*_scan(client, f"amo:*:{account_id}"), f"lock:amo-refresh:{account_id}".encode()]
    keys += [k for k in _scan(client, "amo:webhook:*") if client.get(k) == str(account_id).encode()]
    if host:  # the limiter `amo:{host}` (amocrm/account.py) keeps a window and a block marker
        keys += [f"ratelimit:amo:{host.decode()}".encode(), f"ratelimit:amo:{host.decode()}:blocked".encode()]
    return _unlink(client, keys)


def erase_connection(client: redis.Redis, connection_id: str, account_id: int | None) -> Erased:
    """Erase the connection (already unbound from `account_id`, the account it used, if any)."""
    out = Erased()
    out.jobs = _stop_and_delete_jobs(client, _jobs_of(client, connection_id))
    conn = client.hmget(f"conn:{connection_id}", "spreadsheet_id", "sheet_id")
    if conn[0] is not None:
        by_sheet = f"conn-by-sheet:{conn[0].decode()}:{conn[1].decode()}"
        if client.get(by_sheet) == connection_id.encode():
            out.keys += client.delete(by_sheet)
    if account_id:
        members = client.smembers(f"amo:account-conns:{account_id}")
        others = sorted(m.decode() for m in members if m.decode() != connection_id)
        out.directory_entries = _directory(client, connection_id, account_id, others)
        if not others:
            out.keys += _account(client, account_id)
            out.account_erased = True
    out.keys += _unlink(client, _scan(client, f"*{_glob(connection_id)}*"))
    log.info(
        "connection %s: erased %d keys, %d jobs, %d directory entries%s",
        connection_id,
        out.keys,
        out.jobs,
        out.directory_entries,
        " and its amoCRM account's keys" if out.account_erased else "",
    )
    return out
