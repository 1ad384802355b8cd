"""Google's own description of the Sheets API v4: the discovery document bundled with
google-api-python-client (`googleapiclient/discovery_cache/documents/sheets.v4.json`).

Owns routing (each method's flatPath, e.g. `v4/spreadsheets/{spreadsheetId}/values/{range}:append`, turned
into a pattern over the decoded request path) and the list of query parameters each method accepts, so
the emulator answers exactly the paths the client library sends and rejects an unknown parameter the way
Google does. Reading Google's document keeps the two from drifting apart.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Method:
    method_id: str  # e.g. "spreadsheets.values.batchGet" (without the "sheets." prefix)
    http_method: str
    pattern: re.Pattern[str]
    parameters: frozenset[str]  # query parameters (path parameters excluded)
    literal_length: int  # longer literal text = more specific route


@cache
def document() -> dict[str, Any]:
    path = resources.files("googleapiclient") / "discovery_cache" / "documents" / "sheets.v4.json"
    return json.loads(path.read_text(encoding="utf-8"))


def _compile(flat_path: str) -> tuple[re.Pattern[str], int]:
    pattern, literal, pos = "", 0, 0
    for m in re.finditer(r"\{(\w+)\}", flat_path):
        text = flat_path[pos : m.start()]
        pattern += re.escape(text)
        literal += len(text)
        # a range may hold any character, even "/" and ":"; ids never hold "/" or ":"
        pattern += f"(?P<{m.group(1)}>.+)" if m.group(1) == "range" else f"(?P<{m.group(1)}>[^/:]+)"
        pos = m.end()
    pattern += re.escape(flat_path[pos:])
    literal += len(flat_path) - pos
    return re.compile(f"^{pattern}$", re.DOTALL), literal


def _walk(resources_json: dict[str, Any]):
    for res in resources_json.values():
        yield from res.get("methods", {}).values()
        yield from _walk(res.get("resources", {}))


@cache
def methods() -> tuple[Method, ...]:
    out = []
    for m in _walk(document()["resources"]):
        pattern, literal = _compile(m.get("flatPath", m["path"]))
        query = frozenset(name for name, p in m.get("parameters", {}).items() if p.get("location") == "query")
        out.append(Method(m["id"].removeprefix("sheets."), m["httpMethod"], pattern, query, literal))
    return tuple(sorted(out, key=lambda x: -x.literal_length))


@cache
def system_parameters() -> frozenset[str]:
    return frozenset(document().get("parameters", {}))


def match(http_method: str, path: str) -> tuple[Method, dict[str, str]] | None:
    """The method a request path (decoded, without the leading "/") calls, and its path parameters."""
    for method in methods():
        if method.http_method != http_method:
            continue
        m = method.pattern.match(path)
        if m:
            return method, m.groupdict()
    return None


def schema_properties(name: str) -> dict[str, Any]:
    return document()["schemas"][name]["properties"]
