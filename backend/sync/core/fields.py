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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from backend.sync.core import normalize
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
    match = _CF.fullmatch(target)
    return catalog.fields_of(match.group(1)).get(int(match.group(2))) if match else None


# --- sheet cell <-> canonical --------------------------------------------------------------------------


def parse_cell(target: str, raw: Any, ctx: Context) -> normalize.Parsed:
    if target == CONTACT_PHONE:
        return normalize.phone(raw, ctx.region)
    if target == CONTACT_EMAIL:
        return normalize.email(raw)
    if target == LEAD_PRICE:
        return normalize.money(raw)
    if target == LEAD_STATUS:
        return normalize.status(raw, ctx.catalog.statuses, ctx.pipeline_id)
    if target == LEAD_RESPONSIBLE:
        return normalize.user(raw, ctx.catalog.users)
    field = custom_field(target, ctx.catalog)
    if field is not None:
        return _parse_custom(field, raw)
    return normalize.text(raw)


def _parse_custom(field: CustomField, raw: Any) -> normalize.Parsed:
    if field.type == "numeric":
        if normalize._blank(raw):
            return normalize.EMPTY
        try:
            # any space groups digits: ru_RU shows (and a copied value holds) a no-break space
            number = float("".join(str(raw).split()).replace(",", "."))
        except ValueError:
            return normalize.Parsed(error=f'“{field.name}” must be a number, not "{raw}"')
        return normalize.Parsed(str(int(number)) if number.is_integer() else repr(number))
    if field.type in ("date", "birthday", "date_time"):
        return normalize.date(raw)
    if field.type == "checkbox":
        if normalize._blank(raw):
            return normalize.EMPTY
        truthy = str(raw).strip().lower() in ("true", "1", "yes", "да", "✓", "x")
        return normalize.Parsed("1" if truthy else None)
    if field.type in ("select", "radiobutton"):
        if normalize._blank(raw):
            return normalize.EMPTY
        for value in field.enums.values():
            if normalize.fold(value) == normalize.fold(str(raw)):
                return normalize.Parsed(value)
        return normalize.Parsed(
            error=f'“{field.name}” has no option "{raw}" (options: {", ".join(field.enums.values())})'
        )
    return normalize.text(raw)


def render_cell(target: str, value: Value, ctx: Context) -> Any:
    """The value to write into the sheet (RAW for text, numbers as numbers)."""
    if value is None:
        return ""
    if target == LEAD_STATUS:
        return normalize.status_name(value, ctx.catalog.statuses) or ""
    if target == LEAD_RESPONSIBLE:
        name, email = ctx.catalog.users.get(int(value), (value, ""))
        return name or email
    if target == LEAD_PRICE:
        return int(value)
    field = custom_field(target, ctx.catalog)
    if field is not None and field.type == "numeric":
        return float(value) if "." in value else int(value)
    if field is not None and field.type == "checkbox":
        return True
    return value


# --- amoCRM JSON -> canonical --------------------------------------------------------------------------


def _cf_values(entity: Mapping) -> dict[int, list[dict]]:
    return {int(f["field_id"]): f.get("values") or [] for f in entity.get("custom_fields_values") or []}


def _first(values: list[dict]) -> Any:
    return values[0].get("value") if values else None


def _coded_first(entity: Mapping, code: str) -> Any:
    for field in entity.get("custom_fields_values") or []:
        if field.get("field_code") == code:
            return _first(field.get("values") or [])
    return None


def lead_values(lead: Mapping, targets: Iterable[str], ctx: Context) -> dict[str, Value]:
    cfs = _cf_values(lead)
    out: dict[str, Value] = {}
    for target in targets:
        if target == LEAD_NAME:
            out[target] = normalize.text(lead.get("name")).value
        elif target == LEAD_PRICE:
            out[target] = normalize.money(lead.get("price") or 0).value
        elif target == LEAD_STATUS:
            out[target] = f"{lead['pipeline_id']}:{lead['status_id']}" if lead.get("status_id") else None
        elif target == LEAD_RESPONSIBLE:
            out[target] = str(lead["responsible_user_id"]) if lead.get("responsible_user_id") else None
        elif target.startswith("lead.cf:"):
            out[target] = _canonical_custom(
                custom_field(target, ctx.catalog), cfs.get(int(target.split(":")[1]), [])
            )
    return out


