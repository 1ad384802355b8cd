"""The row values an edit request carries (addon/lib/rows.js sends them, signed with the document's
secret): checked here, so the edit run plans from them instead of reading the sheet."""

from __future__ import annotations

import re
from typing import Any

from backend.errors import BadRequest
from backend.sync.core.mapping import SPECIAL_COLUMNS

ANSWER_WAIT_S = 5.0  # how long an edit request waits for its rows' answers (the trigger waits meanwhile)
MAX_COLUMNS = 200
MAX_HEADERS = MAX_COLUMNS + len(SPECIAL_COLUMNS)  # every mapped column's header and the sync's own four
MAX_CELL_CHARS = 50000  # a Sheets cell holds at most 50,000 characters
_COLUMN_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def _cell(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and len(value) <= MAX_CELL_CHARS


def parse(row: dict, i: int) -> dict | None:
    """{row, values, lead_id[, edited]} of edited row #i, or None when it carries no values (an older
    add-on, a retry): then the run reads the row from the sheet. `edited`: the mapped column ids the
    person's edit touched (absent from an older add-on: every value is taken as the person's)."""
    values = row.get("values")
    if values is None:
        return None
    if not isinstance(values, dict) or len(values) > MAX_COLUMNS:
        raise BadRequest(f"row #{i}: values must be an object of at most {MAX_COLUMNS} columns.")
    for column, value in values.items():
        if not _COLUMN_ID.match(column) or not _cell(value):
            raise BadRequest(f"row #{i}: column {column[:40]!r} holds no cell value.")
    number = row.get("row")
    if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 10_000_000:
        raise BadRequest(f"row #{i}: row must be the row's number in the sheet.")
    lead_id = row.get("lead_id", "")
    if not isinstance(lead_id, (str, int)) or isinstance(lead_id, bool) or len(str(lead_id)) > 20:
        raise BadRequest(f"row #{i}: lead_id must be the lead-id cell's value.")
    out = {"row": number, "values": values, "lead_id": lead_id}
    edited = row.get("edited")
    if edited is not None:
        if not isinstance(edited, list) or len(edited) > MAX_COLUMNS:
            raise BadRequest(f"row #{i}: edited must be a list of at most {MAX_COLUMNS} column ids.")
        if not all(isinstance(c, str) and _COLUMN_ID.match(c) for c in edited):
            raise BadRequest(f"row #{i}: edited must hold column ids.")
        out["edited"] = sorted(set(edited))
    return out


def parse_headers(body: dict) -> dict[str, str] | None:
    """{column id or system role: header text} of the sheet as the add-on saw it when it sent the rows, or
    None from an older add-on (the run then plans from the values as before)."""
    headers = body.get("headers")
    if headers is None:
        return None
    if not isinstance(headers, dict) or len(headers) > MAX_HEADERS:
        raise BadRequest(f"headers must be an object of at most {MAX_HEADERS} columns.")
    for column, text in headers.items():
        if not _COLUMN_ID.match(column) or not isinstance(text, str) or len(text) > MAX_CELL_CHARS:
            raise BadRequest(f"headers: column {column[:40]!r} holds no header text.")
    return headers
