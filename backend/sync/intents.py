"""Write intents: what a create was about to do, recorded before the request, so a create that may or
may not have happened (a timeout, a 5xx, a worker killed between amoCRM's answer and the ledger write)
is found and adopted instead of being created twice.

Every lead and contact the sync creates carries a tag naming the row it was created for,
`amo_sync_id:<row key>` — something amoCRM keeps on the record and returns with it (`_embedded.tags`)
that only that row could have written. amoCRM keeps no trace of `request_id` (it is only echoed in the
answer), and content (name, price, stage…) is no identity: an automation that moves a new lead's stage
would hide it, and two rows may hold the same values.

`intents:{conn}` hash: intent id (a row key, or a new contact's ref "new:<row key>") -> {kind, t0} for a
pending create, or {kind: "adopted-contact", id} for a contact a crashed run created, which the next
create of that contact reuses. Recovery lists the records amoCRM updated since the oldest intent and
picks those carrying a pending intent's tag.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import redis

from backend.store import keys

if TYPE_CHECKING:
    from backend.amocrm.client import AmoClient

TAG_PREFIX = "amo_sync_id:"


def row_of(intent_id: str) -> str:
    """The row key of an intent id ("new:rAbc…" for a contact -> "rAbc…")."""
    return intent_id.split(":", 1)[1] if intent_id.startswith("new:") else intent_id


def row_tag(intent_id: str) -> dict[str, str]:
    """The tag a create carries (for `_embedded.tags`)."""
    return {"name": TAG_PREFIX + row_of(intent_id)}


def tagged_rows(entity: Mapping) -> set[str]:
    """The row keys an amoCRM record was created for, from its tags."""
    tags = (entity.get("_embedded") or {}).get("tags") or []
    return {t["name"][len(TAG_PREFIX) :] for t in tags if str(t.get("name", "")).startswith(TAG_PREFIX)}


class Intents:
    def __init__(self, client: redis.Redis, connection_id: str):
        self.client = client
        self.key = keys.intents(connection_id)

    def put(self, kind: str, ids: Iterable[str], t0: float) -> None:
        items = {i: json.dumps({"kind": kind, "t0": t0}) for i in ids}
        if items:
            self.client.hset(self.key, mapping=items)

    def done(self, ids: list[str]) -> None:
        if ids:
            self.client.hdel(self.key, *ids)

    def _all(self) -> dict[str, dict]:
        return {k.decode(): json.loads(v) for k, v in self.client.hgetall(self.key).items()}

    def pending(self, kind: str) -> dict[str, dict]:
        return {k: item for k, item in self._all().items() if item["kind"] == kind}

    def adopt_contacts(self, found: Mapping[str, int]) -> None:
        """Contacts a crashed run created (ref -> id): the next create of that ref reuses them."""
        if found:
            self.client.hset(
                self.key,
                mapping={
                    ref: json.dumps({"kind": "adopted-contact", "id": cid}) for ref, cid in found.items()
                },
            )

    def adopted_contacts(self, refs: Iterable[str]) -> dict[str, int]:
        refs = list(refs)
        if not refs:
            return {}
        out = {}
        for ref, raw in zip(refs, self.client.hmget(self.key, refs), strict=True):
            item = json.loads(raw) if raw else {}
            if item.get("kind") == "adopted-contact":
                out[ref] = int(item["id"])
        return out

    def recover(self, amo: AmoClient, kind: str) -> dict[str, dict]:
        """Intent id -> the record amoCRM created for a pending intent of this kind (found by its tag)."""
        pending = self.pending(kind)
        if not pending:
            return {}
        since = int(min(i["t0"] for i in pending.values())) - 2
        entity = "leads" if kind == "lead" else "contacts"
        params = {"filter[updated_at][from]": since, "order[id]": "asc"}
        if kind == "lead":
            params["with"] = "contacts"
        by_row = {row_of(i): i for i in pending}
        found: dict[str, dict] = {}
        for record in amo.pages(f"/api/v4/{entity}", entity, params):
            if float(record.get("created_at") or 0) < since:
                continue  # updated recently, but created before our request: not ours
            for row in tagged_rows(record):
                intent = by_row.get(row)
                if intent is not None and intent not in found:
                    found[intent] = record
        return found
