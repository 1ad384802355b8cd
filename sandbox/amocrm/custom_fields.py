"""Custom fields: the metadata endpoints and the rules for values sent in `custom_fields_values`.

- `GET /api/v4/{leads|contacts}/custom_fields[/{id}]`, paged 50 at a time (the doc's page size).
- Values are addressed by `field_id` or `field_code` (PHONE, EMAIL); multitext values carry `enum_code`
  or `enum_id` and default to the first enum (WORK); select values carry `enum_id` or the enum's text.
  Sending a field replaces all of its values; `"values": null` clears it; unsent fields stay.
- Date, date_time and birthday values: a Unix timestamp (int or digits) or an RFC 3339 date-time, which
  the official PHP library sends (DateCustomFieldValueModel::toApi, DateTime::RFC3339, since 2021);
  stored and answered as a Unix timestamp. Other text (`2024-01-15`, `15.01.2024`) is refused.
- Stored form: `[{"field_id", "values": [{"value", "enum_id"?, "enum_code"?}]}]`; rendered with
  `field_name, field_code, field_type` from the metadata, `null` when nothing is set.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import Blueprint, g

from sandbox.amocrm import listing, responses
from sandbox.amocrm.state import Account
from sandbox.amocrm.validation import Problems, is_int

bp = Blueprint("amo_custom_fields", __name__, url_prefix="/<host>/api/v4")

TEXTUAL = {"text", "textarea", "url", "streetaddress"}
DATES = {"date", "date_time", "birthday"}
CHOICE = {"select", "radiobutton", "multiselect"}
# What the official PHP library sends for date, date_time and birthday values since 2021:
# DateCustomFieldValueModel::toApi() formats with DateTime::RFC3339 ("2021-09-06T12:00:00+03:00").
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def render_field(account: Account, cf: dict) -> dict:
    return {
        **cf,
        "_links": responses.self_link(account.host, f"/api/v4/{cf['entity_type']}/custom_fields/{cf['id']}"),
    }


@bp.get("/<any(leads, contacts):entity>/custom_fields")
def list_fields(host: str, entity: str):
    account = g.account
    fields = sorted(account.custom_fields[entity].values(), key=lambda f: (f["sort"], f["id"]))
    path = f"/api/v4/{entity}/custom_fields"
    return listing.page_response(
        "custom_fields", fields, lambda f: render_field(account, f), path, maximum=50
    )


@bp.get("/<any(leads, contacts):entity>/custom_fields/<int:field_id>")
def get_field(host: str, entity: str, field_id: int):
    cf = g.account.custom_fields[entity].get(field_id)
    return responses.hal(render_field(g.account, cf)) if cf else responses.no_content()


def normalize(
    account: Account, entity: str, raw: Any, p: Problems, prefix: str = ""
) -> dict[int, list | None]:
    """Validated `custom_fields_values` as {field_id: stored values or None (= clear)}."""
    out: dict[int, list | None] = {}
    base = f"{prefix}custom_fields_values"
    if not isinstance(raw, list):
        p.wrong_type(base, "array")
        return out
    fields = account.custom_fields[entity]
    for i, item in enumerate(raw):
        path = f"{base}.{i}"
        if not isinstance(item, dict):
            p.wrong_type(path, "object")
            continue
        if item.get("field_id") is not None:
            cf = fields.get(item["field_id"]) if is_int(item["field_id"]) else None
            where = "field_id"
        else:
            code = item.get("field_code")
            cf = account.field_by_code(entity, code) if isinstance(code, str) else None
            where = "field_code"
        if cf is None:
            p.add("NotSupportedChoice", f"{path}.{where}")
            continue
        values = item.get("values")
        if values is None:
            out[cf["id"]] = None
        elif not isinstance(values, list):
            p.wrong_type(f"{path}.values", "array")
        else:
            stored = [_value(cf, v, p, f"{path}.values.{j}") for j, v in enumerate(values)]
            out[cf["id"]] = [s for s in stored if s is not None] or None
    return out


def _value(cf: dict, item: Any, p: Problems, path: str) -> dict | None:
    if not isinstance(item, dict):
        p.wrong_type(path, "object")
        return None
    kind, value = cf["type"], item.get("value")
    enums = cf.get("enums") or []
    if kind == "multitext":
        if not isinstance(value, str | int) or isinstance(value, bool):
            p.wrong_type(f"{path}.value", "string")
            return None
        enum = _pick_enum(enums, item, p, path, by_value=False) if enums else None
        if enum is False:
            return None
        enum = enum or enums[0]
        return {"value": str(value), "enum_id": enum["id"], "enum_code": enum["value"]}
    if kind in CHOICE:
        enum = _pick_enum(enums, item, p, path, by_value=True)
        return {"value": enum["value"], "enum_id": enum["id"]} if enum else None
    if kind in TEXTUAL:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            p.wrong_type(f"{path}.value", "string")
            return None
        return {"value": str(value)}
    if kind == "numeric":
        try:
            float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            p.wrong_type(f"{path}.value", "numeric")
            return None
        return {"value": str(value)}
    if kind == "checkbox":
        if not isinstance(value, bool):
            p.wrong_type(f"{path}.value", "bool")
            return None
        return {"value": value}
    if kind in DATES:
        if is_int(value) or (isinstance(value, str) and value.isdigit()):
            return {"value": int(value)}
        if isinstance(value, str) and _RFC3339.match(value):
            moment = dt.datetime.fromisoformat(value.replace("z", "Z"))
            return {"value": int(moment.timestamp())}  # stored and answered as a Unix timestamp
        p.wrong_type(f"{path}.value", "int")
        return None
    return {"value": value}


def _pick_enum(
    enums: list[dict], item: dict, p: Problems, path: str, *, by_value: bool
) -> dict | bool | None:
    """The enum an item names by `enum_id`, `enum_code` (or, for selects, by its text); None if it names
    none, False (after recording an error) if it names one that does not exist."""
    if item.get("enum_id") is not None:
        found = next((e for e in enums if e["id"] == item["enum_id"]), None)
        key = "enum_id"
    elif item.get("enum_code") is not None or item.get("enum") is not None:
        code = item.get("enum_code", item.get("enum"))
        found = next((e for e in enums if e["value"] == code), None)
        key = "enum_code"
    elif by_value and item.get("value") is not None:
        found = next((e for e in enums if e["value"] == item["value"]), None)
        key = "value"
    else:
        if by_value:
            p.add("NotSupportedChoice", f"{path}.enum_id")
            return False
        return None
    if found is None:
        p.add("NotSupportedChoice", f"{path}.{key}")
        return False
    return found


def apply(stored: list[dict] | None, changes: dict[int, list | None]) -> list[dict]:
    """Merge validated changes into an entity's stored values (sent fields replace, None clears)."""
    current = {cf["field_id"]: cf["values"] for cf in stored or []}
    for field_id, values in changes.items():
        if values is None:
            current.pop(field_id, None)
        else:
            current[field_id] = values
    return [{"field_id": fid, "values": vals} for fid, vals in current.items()]


def render_values(account: Account, entity: str, stored: list[dict] | None) -> list[dict] | None:
    fields = account.custom_fields[entity]
    out = []
    for item in stored or []:
        cf = fields.get(item["field_id"])
        if cf is None:  # the field was deleted; amoCRM stops returning its values
            continue
        out.append(
            {
                "field_id": cf["id"],
                "field_name": cf["name"],
                "field_code": cf["code"],
                "field_type": cf["type"],
                "values": [dict(v) for v in item["values"]],
            }
        )
    return out or None


def searchable(stored: list[dict] | None) -> list[str]:
    """Every stored value as text, for `query`."""
    return [str(v["value"]) for item in stored or [] for v in item["values"]]
