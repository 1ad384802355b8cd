"""Write intents: what a create was about to do, recorded before the request, so a create that may or
may not have happened (a timeout, a 5xx, a worker killed between amoCRM's answer and the ledger write)
is found and adopted instead of being created twice.

`intents:{conn}` hash: row key -> {kind: "lead"|"contact", sig, t0}. Recovery lists the leads (or contacts)
amoCRM updated since the oldest intent and matches them by signature — what we sent: name, price,
pipeline, status and contact for a lead; name, phone and e-mail for a contact.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import redis

from backend.sync import normalize as n

if TYPE_CHECKING:
    from backend.amocrm.client import AmoClient


def lead_sig(payload: Mapping[str, Any]) -> list:
    contacts = (payload.get("_embedded") or {}).get("contacts") or [{}]
    price = int(payload.get("price") or 0)
    return [
        payload.get("name") or "",
        price,
        payload.get("pipeline_id"),
        payload.get("status_id"),
        contacts[0].get("id"),
    ]


def lead_sig_of(lead: Mapping[str, Any]) -> list:
    contacts = (lead.get("_embedded") or {}).get("contacts") or []
    main = next((c for c in contacts if c.get("is_main")), contacts[0] if contacts else {})
    price = int(lead.get("price") or 0)
    return [lead.get("name") or "", price, lead.get("pipeline_id"), lead.get("status_id"), main.get("id")]


def contact_sig(payload: Mapping[str, Any], region: str = "RU", *, canonical: bool = False) -> list:
    """`canonical`: the payload was rendered from canonical values (ours), so they need no parsing."""
    phones, emails = [], []
    for f in payload.get("custom_fields_values") or []:
        values = [str(v.get("value", "")) for v in f.get("values") or []]
        if f.get("field_code") == "PHONE":
            phones = values if canonical else [n.phone(v, region).value for v in values]
        elif f.get("field_code") == "EMAIL":
            emails = values if canonical else [n.email(v).value for v in values]
    return [payload.get("name") or "", phones[:1], emails[:1]]


class Intents:
    def __init__(self, client: redis.Redis, connection_id: str):
        self.client = client
        self.key = f"intents:{connection_id}"

    def put(self, kind: str, items: Mapping[str, list], t0: float) -> None:
        if items:
            self.client.hset(
                self.key,
                mapping={k: json.dumps({"kind": kind, "sig": sig, "t0": t0}) for k, sig in items.items()},
            )

    def done(self, keys: list[str]) -> None:
        if keys:
            self.client.hdel(self.key, *keys)

    def pending(self, kind: str) -> dict[str, dict]:
        out = {}
        for k, v in self.client.hgetall(self.key).items():
            item = json.loads(v)
            if item["kind"] == kind:
                out[k.decode()] = item
        return out

    def recover(self, amo: AmoClient, kind: str, region: str = "RU") -> dict[str, dict]:
        """Row key (or contact ref) -> the entity amoCRM created for a pending intent of this kind."""
        pending = self.pending(kind)
        if not pending:
            return {}
        since = int(min(i["t0"] for i in pending.values())) - 2
        entity = "leads" if kind == "lead" else "contacts"
        params = {"filter[updated_at][from]": since, "order[id]": "asc"}
        if kind == "lead":
            params["with"] = "contacts"
        by_sig: dict[str, list[str]] = {}
        for key, item in sorted(pending.items()):
            by_sig.setdefault(json.dumps(item["sig"]), []).append(key)
        found: dict[str, dict] = {}
        for entity_json in amo.pages(f"/api/v4/{entity}", entity, params):
            if float(entity_json.get("created_at") or 0) < since:
                continue  # updated recently, but created before our request: not ours
            sig = lead_sig_of(entity_json) if kind == "lead" else contact_sig(entity_json, region)
            keys = by_sig.get(json.dumps(sig))
            if keys:
                found[keys.pop(0)] = entity_json
        return found
