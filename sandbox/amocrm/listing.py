"""List requests: PHP-style bracket query parsing, filters, `order`, `page`/`limit`, and the HAL page.

Rules (reference §2.3, §3.2): `limit` defaults to 50 and is capped at 250 (larger values are quietly
capped, as amoCRM does); `page` is 1-based; a page with nothing on it answers 204 with an empty body;
`_links` hold `self` and `next` (absent on the last page), plus `first`/`prev` after page 1, as absolute
URLs on this emulator that keep every other query parameter, so a client following `next` stays here.

Filters arrive as `filter[id]=1`, `filter[id][]=1&filter[id][]=2`, `filter[id][0]=1&filter[id][0]=2`
(the GO and Python clients' form), `filter[updated_at][from]=…`, `filter[statuses][0][status_id]=…`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlencode

from flask import Response, request
from werkzeug.datastructures import MultiDict

from sandbox.amocrm import responses
from sandbox.amocrm.runtime import current

MAX_LIMIT = 250
# While `apply_filters` runs, each filter value is parsed once, not once per item (a 250-id filter over
# 10,000 leads would otherwise parse 2.5 million strings). Keyed by id(); the value is kept alive with it.
_parsed: ContextVar[dict | None] = ContextVar("parsed_filter_values", default=None)
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def parse_brackets(args: MultiDict, prefix: str) -> dict[str, Any]:
    """`filter[a][b][]=1&filter[a][b][]=2` → {"a": {"b": ["1", "2"]}} for prefix "filter".

    Every leaf is a list of the strings given for that key, so repeated and `[]` forms look alike.
    """
    out: dict[str, Any] = {}
    for key, values in args.lists():
        m = _KEY.match(key)
        if not m or m.group(1) != prefix:
            continue
        parts = [p for p in re.findall(r"\[([^\[\]]*)\]", m.group(2))]
        while parts and parts[-1] == "":
            parts.pop()  # "[]" means "append to the list", which every leaf already is
        if not parts:
            continue
        node = out
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):  # filter[x]=1 and filter[x][from]=2 together: keep the dict
                child = node[part] = {}
            node = child
        leaf = node.setdefault(parts[-1], [])
        if isinstance(leaf, list):
            leaf.extend(values)
    return out


def _memo(kind: str, value: Any, parse: Callable[[Any], Any]) -> Any:
    memo = _parsed.get()
    if memo is None:
        return parse(value)
    key = (kind, id(value))
    if key not in memo:
        memo[key] = (value, parse(value))
    return memo[key][1]


def as_list(value: Any) -> list[str]:
    """A filter value as a flat list of strings; `{"0": [...], "1": [...]}` and "1,2" flatten too."""
    return _memo("list", value, _as_list)


def _as_list(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [v for key in sorted(value) for v in as_list(value[key])]
    items = value if isinstance(value, list) else [value]
    return [part.strip() for item in items for part in str(item).split(",") if part.strip()]


def as_ints(value: Any) -> set[int]:
    return _memo("ints", value, _as_ints)


def _as_ints(value: Any) -> set[int]:
    out = set()
    for item in as_list(value):
        try:
            out.add(int(item))
        except ValueError:
            raise responses.bad_request(f"Filter value {item!r} is not an integer") from None
    return out


def in_range(value: int | None, spec: Any) -> bool:
    """`{"from": [..], "to": [..]}` (inclusive) or an exact value list."""
    if value is None:
        return False
    if isinstance(spec, dict):
        lo, hi = as_ints(spec.get("from", [])), as_ints(spec.get("to", []))
        return (not lo or value >= min(lo)) and (not hi or value <= max(hi))
    return value in as_ints(spec)


Filter = Callable[[dict, Any], bool]


def field_filters(
    *, ints: Iterable[str], ranges: Iterable[str], names: Iterable[str] = ("name",)
) -> dict[str, Filter]:
    """Filters on stored fields, by key: `ints` match one of the integers given, `ranges` a
    from/to range or exact values, `names` one of the strings given."""
    out: dict[str, Filter] = {}
    for key in ints:
        out[key] = lambda item, v, k=key: item[k] in as_ints(v)
    for key in ranges:
        out[key] = lambda item, v, k=key: in_range(item[k], v)
    for key in names:
        out[key] = lambda item, v, k=key: item[k] in as_list(v)
    return out


def apply_filters(
    items: Iterable[dict], filters: dict[str, Any], handlers: dict[str, Callable[[dict, Any], bool]]
) -> list[dict]:
    """Keep items every known filter accepts. Unknown keys are ignored like amoCRM does, or 400 with the
    `strict_filters` knob; with `ignore_filters` (an account without API filtering) all are ignored."""
    knobs = current().knobs
    if knobs.ignore_filters:
        return list(items)
    unknown = set(filters) - set(handlers)
    if unknown and knobs.strict_filters:
        raise responses.ApiError(
            responses.validation_failed(
                [
                    {
                        "request_id": "0",
                        "errors": [
                            {"code": "NotSupportedChoice", "path": f"filter.{k}", "detail": "Unknown filter"}
                            for k in sorted(unknown)
                        ],
                    }
                ]
            )
        )
    active = [(handlers[k], v) for k, v in filters.items() if k in handlers]
    token = _parsed.set({})
    try:
        return [item for item in items if all(fn(item, v) for fn, v in active)]
    finally:
        _parsed.reset(token)


def apply_order(items: list[dict], allowed: tuple[str, ...]) -> list[dict]:
    """`order[updated_at]=desc`; default order is by id ascending. Unsupported keys are ignored."""
    order = parse_brackets(request.args, "order")
    items = sorted(items, key=lambda i: i["id"])
    for key, value in order.items():
        if key in allowed:
            desc = as_list(value)[:1] == ["desc"]
            items.sort(key=lambda i, k=key: (i.get(k) is None, i.get(k) or 0, i["id"]), reverse=desc)
    return items


def page_params(default: int = 50, maximum: int = MAX_LIMIT) -> tuple[int, int]:
    def _int(name: str, fallback: int) -> int:
        try:
            return int(request.args.get(name, fallback))
        except ValueError:
            return fallback

    page = max(1, _int("page", 1))
    limit = _int("limit", default)
    limit = default if limit < 1 else min(limit, maximum)
    return page, limit


def _href(path: str, page: int, limit: int) -> dict:
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "limit")]
    args += [("page", str(page)), ("limit", str(limit))]
    return {"href": responses.account_url(request.view_args["host"], path) + "?" + urlencode(args)}


def page_response(
    key: str,
    items: list[dict],
    render: Callable[[dict], dict],
    path: str,
    *,
    total: bool = False,
    default: int = 50,
    maximum: int = MAX_LIMIT,
) -> Response:
    """One page of `items` as amoCRM's HAL list, or 204 when the page is empty. Lead and contact lists
    have no `_total_items`; users and events do (`total`)."""
    page, limit = page_params(default, maximum)
    start = (page - 1) * limit
    chunk = items[start : start + limit]
    if not chunk:
        return responses.no_content()
    links = {"self": _href(path, page, limit)}
    if start + limit < len(items):
        links["next"] = _href(path, page + 1, limit)
    if page > 1:
        links["first"] = _href(path, 1, limit)
        links["prev"] = _href(path, page - 1, limit)
    body: dict[str, Any] = {"_total_items": len(items)} if total else {}
    body.update({"_page": page, "_links": links, "_embedded": {key: [render(i) for i in chunk]}})
    return responses.hal(body)


def with_params() -> set[str]:
    return {w.strip() for w in request.args.get("with", "").split(",") if w.strip()}


def deleted_stub(entity: dict) -> dict:
    """A deleted entity as `with=only_deleted` lists it: amoCRM's leads-list docs promise only "'id',
    modification date and 'is_deleted' = true" — no name, stage or fields to read."""
    return {"id": entity["id"], "updated_at": entity["updated_at"], "is_deleted": True}
