"""Webhook subscriptions (`GET/POST/DELETE /api/v4/webhooks`) and the amoCRM form body of a delivery.

- Subscriptions are per account, at most 100, keyed by destination: POSTing an existing destination
  updates its settings and re-enables it (amoCRM's "press Save"); DELETE takes `{"destination"}`.
- A delivery is form-encoded with PHP bracket keys (reference §6.2): the `account[...]` block, then
  `leads[status][0][id]=…`, `contacts[add][0][type]=contact`, `…[custom_fields][0][values][0][enum]=…`.
  All values are strings; date custom fields arrive as a bare timestamp (`…[values][0]=1726572752`).
  `old_status_id`/`old_pipeline_id` ride on `status` items and on the `update` item of the same stage
  change; `old_responsible_user_id` on `responsible` items and on a contact's `update` item of the same
  reassignment (reference §6.2, from Kommo's webhook examples).
  One delivery per webhook per originating request carries every change it subscribed to.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from flask import Blueprint, g, request

from sandbox.amocrm import listing, responses
from sandbox.amocrm.custom_fields import DATES
from sandbox.amocrm.entities import Change
from sandbox.amocrm.runtime import Emulator, current
from sandbox.amocrm.state import Account
from sandbox.amocrm.validation import Problems, check_batch, is_int

bp = Blueprint("amo_webhooks", __name__, url_prefix="/<host>/api/v4")

MAX_WEBHOOKS = 100
SETTINGS = {
    f"{action}_{entity}"
    for entity in ("lead", "contact", "company", "customer")
    for action in ("add", "update", "delete", "restore", "responsible", "note")
} | {
    "status_lead",
    "add_task",
    "update_task",
    "delete_task",
    "responsible_task",
    "add_message",
    "add_talk",
    "update_talk",
}


def render(hook: dict) -> dict:
    return {k: v for k, v in hook.items() if not k.startswith("_")}


@bp.get("/webhooks")
def list_webhooks(host: str):
    account: Account = g.account
    wanted = listing.as_list(listing.parse_brackets(request.args, "filter").get("destination", []))
    hooks = [h for h in account.webhooks.values() if not wanted or h["destination"] in wanted]
    if not hooks:
        return responses.no_content()
    return responses.hal(
        {
            "_total_items": len(hooks),
            "_links": responses.self_link(host, "/api/v4/webhooks"),
            "_embedded": {"webhooks": [render(h) for h in sorted(hooks, key=lambda h: (h["sort"], h["id"]))]},
        }
    )


@bp.post("/webhooks")
def subscribe(host: str):
    emu, account = current(), g.account
    if emu.knobs.webhooks_unavailable:  # Kommo: "Working with WebHooks via API is possible with Advanced
        # or Enterprise plans" (developers.kommo.com/docs/webhooks-general); the answer's shape is assumed
        return responses.problem(403, "Webhooks are not available for this account")
    body = responses.json_body()
    if not isinstance(body, dict):
        raise responses.bad_request("Request data must be an object")
    p = Problems("0")
    destination, settings, sort = body.get("destination"), body.get("settings"), body.get("sort", 1)
    url = urlparse(destination) if isinstance(destination, str) else None
    if url is None or url.scheme not in ("http", "https") or not url.netloc:
        p.add("NotSupportedChoice", "destination")
    if not isinstance(settings, list) or not settings:
        p.wrong_type("settings", "array")
    else:
        for i, name in enumerate(settings):
            if name not in SETTINGS:
                p.add("NotSupportedChoice", f"settings.{i}")
    if not is_int(sort):
        p.wrong_type("sort", "int")
    check_batch([p])
    now = emu.now()
    hook = next((h for h in account.webhooks.values() if h["destination"] == destination), None)
    if hook is None:
        if len(account.webhooks) >= MAX_WEBHOOKS:
            raise responses.bad_request(f"Maximum {MAX_WEBHOOKS} webhooks per account")
        hook = {
            "id": emu.state.next_id("webhook"),
            "destination": destination,
            "created_at": now,
            "account_id": account.id,
            "created_by": g.caller.user_id,
        }
        account.webhooks[hook["id"]] = hook
    hook.update(
        {"updated_at": now, "sort": sort, "disabled": False, "settings": list(dict.fromkeys(settings))}
    )
    emu.dispatcher.reenable(account.host, hook["id"])
    return responses.hal(render(hook))


@bp.delete("/webhooks")
def unsubscribe(host: str):
    account: Account = g.account
    body = responses.json_body()
    destination = body.get("destination") if isinstance(body, dict) else None
    if not isinstance(destination, str):
        raise responses.bad_request("destination is required")
    for hook_id in [i for i, h in account.webhooks.items() if h["destination"] == destination]:
        del account.webhooks[hook_id]
    return responses.no_content()


# ---- delivery bodies ------------------------------------------------------------------------------------
def publish(emu: Emulator, account: Account, changes: list[Change], base: str) -> None:
    """Queue one delivery per enabled subscription that wants any of `changes` (lock held)."""
    for hook in sorted(account.webhooks.values(), key=lambda h: (h["sort"], h["id"])):
        wanted = [c for c in changes if c.setting in hook["settings"]]
        if wanted and not hook["disabled"]:
            emu.dispatcher.enqueue(
                account.host, hook["id"], hook["destination"], encode(account, wanted, base)
            )


def encode(account: Account, changes: list[Change], base: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    _flatten(
        "account",
        {"subdomain": account.subdomain, "id": account.id, "_links": {"self": f"{base}/{account.host}"}},
        pairs,
    )
    counters: dict[tuple[str, str], int] = {}
    for change in changes:
        i = counters.get((change.entity, change.action), 0)
        counters[(change.entity, change.action)] = i + 1
        _flatten(f"{change.entity}[{change.action}][{i}]", _item(account, change), pairs)
    return pairs


def _flatten(prefix: str, value: Any, out: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}[{key}]", inner, out)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            _flatten(f"{prefix}[{i}]", inner, out)
    elif value is not None:
        out.append((prefix, "1" if value is True else "0" if value is False else str(value)))


def _item(account: Account, change: Change) -> dict:
    e = change.item
    if change.action == "delete":
        if change.entity == "leads":
            return {"id": e["id"], "status_id": e["status_id"], "pipeline_id": e["pipeline_id"]}
        return {"id": e["id"], "type": "contact"}
    item: dict[str, Any] = {"id": e["id"], "name": e["name"]}
    if change.entity == "leads":
        item.update({"status_id": e["status_id"], "price": e["price"]})
    item["responsible_user_id"] = e["responsible_user_id"]
    item.update(
        {
            "last_modified": e["updated_at"],
            "modified_user_id": change.actor,
            "created_user_id": e["created_by"],
            "date_create": e["created_at"],
        }
    )
    olds = change.old
    if change.entity == "leads":
        item["pipeline_id"] = e["pipeline_id"]
        moved = olds.get("old_status_id") not in (None, e["status_id"])
        if change.action == "status" or (change.action == "update" and moved):
            item["old_status_id"] = olds["old_status_id"]
            item["old_pipeline_id"] = olds["old_pipeline_id"]
    reassigned = olds.get("old_responsible_user_id") not in (None, e["responsible_user_id"])
    if change.action == "responsible" or (
        change.action == "update" and change.entity == "contacts" and reassigned
    ):
        item["old_responsible_user_id"] = olds["old_responsible_user_id"]
    item.update({"account_id": account.id, "created_at": e["created_at"], "updated_at": e["updated_at"]})
    if change.entity == "contacts":
        item["type"] = "contact"
    if e["tags"]:
        item["tags"] = [{"id": t["id"], "name": t["name"]} for t in e["tags"]]
    fields = _custom_fields(account, change.entity, e["custom_fields_values"])
    if fields:
        item["custom_fields"] = fields
    return item


def _custom_fields(account: Account, entity: str, stored: list[dict]) -> list[dict]:
    out = []
    for item in stored:
        cf = account.custom_fields[entity].get(item["field_id"])
        if cf is None:
            continue
        entry: dict[str, Any] = {"id": cf["id"], "name": cf["name"]}
        if cf["code"]:
            entry["code"] = cf["code"]
        if cf["type"] in DATES:
            entry["values"] = [v["value"] for v in item["values"]]
        else:
            entry["values"] = [
                {"value": v["value"], **({"enum": v["enum_id"]} if "enum_id" in v else {})}
                for v in item["values"]
            ]
        out.append(entry)
    return out
