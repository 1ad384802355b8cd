"""The model amoCRM account (leads, contacts, links) and the client the real run talks to it through.

Leads and contacts are kept as amoCRM v4 returns them (`name`, `price`, `pipeline_id`, `status_id`,
`_embedded.contacts[{id, is_main}]`, contacts' PHONE/EMAIL multitext `custom_fields_values`), so the
product's own converters (`sync/core/fields.py`) read them. `ModelAmo` has the `AmoClient` methods a run uses;
anything else raises `ModelGap`, which fails the checker (a new kind of call must be modelled first).
Deletes are the manager's (a deleted lead is gone from the API); the client has no delete.

Faults: `fail_at` makes the n-th call of a run fail the way the real client reports a failure it gave up
on — 429 (`AmoRateLimited`), 5xx (`AmoUnavailable`; for a POST `AmbiguousWrite`, not applied) or a
timeout after amoCRM applied the write (`AmbiguousWrite`/`AmoUnavailable` after applying).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from backend.amocrm.client import AmbiguousWrite, CallStats
from backend.amocrm.errors import AmoRateLimited, AmoUnavailable
from tests.model.sheet import ModelGap

PIPELINE = 100
FIRST_STATUS = 10
USER = 7


@dataclass
class Account:
    leads: dict[int, dict] = field(default_factory=dict)
    contacts: dict[int, dict] = field(default_factory=dict)
    deleted: dict[int, dict] = field(default_factory=dict)  # leads a manager deleted (gone from the API)
    events: list[dict] = field(default_factory=list)  # `GET /api/v4/events`: the deletions, oldest first
    clock: float = 1_800_000_000.0
    next_id: int = 5000
    changed_leads: set[int] = field(default_factory=set)  # what webhooks will announce
    changed_contacts: set[int] = field(default_factory=set)
    created_for: dict[int, str] = field(
        default_factory=dict
    )  # lead/contact id -> request_id it was created by

    def tick(self) -> int:
        self.clock += 1
        return int(self.clock)

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    # --- what a manager (or a run) does -------------------------------------------------------------------

    def new_contact(self, name: str, phone: str | None, email: str | None, request_id: str = "") -> int:
        cid = self._id()
        now = self.tick()
        c = {"id": cid, "name": name, "created_at": now, "updated_at": now, "custom_fields_values": None}
        self.contacts[cid] = c
        self.set_contact(cid, {"PHONE": phone, "EMAIL": email}, touch=False)
        if request_id:
            self.created_for[cid] = request_id
        return cid

    def set_contact(self, cid: int, coded: dict[str, str | None], touch: bool = True) -> None:
        c = self.contacts[cid]
        fields = {f["field_code"]: f for f in c.get("custom_fields_values") or []}
        for code, value in coded.items():
            if value is None:
                fields.pop(code, None)
            else:
                fid = 601 if code == "PHONE" else 602
                fields[code] = {
                    "field_id": fid,
                    "field_code": code,
                    "values": [{"value": value, "enum_code": "WORK"}],
                }
        c["custom_fields_values"] = list(fields.values()) or None
        if touch:
            c["updated_at"] = self.tick()
            self.changed_contacts.add(cid)

    def new_lead(
        self, name: str, price: int, status_id: int, contact: int | None, request_id: str = ""
    ) -> int:
        lid = self._id()
        now = self.tick()
        self.leads[lid] = {
            "id": lid,
            "name": name,
            "price": price,
            "pipeline_id": PIPELINE,
            "status_id": status_id,
            "responsible_user_id": USER,
            "created_at": now,
            "updated_at": now,
            "_embedded": {"contacts": [{"id": contact, "is_main": True}] if contact else []},
        }
        if request_id:
            self.created_for[lid] = request_id
        self.changed_leads.add(lid)
        return lid

    def main_contact(self, lid: int) -> int | None:
        contacts = self.leads[lid]["_embedded"]["contacts"]
        main = next((c for c in contacts if c.get("is_main")), contacts[0] if contacts else None)
        return int(main["id"]) if main else None

    def touch_lead(self, lid: int) -> None:
        self.leads[lid]["updated_at"] = self.tick()
        self.changed_leads.add(lid)

    def delete_lead(self, lid: int) -> None:
        self.deleted[lid] = self.leads.pop(lid)
        self.changed_leads.add(lid)
        self.events.append(
            {"type": "lead_deleted", "entity_type": "lead", "entity_id": lid, "created_at": self.tick()}
        )

    def state(self) -> tuple[dict[int, dict], dict[int, dict]]:
        return copy.deepcopy(self.leads), copy.deepcopy(self.contacts)


@dataclass
class ModelAmo:
    """The `AmoClient` surface a sync run uses, over an `Account`."""

    acct: Account
    fail_at: int | None = None
    fault: str = "5xx"  # 429 | 5xx | timeout (applied, then the answer was lost)
    stats: CallStats = field(default_factory=CallStats)

    def _call(self, method: str, path: str, write: bool) -> bool:
        """Count a call; raise now for a fault that happens before amoCRM applies anything. Returns
        True when the call must fail after it was applied."""
        self.stats.count(method, path)
        if self.fail_at is None or self.stats.calls != self.fail_at:
            return False
        if self.fault == "429":
            raise AmoRateLimited("amoCRM kept answering 429 Too Many Requests; will retry later")
        if self.fault == "5xx" or not write:
            if write and method == "POST":
                raise AmbiguousWrite(f"{method} {path}: amoCRM answered 502; it may have applied it")
            raise AmoUnavailable("amoCRM did not answer successfully after 6 attempts")
        return True

    def _lost_answer(self, method: str, path: str):
        if method == "POST":
            return AmbiguousWrite(f"{method} {path}: amoCRM did not answer in time; it may have applied it")
        return AmoUnavailable("amoCRM did not answer successfully after 6 attempts")

    # --- reads -------------------------------------------------------------------------------------------

    def by_ids(self, entity: str, ids: list[int], with_: str | None = None) -> list[dict]:
        self._call("GET", f"/api/v4/{entity}", False)
        store = self.acct.leads if entity == "leads" else self.acct.contacts
        return [copy.deepcopy(store[i]) for i in sorted(set(ids)) if i in store]

    def pages(self, path: str, key: str, params: dict | None = None):
        self._call("GET", path, False)
        params = params or {}
        if key == "events":  # amoCRM's event log, filtered as sandbox/amocrm/events.py does
            yield from _events(self.acct.events, params)
            return
        store = self.acct.leads if key == "leads" else self.acct.contacts
        since = params.get("filter[updated_at][from]")
        items = [x for x in store.values() if since is None or x["updated_at"] >= int(since)]
        order = "id" if "order[id]" in params else "updated_at"
        for x in sorted(items, key=lambda x: (x[order], x["id"])):
            yield copy.deepcopy(x)

    def get(self, path: str, params: Any = None) -> Any:
        raise ModelGap(f"the model amoCRM does not answer GET {path}")

    def __getattr__(self, name: str):
        raise ModelGap(f"the model amoCRM client has no {name!r}")

    # --- writes ------------------------------------------------------------------------------------------

    def request(
        self, method: str, path: str, *, params: Any = None, json: Any = None, idempotent: bool = True
    ):
        lost = self._call(method, path, method != "GET")
        entity = path.rsplit("/", 1)[-1]
        if method == "POST" and entity in ("leads", "contacts"):
            out = [self._create(entity, item) for item in json]
        elif method == "PATCH" and entity in ("leads", "contacts"):
            out = [self._update(entity, item) for item in json]
        elif method == "POST" and path.endswith("/leads/link"):
            self._link(json)
            out = []
        else:
            raise ModelGap(f"the model amoCRM does not answer {method} {path}")
        if lost:
            raise self._lost_answer(method, path)
        return {"_embedded": {entity: out}} if out else None

    def link(self, entity: str, links: list[dict]) -> None:
        self.request("POST", f"/api/v4/{entity}/link", json=links)

    def update(self, entity: str, items: list[dict]) -> list[dict]:
        """`AmoClient.update`: one PATCH of the collection (the model takes any batch size)."""
        data = self.request("PATCH", f"/api/v4/{entity}", json=items)
        return ((data or {}).get("_embedded") or {}).get(entity, [])

    def _create(self, entity: str, item: dict) -> dict:
        rid = str(item.get("request_id", ""))
        # amoCRM keeps a record's tags and lists them in `_embedded.tags` (what recovers a lost create)
        tags = [
            {"id": 900 + i, "name": t["name"]}
            for i, t in enumerate((item.get("_embedded") or {}).get("tags") or [])
        ]
        if entity == "contacts":
            coded = _coded(item)
            cid = self.acct.new_contact(item.get("name") or "", coded.get("PHONE"), coded.get("EMAIL"), rid)
            if tags:
                self.acct.contacts[cid]["_embedded"] = {"tags": tags}
            return {"id": cid, "request_id": rid}
        contacts = (item.get("_embedded") or {}).get("contacts") or []
        lid = self.acct.new_lead(
            item.get("name") or "",
            int(item.get("price") or 0),
            int(item.get("status_id") or FIRST_STATUS),
            int(contacts[0]["id"]) if contacts else None,
            rid,
        )
        if item.get("responsible_user_id"):
            self.acct.leads[lid]["responsible_user_id"] = int(item["responsible_user_id"])
        if tags:
            self.acct.leads[lid]["_embedded"]["tags"] = tags
        return {"id": lid, "request_id": rid}

    def _update(self, entity: str, item: dict) -> dict:
        i = int(item["id"])
        if entity == "contacts":
            c = self.acct.contacts[i]
            if "name" in item:
                c["name"] = item["name"]
            coded = {}
            for f in item.get("custom_fields_values") or []:
                values = f.get("values")
                coded[f["field_code"]] = values[0]["value"] if values else None
            self.acct.set_contact(i, coded)
            return {"id": i, "request_id": item.get("request_id")}
        lead = self.acct.leads.get(i)
        if lead is None:  # deleted meanwhile: amoCRM ignores it here (the run plans it again)
            return {"id": i, "request_id": item.get("request_id")}
        for k in ("name", "price", "pipeline_id", "status_id", "responsible_user_id"):
            if k in item:
                lead[k] = item[k]
        # `tags_to_add` adds to the lead's tags and keeps the others (a name it has already is not added
        # twice): the official PHP library's Traits/MutateTagsTrait.php, /work/shared/reference/amocrm-api.md
        # §3.5; the sandbox's leads.py does the same
        tags = lead["_embedded"].setdefault("tags", [])
        for t in item.get("tags_to_add") or []:
            if all(x["name"] != t["name"] for x in tags):
                tags.append({"id": 900 + len(tags), "name": t["name"]})
        self.acct.touch_lead(i)
        return {"id": i, "request_id": item.get("request_id")}

    def _link(self, links: list[dict]) -> None:
        for link in links:
            lead = self.acct.leads.get(int(link["entity_id"]))
            if lead is None:
                continue
            main = bool((link.get("metadata") or {}).get("is_main"))
            contacts = [c for c in lead["_embedded"]["contacts"] if c["id"] != link["to_entity_id"]]
            if main:
                contacts = [{**c, "is_main": False} for c in contacts]
            lead["_embedded"]["contacts"] = [{"id": int(link["to_entity_id"]), "is_main": main}, *contacts]
            self.acct.touch_lead(int(link["entity_id"]))


def _events(events: list[dict], params: dict):
    types = str(params.get("filter[type]", "")).split(",")
    since = int(params.get("filter[created_at][from]", 0))
    for e in reversed(events):  # newest first, as amoCRM lists them
        if e["type"] in types and e["created_at"] >= since:
            yield dict(e)


def _coded(item: dict) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for f in item.get("custom_fields_values") or []:
        values = f.get("values")
        out[f["field_code"]] = values[0]["value"] if values else None
    return out
