"""Every amoCRM contact of an account by canonical e-mail and phone, for find-or-create without a
search call per row.

Built once by listing all contacts (250 per call) and kept current with an `updated_at` cursor (one call,
usually a 204, per job) plus the contacts the sync itself creates. The cursor never passes the start of the
listing that produced it, so a contact updated during the listing is read again next time.

- `amo:cdir:{acct}:email` hash  e-mail -> contact id (the oldest id wins a tie: HSETNX in id order)
- `amo:cdir:{acct}:phone` hash  E.164 phone -> contact id
- `amo:cdir:{acct}:cursor`      last complete listing's start time (amoCRM's clock, from updated_at)
- `amo:cdir:{acct}:used:{conn}` set of `e:<e-mail>` / `p:<phone>` a connection looked up or created: which
                                entries each connection uses, so a disconnect drops the ones only it used
                                (`store/erase.py`)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import redis

from backend.store import keys
from backend.sync.core import normalize as n

if TYPE_CHECKING:
    from backend.amocrm.client import AmoClient


def _coded_values(contact: dict, code: str) -> list[str]:
    for f in contact.get("custom_fields_values") or []:
        if f.get("field_code") == code:
            return [str(v.get("value", "")) for v in f.get("values") or []]
    return []


class ContactDirectory:
    def __init__(self, client: redis.Redis, account_id: int, region: str, connection_id: str | None = None):
        self.client = client
        self.email_key = keys.directory_email(account_id)
        self.phone_key = keys.directory_phone(account_id)
        self.cursor_key = keys.directory_cursor(account_id)
        self.region = region
        self.used_key = keys.directory_used(account_id, connection_id) if connection_id else None

    def _note_used(self, pipe, emails: Iterable[str], phones: Iterable[str]) -> None:
        members = [f"e:{e}" for e in emails] + [f"p:{p}" for p in phones]
        if self.used_key and members:
            pipe.sadd(self.used_key, *members)

    def add(self, contacts: Iterable[dict], *, canonical: bool = False) -> None:
        """`canonical`: the contacts' values are already canonical (ours, just created): no parsing."""
        pipe = self.client.pipeline(transaction=False)
        emails, phones = [], []
        for c in sorted(contacts, key=lambda c: c["id"]):
            for raw in _coded_values(c, "EMAIL"):
                if (v := raw if canonical else n.email(raw).value) is not None:
                    pipe.hsetnx(self.email_key, v, c["id"])
                    emails.append(v)
            for raw in _coded_values(c, "PHONE"):
                if (v := raw if canonical else n.phone(raw, self.region).value) is not None:
                    pipe.hsetnx(self.phone_key, v, c["id"])
                    phones.append(v)
        if canonical:  # contacts this connection created: it uses their entries
            self._note_used(pipe, emails, phones)
        pipe.execute()

    def refresh(self, amo: AmoClient) -> int:
        """Read contacts changed since the cursor; return how many were read."""
        raw = self.client.get(self.cursor_key)
        params: dict = {"order[updated_at]": "asc"}
        if raw:
            params["filter[updated_at][from]"] = int(float(raw))
        seen = 0
        newest = float(raw) if raw else 0.0
        batch: list[dict] = []
        for c in amo.pages("/api/v4/contacts", "contacts", params):
            batch.append(c)
            newest = max(newest, float(c.get("updated_at") or 0))
            if len(batch) >= 1000:
                self.add(batch)
                seen += len(batch)
                batch.clear()
        self.add(batch)
        seen += len(batch)
        # one second back: updated_at has second resolution and equal stamps may still be arriving
        self.client.set(self.cursor_key, max(0.0, newest - 1) if newest else 0)
        return seen

    def lookup(self, emails: Iterable[str], phones: Iterable[str]) -> set[int]:
        emails, phones = sorted(set(emails)), sorted(set(phones))
        ids: set[int] = set()
        if emails:
            ids.update(int(x) for x in self.client.hmget(self.email_key, emails) if x)
        if phones:
            ids.update(int(x) for x in self.client.hmget(self.phone_key, phones) if x)
        pipe = self.client.pipeline(transaction=False)
        self._note_used(pipe, emails, phones)
        pipe.execute()
        return ids
