"""What the add-on sent with an edit, and what goes back into its row — kept in Redis between the edits
endpoint and the edit run (sync/edit_run.py), so an edit costs no Sheets API call either way.

- `edit-values:{conn}`   row key -> {row, values, lead_id, edited_at}: the row as the add-on read it (the
                         request was signed with the document's secret), newest edit wins.
- `edit-answers:{conn}`  row key -> {cells, edited_at}: what the run would have written into the row
                         (lead id, link, status, canonical values); claimed once, by HDEL.
- `edit-waiting:{conn}`  row key -> how many edit requests are waiting for its answer right now.
- `late-answers:{conn}`  row keys whose answer nobody waited for: one later job writes them all
                         (`jobs.write_late_answers`), so an edit run never waits for a Sheets write slot.

An answer is written into the row by the add-on that waits for it (under its document lock, by key) or,
when nobody waits any more, through the Sheets API by the connection's next late-answers job — whoever
claims it first; the other
finds nothing to claim. A run stores its answers before it looks at who waits, and a request stops
waiting before its last claim, so every answer is claimed by one of the two.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from typing import Any

import redis

from backend.store import keys

TTL_S = 24 * 3600  # an answer nobody claimed is dropped after a day (the next full sync writes the row)
POLL_S = 0.02

# Store each row's values unless a newer edit of the row is stored already.
_NEWEST = """
for i = 1, #ARGV, 2 do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  local new = cjson.decode(ARGV[i + 1])
  if not cur or cjson.decode(cur)['edited_at'] <= new['edited_at'] then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
