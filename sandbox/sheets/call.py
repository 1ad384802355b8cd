"""One API call as the handlers see it: the spreadsheet (a working copy for writes), who is calling,
the query parameters and the JSON body, with helpers that validate parameters the way Google does.

api.py builds a `Call`; values.py, batch_update.py, metadata.py and resource.py consume it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from sandbox.sheets.errors import bad_request
from sandbox.sheets.model import Principal, Spreadsheet

# Google's protobuf type names, used in its "Invalid value at …" messages.
ENUM_TYPES = {
    "valueRenderOption": "ValueRenderOption",
    "responseValueRenderOption": "ValueRenderOption",
    "dateTimeRenderOption": "DateTimeRenderOption",
    "responseDateTimeRenderOption": "DateTimeRenderOption",
    "majorDimension": "Dimension",
    "valueInputOption": "ValueInputOption",
    "insertDataOption": "InsertDataOption",
}


def snake(name: str) -> str:
    return "".join("_" + ch.lower() if ch.isupper() else ch for ch in name)


def check_enum(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        type_name = ENUM_TYPES.get(name, name[:1].upper() + name[1:])
        raise bad_request(
            f"Invalid value at '{snake(name)}' "
            f'(type.googleapis.com/google.apps.sheets.v4.{type_name}), "{value}"'
        )
    return value


def truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


@dataclass
class Call:
    ss: Spreadsheet | None
    principal: Principal
    params: MultiDict = field(default_factory=MultiDict)
    body: dict[str, Any] = field(default_factory=dict)
    path: dict[str, str] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random)
    base_url: str = ""

    @property
    def spreadsheet(self) -> Spreadsheet:
        assert self.ss is not None  # every method but spreadsheets.create has one
        return self.ss

    def enum(self, name: str, allowed: tuple[str, ...], default: str, *, source: dict | None = None) -> str:
        """An enum from the query (or from `source`, a body), Google's 400 for a value it does not know."""
        raw = (source if source is not None else self.params).get(name)
        if raw in (None, "") or str(raw).endswith("_UNSPECIFIED"):
            return default
        return check_enum(name, str(raw), allowed)

    def flag(self, name: str, *, source: dict | None = None) -> bool:
        return truthy((source if source is not None else self.params).get(name))
