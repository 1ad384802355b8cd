"""Request validation in amoCRM's shape: per item, a list of `{code, path, detail}` under its
`request_id`, answered as one 400 "Request validation failed" for the whole batch (nothing is written).

Also the shared checks for lead and contact payloads (types, users, tags, custom field values).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.amocrm import responses
from sandbox.amocrm.state import Account

DETAILS = {
    "InvalidType": "This value should be of type {}.",
    "NotSupportedChoice": "The value you selected is not a valid choice.",
    "NotFound": "Entity not found.",
    "FieldMissing": "This field is missing.",
    "LengthExceeded": "This value is too long.",
}


@dataclass
class Problems:
    """The errors of one item of a batch."""

    request_id: str
    errors: list[dict] = field(default_factory=list)

    def add(self, code: str, path: str, kind: str = "") -> None:
        self.errors.append({"code": code, "path": path, "detail": DETAILS[code].format(kind)})

    def wrong_type(self, path: str, kind: str) -> None:
        self.add("InvalidType", path, kind)


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_batch(problems: list[Problems]) -> None:
    failed = [{"request_id": p.request_id, "errors": p.errors} for p in problems if p.errors]
    if failed:
        raise responses.ApiError(responses.validation_failed(failed))


def batch_items(body: Any, limit: int = 250) -> list[dict]:
    """The items of a collection write: a JSON array (an object counts as one item, as amoCRM creates it).

    More than `limit` items answers 422 "Limit 250 per page" (reference §2.2) before anything else.
    """
    items = body if isinstance(body, list) else [body]
    if not items:
        raise responses.bad_request("Request data can not be empty")
    if len(items) > limit:
        raise responses.ApiError(responses.problem(422, f"Limit {limit} per page"))
    return items


def request_id_of(item: Any, index: int) -> str:
    """The echoed `request_id`: the client's, else the item's index as a string."""
    if isinstance(item, dict) and item.get("request_id") is not None:
        return str(item["request_id"])
    return str(index)


def check_user(account: Account, item: dict, key: str, p: Problems, *, allow_zero: bool = False) -> None:
    if key not in item or item[key] is None:
        return
    value = item[key]
    if not is_int(value):
        p.wrong_type(key, "int")
    elif value not in account.users and not (allow_zero and value == 0):
        p.add("NotSupportedChoice", key)


def check_str(item: dict, key: str, p: Problems, max_len: int = 255) -> None:
    if key in item and item[key] is not None:
        if not isinstance(item[key], str):
            p.wrong_type(key, "string")
        elif len(item[key]) > max_len:
            p.add("LengthExceeded", key)


def check_timestamp(item: dict, key: str, p: Problems) -> None:
    if key in item and item[key] is not None and not is_int(item[key]):
        p.wrong_type(key, "int")


def tag_names(item: dict, p: Problems, account: Account) -> list[str] | None:
    """`_embedded.tags` as names ([{name}] or [{id}]), or None when not sent."""
    tags = (item.get("_embedded") or {}).get("tags") if isinstance(item.get("_embedded"), dict) else None
    if tags is None:
        return None
    if not isinstance(tags, list):
        p.wrong_type("_embedded.tags", "array")
        return None
    names = []
    for i, tag in enumerate(tags):
        if isinstance(tag, dict) and isinstance(tag.get("name"), str):
            names.append(tag["name"])
        elif isinstance(tag, dict) and (name := _tag_named(account, tag.get("id"))) is not None:
            names.append(name)
        else:
            p.add("NotSupportedChoice", f"_embedded.tags.{i}")
    return names


def _tag_named(account: Account, tag_id: Any) -> str | None:
    """The name of tag `tag_id`, looked up only for a tag given by id (an account may hold 100,000 tags:
    every record the sync creates carries its own)."""
    return next((name for name, i in account.tags.items() if i == tag_id), None)
