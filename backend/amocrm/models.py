"""amoCRM JSON -> typed values: the account's catalog (pipelines, statuses, users, custom fields).

Pure functions over API payloads (shapes per reference/amocrm-api.md §1.7, §4, §5), plus `load_catalog`,
which makes the handful of metadata calls (account, pipelines, users, lead and contact fields).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from backend.sync.core.catalog import Catalog, CustomField, Pipeline
from backend.sync.core.normalize import Status

if TYPE_CHECKING:
    from backend.amocrm.client import AmoClient


def pipeline_of(raw: dict) -> Pipeline:
    statuses = tuple(
        Status(
            pipeline_id=int(raw["id"]),
            status_id=int(s["id"]),
            name=str(s.get("name", "")),
            pipeline_name=str(raw.get("name", "")),
            is_unsorted=int(s.get("type", 0) or 0) == 1,
        )
        for s in sorted(
            ((raw.get("_embedded") or {}).get("statuses") or []), key=lambda s: (s.get("sort", 0), s["id"])
        )
    )
    return Pipeline(int(raw["id"]), str(raw.get("name", "")), bool(raw.get("is_main")), statuses)


def custom_field_of(raw: dict) -> CustomField:
    enums = {int(e["id"]): str(e.get("value", "")) for e in raw.get("enums") or [] if "id" in e}
    return CustomField(
        int(raw["id"]), str(raw.get("name", "")), str(raw.get("type", "text")), raw.get("code"), enums
    )


def catalog_of(
    account: dict,
    pipelines: Iterable[dict],
    users: Iterable[dict],
    lead_fields: Iterable[dict],
    contact_fields: Iterable[dict],
    host: str,
) -> Catalog:
    return Catalog(
        account_id=int(account["id"]),
        host=host,
        pipelines=tuple(pipeline_of(p) for p in pipelines),
        users={int(u["id"]): (str(u.get("name", "")), str(u.get("email", ""))) for u in users},
        lead_fields={int(f["id"]): custom_field_of(f) for f in lead_fields},
        contact_fields={int(f["id"]): custom_field_of(f) for f in contact_fields},
        current_user_id=int(account["current_user_id"]) if account.get("current_user_id") else None,
    )


def load_catalog(client: AmoClient, host: str) -> Catalog:
    account = client.get("/api/v4/account") or {}
    pipelines = ((client.get("/api/v4/leads/pipelines") or {}).get("_embedded") or {}).get("pipelines", [])
    users = list(client.pages("/api/v4/users", "users"))
    lead_fields = list(client.pages("/api/v4/leads/custom_fields", "custom_fields"))
    contact_fields = list(client.pages("/api/v4/contacts/custom_fields", "custom_fields"))
    return catalog_of(account, pipelines, users, lead_fields, contact_fields, host)


def catalog_json(catalog: Catalog) -> dict:
    """The sidebar's view of the catalog: pickers show names, send ids."""
    return {
        "account_id": catalog.account_id,
        "host": catalog.host,
        "current_user_id": catalog.current_user_id,
        "pipelines": [
            {
                "id": p.id,
                "name": p.name,
                "is_main": p.is_main,
                "statuses": [
                    {"id": s.status_id, "name": s.name, "is_unsorted": s.is_unsorted} for s in p.statuses
                ],
            }
            for p in catalog.pipelines
        ],
        "users": [{"id": uid, "name": n, "email": e} for uid, (n, e) in sorted(catalog.users.items())],
        "fields": {
            entity: [
                {
                    "id": f.id,
                    "name": f.name,
                    "type": f.type,
                    "code": f.code,
                    "enums": [{"id": i, "value": v} for i, v in f.enums.items()],
                }
                for f in catalog.fields_of(entity).values()
            ]
            for entity in ("lead", "contact")
        },
    }


def catalog_from_json(stored: dict) -> Catalog:
    return Catalog(
        account_id=stored["account_id"],
        host=stored["host"],
        pipelines=tuple(
            Pipeline(
                p["id"],
                p["name"],
                p["is_main"],
                tuple(
                    Status(p["id"], s["id"], s["name"], p["name"], s["is_unsorted"]) for s in p["statuses"]
                ),
            )
            for p in stored["pipelines"]
        ),
        users={u["id"]: (u["name"], u["email"]) for u in stored["users"]},
        lead_fields={
            f["id"]: CustomField(f["id"], f["name"], f["type"], f["code"], _enums(f))
            for f in stored["fields"]["lead"]
        },
        contact_fields={
            f["id"]: CustomField(f["id"], f["name"], f["type"], f["code"], _enums(f))
            for f in stored["fields"]["contact"]
        },
        current_user_id=stored.get("current_user_id"),
    )


def _enums(field: dict) -> dict[int, str]:
    return {int(e["id"]): e["value"] for e in field.get("enums") or []}
