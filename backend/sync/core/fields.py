"""Field conversion between the three shapes a value takes: a sheet cell, an amoCRM JSON field, and the
canonical string the planner compares (see `sync/core/normalize.py` for the canonical forms).

- `parse_cell` / `render_cell`: sheet cell <-> canonical (status names, user names, numbers, dates);
- `lead_values` / `contact_values`: amoCRM lead/contact JSON -> canonical values per target;
- `lead_payload` / `contact_payload`: canonical values -> the JSON amoCRM accepts in POST/PATCH, sending
  only the changed fields (never round-tripping read-only ones) and keeping a contact's other phones
  and e-mails (a multitext write replaces all values).

Pure: takes the account `Catalog` as data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from backend.sync.core import normalize as n
from backend.sync.core.catalog import Catalog, CustomField
from backend.sync.core.model import (
    CONTACT_EMAIL,
    CONTACT_NAME,
    CONTACT_PHONE,
    LEAD_NAME,
    LEAD_PRICE,
    LEAD_RESPONSIBLE,
    LEAD_STATUS,
    Value,
)

_CF = re.compile(r"(lead|contact)\.cf:(\d+)")


@dataclass(frozen=True)
class Context:
    catalog: Catalog
    pipeline_id: int
    region: str = "RU"


def custom_field(target: str, catalog: Catalog) -> CustomField | None:
    m = _CF.fullmatch(target)
    return catalog.fields_of(m.group(1)).get(int(m.group(2))) if m else None


# --- sheet cell <-> canonical --------------------------------------------------------------------------


def parse_cell(target: str, raw: Any, ctx: Context) -> n.Parsed:
    if target == CONTACT_PHONE:
        return n.phone(raw, ctx.region)
    if target == CONTACT_EMAIL:
        return n.email(raw)
    if target == LEAD_PRICE:
        return n.money(raw)
    if target == LEAD_STATUS:
        return n.status(raw, ctx.catalog.statuses, ctx.pipeline_id)
    if target == LEAD_RESPONSIBLE:
        return n.user(raw, ctx.catalog.users)
    cf = custom_field(target, ctx.catalog)
    if cf is not None:
        return _parse_custom(cf, raw)
    return n.text(raw)


def _parse_custom(cf: CustomField, raw: Any) -> n.Parsed:
    if cf.type == "numeric":
        if n._blank(raw):
            return n.EMPTY
        try:
            # any space groups digits: ru_RU shows (and a copied value holds) a no-break space
            number = float("".join(str(raw).split()).replace(",", "."))
        except ValueError:
            return n.Parsed(error=f'“{cf.name}” must be a number, not "{raw}"')
        return n.Parsed(str(int(number)) if number.is_integer() else repr(number))
    if cf.type in ("date", "birthday", "date_time"):
        return n.date(raw)
    if cf.type == "checkbox":
        if n._blank(raw):
            return n.EMPTY
        truthy = str(raw).strip().lower() in ("true", "1", "yes", "да", "✓", "x")
        return n.Parsed("1" if truthy else None)
    if cf.type in ("select", "radiobutton"):
        if n._blank(raw):
            return n.EMPTY
        for value in cf.enums.values():
            if n.fold(value) == n.fold(str(raw)):
                return n.Parsed(value)
        return n.Parsed(error=f'“{cf.name}” has no option "{raw}" (options: {", ".join(cf.enums.values())})')
    return n.text(raw)


def render_cell(target: str, value: Value, ctx: Context) -> Any:
    """The value to write into the sheet (RAW for text, numbers as numbers)."""
    if value is None:
        return ""
    if target == LEAD_STATUS:
        return n.status_name(value, ctx.catalog.statuses) or ""
    if target == LEAD_RESPONSIBLE:
        name, email = ctx.catalog.users.get(int(value), (value, ""))
        return name or email
    if target == LEAD_PRICE:
        return int(value)
    cf = custom_field(target, ctx.catalog)
    if cf is not None and cf.type == "numeric":
        return float(value) if "." in value else int(value)
    if cf is not None and cf.type == "checkbox":
        return True
    return value


# --- amoCRM JSON -> canonical --------------------------------------------------------------------------


def _cf_values(entity: Mapping) -> dict[int, list[dict]]:
    return {int(f["field_id"]): f.get("values") or [] for f in entity.get("custom_fields_values") or []}


def _first(values: list[dict]) -> Any:
    return values[0].get("value") if values else None


def _coded_first(entity: Mapping, code: str) -> Any:
    for f in entity.get("custom_fields_values") or []:
        if f.get("field_code") == code:
            return _first(f.get("values") or [])
    return None


def lead_values(lead: Mapping, targets: Iterable[str], ctx: Context) -> dict[str, Value]:
    cfs = _cf_values(lead)
    out: dict[str, Value] = {}
    for t in targets:
        if t == LEAD_NAME:
            out[t] = n.text(lead.get("name")).value
        elif t == LEAD_PRICE:
            out[t] = n.money(lead.get("price") or 0).value
        elif t == LEAD_STATUS:
            out[t] = f"{lead['pipeline_id']}:{lead['status_id']}" if lead.get("status_id") else None
        elif t == LEAD_RESPONSIBLE:
            out[t] = str(lead["responsible_user_id"]) if lead.get("responsible_user_id") else None
        elif t.startswith("lead.cf:"):
            out[t] = _canonical_custom(custom_field(t, ctx.catalog), cfs.get(int(t.split(":")[1]), []))
    return out


def contact_values(contact: Mapping | None, targets: Iterable[str], ctx: Context) -> dict[str, Value]:
    out: dict[str, Value] = {}
    cfs = _cf_values(contact or {})
    for t in targets:
        if contact is None:
            out[t] = None
        elif t == CONTACT_NAME:
            out[t] = n.text(contact.get("name")).value
        elif t == CONTACT_PHONE:
            out[t] = n.phone(_coded_first(contact, "PHONE"), ctx.region).value
        elif t == CONTACT_EMAIL:
            out[t] = n.email(_coded_first(contact, "EMAIL")).value
        elif t.startswith("contact.cf:"):
            out[t] = _canonical_custom(custom_field(t, ctx.catalog), cfs.get(int(t.split(":")[1]), []))
    return out


def _canonical_custom(cf: CustomField | None, values: list[dict]) -> Value:
    raw = _first(values)
    if cf is None or raw is None:
        return None
    if cf.type in ("date", "birthday", "date_time") and isinstance(raw, (int, float)):
        import datetime as dt

        return dt.datetime.fromtimestamp(int(raw), dt.UTC).date().isoformat()
    parsed = _parse_custom(cf, raw)
    return parsed.value if parsed.ok else n.text(raw).value


# --- canonical -> amoCRM JSON --------------------------------------------------------------------------


def _custom_payload(cf: CustomField, value: Value) -> dict:
    if value is None:
        return {"field_id": cf.id, "values": None}  # amoCRM clears a field only with values: null
    if cf.type in ("date", "birthday", "date_time"):
        import datetime as dt

        ts = int(dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC).timestamp())
        return {"field_id": cf.id, "values": [{"value": ts}]}
    if cf.type == "numeric":
        return {"field_id": cf.id, "values": [{"value": value}]}
    if cf.type == "checkbox":
        return {"field_id": cf.id, "values": [{"value": True}]}
    if cf.type in ("select", "radiobutton"):
        enum_id = next((i for i, v in cf.enums.items() if v == value), None)
        return {"field_id": cf.id, "values": [{"enum_id": enum_id}]}
    return {"field_id": cf.id, "values": [{"value": value}]}


def lead_payload(fields: Mapping[str, Value], ctx: Context) -> dict:
    out: dict[str, Any] = {}
    custom: list[dict] = []
    for t, v in fields.items():
        if t == LEAD_NAME:
            out["name"] = v or ""
        elif t == LEAD_PRICE:
            out["price"] = int(v) if v else 0
        elif t == LEAD_STATUS and v:
            pipeline_id, status_id = (int(x) for x in v.split(":"))
            out["pipeline_id"], out["status_id"] = pipeline_id, status_id
        elif t == LEAD_RESPONSIBLE and v:
            out["responsible_user_id"] = int(v)
        elif (cf := custom_field(t, ctx.catalog)) is not None:
            custom.append(_custom_payload(cf, v))
    if custom:
        out["custom_fields_values"] = custom
    return out


def _multitext(existing: Mapping | None, code: str, value: Value, enum_code: str) -> dict:
    """Replace the first value of a PHONE/EMAIL field and keep the others."""
    others: list[dict] = []
    for f in (existing or {}).get("custom_fields_values") or []:
        if f.get("field_code") == code:
            others = [
                {"value": x["value"], "enum_code": x.get("enum_code") or enum_code} for x in f["values"][1:]
            ]
    values = ([{"value": value, "enum_code": enum_code}] if value else []) + others
    return {"field_code": code, "values": values or None}


def contact_payload(fields: Mapping[str, Value], ctx: Context, existing: Mapping | None = None) -> dict:
    out: dict[str, Any] = {}
    custom: list[dict] = []
    for t, v in fields.items():
        if t == CONTACT_NAME:
            out["name"] = v or ""
        elif t == CONTACT_PHONE:
            custom.append(_multitext(existing, "PHONE", v, "WORK"))
        elif t == CONTACT_EMAIL:
            custom.append(_multitext(existing, "EMAIL", v, "WORK"))
        elif (cf := custom_field(t, ctx.catalog)) is not None:
            custom.append(_custom_payload(cf, v))
    if custom:
        out["custom_fields_values"] = custom
    return out
