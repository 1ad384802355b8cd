"""The emulator's persistent data: accounts with their entities, integrations, OAuth grants, id sequences.

Everything here is plain dicts and dataclasses so that one `json.dump` saves it (`--state FILE`) and
`State.from_json` loads it back. Entities are stored close to their API shape (without `_links`, which
depend on the URL the request came in on); the blueprints render them.

Owns no behaviour beyond bookkeeping: rules (validation, webhooks, tokens) live in their own modules.
Must not import flask.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# Where each kind of id starts: large, distinct ranges like real amoCRM ids, so a test that confuses a
# lead id with a contact id fails instead of passing by accident.
ID_BASES = {
    "account": 31_000_000,
    "user": 10_000_000,
    "pipeline": 7_000_000,
    "status": 60_000_000,
    "field": 900_000,
    "enum": 500_000,
    "lead": 20_000_000,
    "contact": 40_000_000,
    "company": 50_000_000,
    "webhook": 1_000,
    "tag": 70_000,
}

ENTITY_KINDS = ("leads", "contacts")


@dataclass
class Account:
    id: int
    host: str  # "acme.amocrm.ru": the real base URL is https://{host}
    name: str
    created_at: int
    users: dict[int, dict] = field(default_factory=dict)
    pipelines: dict[int, dict] = field(default_factory=dict)  # each carries "statuses": [status, ...]
    custom_fields: dict[str, dict[int, dict]] = field(default_factory=lambda: {k: {} for k in ENTITY_KINDS})
    leads: dict[int, dict] = field(default_factory=dict)
    contacts: dict[int, dict] = field(default_factory=dict)
    companies: dict[int, dict] = field(default_factory=dict)
    links: list[dict] = field(default_factory=list)  # {"lead_id", "contact_id", "is_main"}
    events: list[dict] = field(default_factory=list)
    webhooks: dict[int, dict] = field(default_factory=dict)
    tags: dict[str, int] = field(default_factory=dict)  # tag name -> id

    @property
    def subdomain(self) -> str:
        return self.host.split(".", 1)[0]

    @property
    def base_domain(self) -> str:
        return self.host.split(".", 1)[1]

    @property
    def is_kommo(self) -> bool:
        return self.base_domain.endswith("kommo.com")

    def main_pipeline(self) -> dict:
        return next((p for p in self.pipelines.values() if p["is_main"]), next(iter(self.pipelines.values())))

    def status(self, pipeline_id: int, status_id: int) -> dict | None:
        pipeline = self.pipelines.get(pipeline_id)
        if pipeline is None:
            return None
        return next((s for s in pipeline["statuses"] if s["id"] == status_id), None)

    def admin_user_id(self) -> int:
        return next(u["id"] for u in self.users.values() if u["rights"]["is_admin"])

    def field_by_code(self, entity: str, code: str) -> dict | None:
        return next((f for f in self.custom_fields[entity].values() if f.get("code") == code), None)

    def contact_ids_of(self, lead_id: int) -> list[tuple[int, bool]]:
        return [(ln["contact_id"], ln["is_main"]) for ln in self.links_of("lead_id", lead_id)]

    def lead_ids_of(self, contact_id: int) -> list[int]:
        return [ln["lead_id"] for ln in self.links_of("contact_id", contact_id)]

    # An index of `links` by lead and by contact, kept beside the list (not a field: never saved), so
    # linking the 100,000th lead does not scan 100,000 links.
    def links_of(self, key: str, entity_id: int) -> list[dict]:
        """The links of one lead (key "lead_id") or contact ("contact_id")."""
        index = self.__dict__.setdefault("_link_index", {})
        if key not in index:
            index[key] = self.links_by(key)
        return index[key].get(entity_id, [])

    def add_link(self, link: dict) -> None:
        self.links.append(link)
        for key, by in self.__dict__.get("_link_index", {}).items():
            by.setdefault(link[key], []).append(link)

    def links_changed(self) -> None:
        """After links were rewritten in place (merge, unlink): rebuild the index on next use."""
        self.__dict__.pop("_link_index", None)

    def links_by(self, key: str) -> dict[int, list[dict]]:
        """Links grouped by "lead_id" or "contact_id": one pass, for rendering a whole page."""
        index: dict[int, list[dict]] = {}
        for ln in self.links:
            index.setdefault(ln[key], []).append(ln)
        return index


@dataclass
class Integration:
    client_id: str
    client_secret: str
    redirect_uri: str
    name: str = "Sheets sync"
    revoke_hook_url: str | None = None  # the signed "access revoked" GET goes here
    duplicate_control: bool = False  # complex-create merges into existing duplicates (reference §3.6)
    access_ttl: int = 86_400  # 24 h
    refresh_ttl: int = 90 * 86_400  # 3 months


@dataclass
class OAuthStore:
    codes: dict[str, dict] = field(default_factory=dict)
    grants: dict[str, dict] = field(default_factory=dict)
    refresh_tokens: dict[str, dict] = field(default_factory=dict)
    access_tokens: dict[str, dict] = field(default_factory=dict)  # by jti


@dataclass
class State:
    accounts: dict[str, Account] = field(default_factory=dict)  # by host
    integrations: dict[str, Integration] = field(default_factory=dict)  # by client id
    oauth: OAuthStore = field(default_factory=OAuthStore)
    signing_key: str = field(default_factory=lambda: secrets.token_hex(32))
    next_ids: dict[str, int] = field(default_factory=lambda: dict(ID_BASES))
    clock_offset: float = 0.0

    def next_id(self, kind: str) -> int:
        self.next_ids[kind] += 1
        return self.next_ids[kind]

    def account(self, host: str) -> Account | None:
        return self.accounts.get(host.lower())

    def account_by_id(self, account_id: int) -> Account | None:
        return next((a for a in self.accounts.values() if a.id == account_id), None)

    # ---- persistence -------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "accounts": [_account_to_json(a) for a in self.accounts.values()],
            "integrations": [asdict(i) for i in self.integrations.values()],
            "oauth": asdict(self.oauth),
            "signing_key": self.signing_key,
            "next_ids": self.next_ids,
            "clock_offset": self.clock_offset,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> State:
        accounts = [_account_from_json(a) for a in data["accounts"]]
        return cls(
            accounts={a.host: a for a in accounts},
            integrations={i["client_id"]: Integration(**i) for i in data["integrations"]},
            oauth=OAuthStore(**data["oauth"]),
            signing_key=data["signing_key"],
            next_ids={**ID_BASES, **data["next_ids"]},
            clock_offset=float(data.get("clock_offset", 0.0)),
        )

    def save(self, path: Path) -> None:
        # Write-then-rename: a crash mid-save leaves the previous file intact.
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(self.to_json(), f, ensure_ascii=False)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> State:
        with open(path, encoding="utf-8") as f:
            return cls.from_json(json.load(f))


# JSON object keys are strings; the entity maps are keyed by int ids, so they travel as lists.
_ID_MAPS = ("users", "pipelines", "leads", "contacts", "companies", "webhooks")


def _account_to_json(a: Account) -> dict[str, Any]:
    data = asdict(a)
    for name in _ID_MAPS:
        data[name] = list(data[name].values())
    data["custom_fields"] = {k: list(v.values()) for k, v in a.custom_fields.items()}
    return data


def _account_from_json(data: dict[str, Any]) -> Account:
    data = dict(data)
    for name in _ID_MAPS:
        data[name] = {item["id"]: item for item in data[name]}
    data["custom_fields"] = {k: {f["id"]: f for f in v} for k, v in data["custom_fields"].items()}
    return Account(**data)