def contact_values(contact: Mapping | None, targets: Iterable[str], ctx: Context) -> dict[str, Value]:
    out: dict[str, Value] = {}
    cfs = _cf_values(contact or {})
    for target in targets:
        if contact is None:
            out[target] = None
        elif target == CONTACT_NAME:
            out[target] = normalize.text(contact.get("name")).value
        elif target == CONTACT_PHONE:
            out[target] = normalize.phone(_coded_first(contact, "PHONE"), ctx.region).value
        elif target == CONTACT_EMAIL:
            out[target] = normalize.email(_coded_first(contact, "EMAIL")).value
        elif target.startswith("contact.cf:"):
            out[target] = _canonical_custom(
                custom_field(target, ctx.catalog), cfs.get(int(target.split(":")[1]), [])
            )
    return out


def _canonical_custom(field: CustomField | None, values: list[dict]) -> Value:
    raw = _first(values)
    if field is None or raw is None:
        return None
    if field.type in ("date", "birthday", "date_time") and isinstance(raw, (int, float)):
        import datetime as dt

        return dt.datetime.fromtimestamp(int(raw), dt.UTC).date().isoformat()
    parsed = _parse_custom(field, raw)
    return parsed.value if parsed.ok else normalize.text(raw).value


# --- canonical -> amoCRM JSON --------------------------------------------------------------------------


def _custom_payload(field: CustomField, value: Value) -> dict:
    if value is None:
        return {"field_id": field.id, "values": None}  # amoCRM clears a field only with values: null
    if field.type in ("date", "birthday", "date_time"):
        import datetime as dt

        timestamp = int(dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC).timestamp())
        return {"field_id": field.id, "values": [{"value": timestamp}]}
    if field.type == "numeric":
        return {"field_id": field.id, "values": [{"value": value}]}
    if field.type == "checkbox":
        return {"field_id": field.id, "values": [{"value": True}]}
    if field.type in ("select", "radiobutton"):
        enum_id = next((i for i, v in field.enums.items() if v == value), None)
        return {"field_id": field.id, "values": [{"enum_id": enum_id}]}
    return {"field_id": field.id, "values": [{"value": value}]}


_Entry = Callable[[str, Value], "dict | None"]


def _payload(
    fields: Mapping[str, Value], ctx: Context, top: _Entry, builtin: _Entry = lambda t, v: None
) -> dict:
    """The record's JSON: `top` answers its own top-level entries ({"name": …}), `builtin` the built-in
    fields amoCRM keeps among custom_fields_values (a contact's PHONE and EMAIL); the rest are the
    account's custom fields."""
    out: dict[str, Any] = {}
    custom: list[dict] = []
    for target, value in fields.items():
        if (entry := top(target, value)) is not None:
            out.update(entry)
        elif (entry := builtin(target, value)) is not None:
            custom.append(entry)
        elif (field := custom_field(target, ctx.catalog)) is not None:
            custom.append(_custom_payload(field, value))
    if custom:
        out["custom_fields_values"] = custom
    return out


def lead_payload(fields: Mapping[str, Value], ctx: Context) -> dict:
    def top(target: str, value: Value) -> dict | None:
        if target == LEAD_NAME:
            return {"name": value or ""}
        if target == LEAD_PRICE:
            return {"price": int(value) if value else 0}
        if target == LEAD_STATUS and value:
            pipeline_id, status_id = (int(x) for x in value.split(":"))
            return {"pipeline_id": pipeline_id, "status_id": status_id}
        if target == LEAD_RESPONSIBLE and value:
            return {"responsible_user_id": int(value)}
        return None

    return _payload(fields, ctx, top)


def _multitext(existing: Mapping | None, code: str, value: Value, enum_code: str) -> dict:
    """Replace the first value of a PHONE/EMAIL field and keep the others."""
    others: list[dict] = []
    for field in (existing or {}).get("custom_fields_values") or []:
        if field.get("field_code") == code:
            others = [
                {"value": x["value"], "enum_code": x.get("enum_code") or enum_code}
                for x in field["values"][1:]
            ]
    values = ([{"value": value, "enum_code": enum_code}] if value else []) + others
    return {"field_code": code, "values": values or None}


def contact_payload(fields: Mapping[str, Value], ctx: Context, existing: Mapping | None = None) -> dict:
    def builtin(target: str, value: Value) -> dict | None:
        code = {CONTACT_PHONE: "PHONE", CONTACT_EMAIL: "EMAIL"}.get(target)
        return _multitext(existing, code, value, "WORK") if code else None

    return _payload(fields, ctx, lambda t, v: {"name": v or ""} if t == CONTACT_NAME else None, builtin)
