"""Before a run writes anything: every column it needs is in the sheet, and every header still means what
the mapping says.

A column the run does not find must never read as empty cells: the planner would take "Email is empty"
for "a person cleared every e-mail" and clear them in amoCRM. So a missing mapped or system column, or a
header row that now says something else (a header renamed into another field's name, two headers
swapped, the header row deleted so that a data row sits in row 1), stops the run before any write, with a
sentence that names the column and says what to do. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from backend.errors import AppError, Code
from backend.sheets.layout import Table, letter
from backend.sync.core.mapping import SPECIAL_COLUMNS, ColumnMapping, header_key, target_of_header

NOTHING_SYNCED = "Nothing was synced."
# what a data cell of a system column looks like: a row key, a lead id, a link, a status
_DATA_LIKE = re.compile(r"^(r[0-9A-Za-z]{12}|[a-z2-9]{10}|\d+|https?://.*|[✓⚠].*)$")


class SheetLayoutChanged(AppError, status=409, code=Code.MAPPING_INVALID):
    """The sheet no longer has the columns the mapping names; `detail` says which and what to do."""


def problems(table: Table, mapping: ColumnMapping) -> list[str]:
    """Every reason the sheet cannot be synced as it is, as sentences a person can act on."""
    out: list[str] = []
    for rule in mapping.columns:
        if rule.column not in table.positions:
            out.append(
                f"The {rule.header or rule.target} column is missing: put it back or change the mapping."
            )
    for role, header in SPECIAL_COLUMNS.items():
        if role not in table.positions:
            out.append(
                f"The {header} column is missing: put it back (Undo), or save the mapping again in the "
                "sidebar to add it."
            )
    recorded = {header_key(rule.header): rule for rule in mapping.columns if rule.header.strip()}
    for rule in mapping.columns:
        if rule.column not in table.positions:
            continue
        now = str(table.headers.get(rule.column, "")).strip()
        col = letter(table.positions[rule.column])
        where, at = f"column {col}", f"Column {col}"  # str.capitalize() would lowercase the letter
        if not now:
            if rule.header.strip():
                out.append(
                    f"The header of {where} (“{rule.header}”) is empty: type it back or change the mapping."
                )
            continue
        if header_key(now) == header_key(rule.header):
            continue
        other = recorded.get(header_key(now))
        meant = target_of_header(now)
        if other is not None and other.column != rule.column:
            out.append(
                f"{at} is mapped as “{rule.header}” but is now headed “{now}”, the name of "
                "another mapped column: put the headers back or change the mapping."
            )
        elif meant is not None and meant != rule.target:
            out.append(
                f"{at} is mapped as “{rule.header}” but is now headed “{now}”: put the "
                "header back or change the mapping."
            )
    for role, header in SPECIAL_COLUMNS.items():
        if role in table.positions and _DATA_LIKE.match(str(table.headers.get(role, "")).strip()):
            out.append(
                f"Row 1 no longer holds the headers (the {header} column is headed "
                f"“{table.headers[role]}”): put the header row back (Undo)."
            )
            break
    return out


def check(table: Table, mapping: ColumnMapping) -> None:
    found = problems(table, mapping)
    if found:
        raise SheetLayoutChanged(" ".join([*found, NOTHING_SYNCED]), problems=found)


def header_problems(headers: Mapping[str, str], mapping: ColumnMapping) -> list[str]:
    """`problems` of a sheet known by its headers alone: {column id or system role: header text}, what
    the add-on sends with edited rows (a column it does not name is missing from the sheet)."""
    return problems(Table("", {c: i for i, c in enumerate(headers)}, dict(headers), {}, 0), mapping)
