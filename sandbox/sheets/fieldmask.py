"""Google field masks: the `fields` system parameter and the `fields` of update requests.

Accepts both spellings Google accepts: partial-response syntax (`sheets(properties(sheetId,title))`,
`sheets/properties/title`) and dotted paths (`sheets.properties.title`), mixed freely, plus `*`.
A mask parses into a tree `{name: subtree | None}` where None selects everything below.
"""

from __future__ import annotations

from typing import Any

from sandbox.sheets.errors import bad_request

Tree = dict[str, "Tree | None"]


def parse(mask: str) -> Tree:
    parser = _Parser(mask.replace(" ", ""))
    tree = parser.items()
    if parser.pos != len(parser.text):
        raise bad_request(f"Invalid field selection {mask}")
    return tree


class _Parser:
    def __init__(self, text: str):
        self.text, self.pos = text, 0

    def items(self) -> Tree:
        tree: Tree = {}
        while True:
            _merge(tree, self.item())
            if self.pos < len(self.text) and self.text[self.pos] == ",":
                self.pos += 1
                continue
            return tree

    def item(self) -> Tree:
        start = self.pos
        while self.pos < len(self.text) and (self.text[self.pos].isalnum() or self.text[self.pos] in "_*@$"):
            self.pos += 1
        name = self.text[start : self.pos]
        if not name:
            raise bad_request(f"Invalid field selection {self.text}")
        if self.pos < len(self.text) and self.text[self.pos] in "./":
            self.pos += 1
            return {name: self.item()}
        if self.pos < len(self.text) and self.text[self.pos] == "(":
            self.pos += 1
            sub = self.items()
            if self.pos >= len(self.text) or self.text[self.pos] != ")":
                raise bad_request(f"Invalid field selection {self.text}")
            self.pos += 1
            return {name: sub}
        return {name: None}


def _merge(into: Tree, other: Tree) -> None:
    for name, sub in other.items():
        if name not in into:
            into[name] = sub
        elif into[name] is None or sub is None:
            into[name] = None  # selecting everything wins over a narrower selection
        else:
            _merge(into[name], sub)  # type: ignore[arg-type]


def apply(value: Any, tree: Tree | None) -> Any:
    """Keep only the selected fields of a JSON value (lists apply the mask to every element)."""
    if tree is None or "*" in tree:
        return value
    if isinstance(value, list):
        return [apply(v, tree) for v in value]
    if isinstance(value, dict):
        return {k: apply(v, tree[k]) for k, v in value.items() if k in tree}
    return value


def paths(mask: str) -> set[str]:
    """Flatten a mask into dotted leaf paths: `gridProperties(rowCount),title` → {…rowCount, title}."""
    out: set[str] = set()

    def walk(tree: Tree, prefix: str) -> None:
        for name, sub in tree.items():
            path = f"{prefix}{name}"
            if sub is None:
                out.add(path)
            else:
                walk(sub, path + ".")

    walk(parse(mask), "")
    return out


def selects(tree: Tree | None, *path: str) -> bool:
    """Does the mask select (anything under) this path?"""
    node: Tree | None = tree
    for name in path:
        if node is None or "*" in node:
            return True
        if name not in node:
            return False
        node = node[name]
    return True