return 1
"""

# Claim the answers of row keys (ARGV: key, oldest edit time wanted, …): HGET + HDEL when fresh enough.
_CLAIM = """
local out = {}
for i = 1, #ARGV, 2 do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  if cur and cjson.decode(cur)['edited_at'] >= tonumber(ARGV[i + 1]) then
    redis.call('HDEL', KEYS[1], ARGV[i])
    out[#out + 1] = ARGV[i]
    out[#out + 1] = cur
  end
end
return out
"""


def store_values(client: Any, connection_id: str, rows: Mapping[str, Mapping[str, Any]]) -> None:
    """rows: key -> {row, values, lead_id, edited_at (s)}. `client`: a Redis client or a pipeline."""
    if not rows:
        return
    args = [x for k, r in rows.items() for x in (k, json.dumps(r, ensure_ascii=False))]
    client.eval(_NEWEST, 1, keys.edit_values(connection_id), *args)
    client.expire(keys.edit_values(connection_id), TTL_S)


# Every sent row at once, and those keys out of the pending edits too (they need no sheet read).
_TAKE_ALL = """
local all = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
for i = 1, #all, 2 do
  redis.call('HDEL', KEYS[2], all[i])
end
return all
"""


def take_sent(client: redis.Redis, connection_id: str) -> dict[str, dict]:
    """Every row sent with values and not planned yet, removed from the store and from the connection's
    pending edits — called by the run once it holds the connection's lock, so that everything that
    arrived while the previous run worked goes into this one."""
    flat = client.eval(_TAKE_ALL, 2, keys.edit_values(connection_id), keys.edits(connection_id))
    return {flat[i].decode(): json.loads(flat[i + 1]) for i in range(0, len(flat), 2)}


# Pending edits of rows with no values stored (sent without values): those need the sheet read. Rows
# whose values arrived after the last run took them stay for the next run, which is already queued.
_TAKE_UNSENT = """
local all = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #all, 2 do
  if redis.call('HEXISTS', KEYS[2], all[i]) == 0 then
    redis.call('HDEL', KEYS[1], all[i])
    out[#out + 1] = all[i]
    out[#out + 1] = all[i + 1]
  end
end
return out
"""


def take_unsent(client: redis.Redis, connection_id: str) -> dict[str, float]:
    """Pending edits (key -> edit time) of rows sent without values, removed from the pending edits."""
    flat = client.eval(_TAKE_UNSENT, 2, keys.edits(connection_id), keys.edit_values(connection_id))
    return {flat[i].decode(): float(flat[i + 1]) for i in range(0, len(flat), 2)}


def store_answers(client: redis.Redis, connection_id: str, answers: Mapping[str, dict]) -> None:
    """answers: key -> {cells: {column: value}, edited_at}. An unclaimed older answer of the same row is
    merged in (a create's lead id must not be lost to the next edit's answer)."""
    if not answers:
        return
    name = keys.edit_answers(connection_id)
    old = dict(zip(answers, client.hmget(name, list(answers)), strict=True))
    merged = {}
    for key, a in answers.items():
        cells = {**(json.loads(old[key])["cells"] if old.get(key) else {}), **a["cells"]}
        merged[key] = json.dumps({"cells": cells, "edited_at": a["edited_at"]}, ensure_ascii=False)
    pipe = client.pipeline()
    pipe.hset(name, mapping=merged)
    pipe.expire(name, TTL_S)
    pipe.execute()


def claim(client: redis.Redis, connection_id: str, wanted: Mapping[str, float]) -> dict[str, dict]:
    """Take the answers of the rows in `wanted` (key -> the edit time they must cover)."""
    if not wanted:
        return {}
    args = [x for k, t in wanted.items() for x in (k, repr(float(t)))]
    flat = client.eval(_CLAIM, 1, keys.edit_answers(connection_id), *args)
    return {flat[i].decode(): json.loads(flat[i + 1]) for i in range(0, len(flat), 2)}


def unwaited(client: redis.Redis, connection_id: str, row_keys: Iterable[str]) -> list[str]:
    row_keys = list(row_keys)
    counts = client.hmget(keys.edit_waiting(connection_id), row_keys) if row_keys else []
    return [k for k, n in zip(row_keys, counts, strict=True) if int(n or 0) <= 0]


class Waiter:
    """A request waiting for its rows' answers. Register before the job is enqueued (a run that finished
    before anyone waited would write the answer through the Sheets API), collect, then `close`."""

    def __init__(self, client: redis.Redis, connection_id: str, wanted: Mapping[str, float]):
        self.client, self.connection_id, self.wanted = client, connection_id, dict(wanted)
        self.got: dict[str, dict] = {}
        self._name = keys.edit_waiting(connection_id)
        if self.wanted:
            pipe = client.pipeline()
            for k in self.wanted:
                pipe.hincrby(self._name, k, 1)
            pipe.expire(self._name, TTL_S)
            pipe.execute()

    def _claim(self) -> None:
        left = {k: t for k, t in self.wanted.items() if k not in self.got}
        self.got.update(claim(self.client, self.connection_id, left))

    def collect(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while self.wanted:
            self._claim()
            if len(self.got) == len(self.wanted) or time.monotonic() >= deadline:
                return
            time.sleep(POLL_S)

    def close(self) -> tuple[dict[str, dict], list[str]]:
        """Stop waiting -> (answers by key, keys still pending). Call exactly once."""
        if not self.wanted:
            return {}, []
        pipe = self.client.pipeline()
        for k in self.wanted:
            pipe.hincrby(self._name, k, -1)
        pipe.execute()
        self._claim()  # a run that stored its answer just before we stopped waiting left it for us
        return self.got, [k for k in self.wanted if k not in self.got]


def leave_for_later(client: redis.Redis, connection_id: str, row_keys: Iterable[str]) -> bool:
    """Answers nobody waits for join the connection's late ones. -> True when no job is queued to write
    them yet (the caller enqueues one; the job clears the flag before it takes the keys)."""
    pipe = client.pipeline(transaction=True)
    pipe.sadd(keys.late_answers(connection_id), *row_keys)
    pipe.expire(keys.late_answers(connection_id), TTL_S)
    pipe.set(keys.late_answers_queued(connection_id), 1, nx=True, ex=TTL_S)
    return bool(pipe.execute()[-1])


def take_late(client: redis.Redis, connection_id: str) -> list[str]:
    """The late answers' row keys, taken (a job is queued for any that arrive afterwards)."""
    client.delete(keys.late_answers_queued(connection_id))
    pipe = client.pipeline(transaction=True)
    pipe.smembers(keys.late_answers(connection_id))
    pipe.delete(keys.late_answers(connection_id))
    return sorted(k.decode() for k in pipe.execute()[0])
