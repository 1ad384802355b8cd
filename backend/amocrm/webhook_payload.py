"""amoCRM webhook bodies: PHP-style bracket form keys -> plain structures -> the ids that changed.

amoCRM posts `application/x-www-form-urlencoded` with keys such as `leads[status][0][id]`,
`contacts[update][0][custom_fields][1][values][0][value]` and `account[id]`. `parse_form()` turns the
pairs into nested dicts and lists; `changes()` reads what the intake needs: the account, and the lead and
contact ids per action. Anything malformed raises `PayloadError` (the endpoint answers 400) — never a
crash: this parser faces the internet and is fuzzed by hypothesis.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

MAX_FIELDS = 20_000
MAX_DEPTH = 12
MAX_INDEX = 10_000

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")

LEAD_ACTIONS = ("add", "update", "status", "responsible", "delete", "restore", "note")
CONTACT_ACTIONS = ("add", "update", "responsible", "delete", "restore", "note")


class PayloadError(ValueError):
    pass


# Not qs-codec: unlike PHP reading amoCRM's body, it packs sparse indices (a[5]) into a list, makes a key
# that is both a value and a group a list of both, and reads a[0][0]=x&a[0][1]=y as [[x], [y]].
def parse_form(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    # how many of each group's keys are digits, kept as keys are added: PHP's `a[]=x` appends at that
    # index, and counting the keys again for every `a[]` would make a body's parse quadratic in its size
    digits: dict[int, int] = {}
    for count, (key, value) in enumerate(pairs, 1):
        if count > MAX_FIELDS:
            raise PayloadError(f"more than {MAX_FIELDS} fields")
        match = _KEY.match(key)
        if not match:
            raise PayloadError(f"malformed key {key[:60]!r}")
        path = [match.group(1), *_PART.findall(match.group(2))]
        if len(path) > MAX_DEPTH:
            raise PayloadError(f"key nested deeper than {MAX_DEPTH}: {key[:60]!r}")
        node: dict[str, Any] = root
        for i, part in enumerate(path):
            last = i == len(path) - 1
            if part == "":
                part = str(digits.get(id(node), 0))  # PHP's a[]=x appends
            if part not in node and part.isdigit():
                digits[id(node)] = digits.get(id(node), 0) + 1
            if last:
                if isinstance(node.get(part), dict):
                    raise PayloadError(f"key {key[:60]!r} is both a value and a group")
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise PayloadError(f"key {key[:60]!r} is both a value and a group")
                node = child
    return {k: _lists(v, 1) for k, v in root.items()}  # the top level stays a dict of names


def _lists(node: Any, depth: int) -> Any:
    """Turn dicts whose keys are 0..n-1 into lists, as PHP arrays with integer keys read."""
    if not isinstance(node, dict):
        return node
    converted = {k: _lists(v, depth + 1) for k, v in node.items()}
    keys = list(converted)
    if keys and all(k.isdigit() and len(k) <= 5 for k in keys):
        indices = sorted(int(k) for k in keys)
        if indices == list(range(len(indices))) and len(indices) <= MAX_INDEX:
            return [converted[str(i)] for i in indices]
    return converted


@dataclass
class Changes:
    account_id: int
    subdomain: str
    leads: dict[str, list[int]] = field(default_factory=dict)  # action -> lead ids
    contacts: dict[str, list[int]] = field(default_factory=dict)  # action -> contact ids (companies skipped)

    @property
    def lead_ids(self) -> set[int]:
        return {i for ids in self.leads.values() for i in ids}

    @property
    def contact_ids(self) -> set[int]:
        return {i for ids in self.contacts.values() for i in ids}


def _items(group: Any) -> list[dict]:
    if isinstance(group, list):
        return [x for x in group if isinstance(x, dict)]
    if isinstance(group, dict):  # sparse indices stay a dict
        return [x for x in group.values() if isinstance(x, dict)]
    raise PayloadError("an entity group is not a list of items")


def _id(item: dict, where: str) -> int:
    raw = item.get("id")
    if not isinstance(raw, str) or not raw.isdigit() or len(raw) > 18:
        raise PayloadError(f"{where} has no numeric id")
    return int(raw)


def changes(data: dict[str, Any]) -> Changes:
    if not isinstance(data, dict):
        raise PayloadError("the body is not a form")
    account = data.get("account")
    if not isinstance(account, dict):
        raise PayloadError("no account block")
    raw_id = account.get("id")
    if not isinstance(raw_id, str) or not raw_id.isdigit() or len(raw_id) > 18:
        raise PayloadError("account[id] is missing or not a number")
    subdomain = account.get("subdomain")
    result = Changes(int(raw_id), subdomain if isinstance(subdomain, str) else "")
    for entity, actions, target in (
        ("leads", LEAD_ACTIONS, result.leads),
        ("contacts", CONTACT_ACTIONS, result.contacts),
    ):
        block = data.get(entity)
        if block is None:
            continue
        if not isinstance(block, dict):
            raise PayloadError(f"{entity} is not a group of actions")
        for action, group in block.items():
            if action not in actions:
                continue  # an action we do not sync (e.g. companies' own hooks) is not an error
            ids = []
            for item in _items(group):
                if entity == "contacts" and item.get("type") == "company":
                    continue
                ids.append(_id(item, f"{entity}[{action}]"))
            if ids:
                target[action] = ids
    return result
