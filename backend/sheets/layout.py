"""Where a connection's columns are, found by column developer metadata, and the table they hold.

Each column the sync uses carries one DOCUMENT-visible developer metadata entry located on the column:
key `amo_sync_col`, value = the column id — the role (`key`, `lead_id`, `link`, `sync`) for the sync's
own columns, a short random id for mapped columns. Metadata stays with its column when columns are
moved or inserted around it, so renames and moves never break the mapping (a handful of entries, far
below the 30,000-character cap). Rows are NOT tagged (that caps at ~2,700 rows): rows are identified by
the key column's values, which move with sorts, cuts and pastes.

`read_table()` reads every connection column in ONE `values.batchGetByDataFilter` call (one metadata
lookup per column, restricted to the connection's tab) and learns the tab's title and each column's
position from the matched A1 ranges. Row 1 is the header row.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from backend.sheets.client import SheetsClient, SheetsError
from backend.sync.core.mapping import SPECIAL_COLUMNS

META_KEY = "amo_sync_col"
ROLES = tuple(SPECIAL_COLUMNS)  # key, lead_id, link, sync


def new_column_id() -> str:
    return "c" + secrets.token_hex(4)


def letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def column_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def quote(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


_RANGE = re.compile(r"^(?:'((?:[^']|'')*)'|([^!]+))!([A-Z]+)\d*(?::([A-Z]+)\d*)?$")


def parse_column_range(a1: str) -> tuple[str, int]:
    """ "'My Sheet'!C1:C1000" -> ("My Sheet", 2)."""
    match = _RANGE.match(a1)
    if not match:
        raise SheetsError(f"unexpected range from the Sheets API: {a1!r}")
    title = match.group(1).replace("''", "'") if match.group(1) is not None else match.group(2)
    return title, column_index(match.group(3))


@dataclass
class Table:
    """The connection's columns as the sheet holds them now."""

    title: str
    positions: dict[str, int]  # column id -> 0-based column index
    headers: dict[str, str]  # column id -> header text (row 1)
    cells: dict[str, list[Any]]  # column id -> values of rows 2..n (index 0 is row 2)
    row_count: int = 0  # data rows seen (the longest column)

    def layout(self) -> Table:
        """Where the columns are, without the cells (what a run keeps once the rows are parsed)."""
        return Table(self.title, self.positions, self.headers, {}, self.row_count)

    def cell(self, column_id: str, i: int) -> Any:
        """Row i's cell ("" below a column's last value). A column the sheet does not have is an error,
        never empty cells: runs check the columns first (sync/columns.py)."""
        col = self.cells[column_id]
        return col[i] if i < len(col) else ""

    def a1(self, column_id: str, row_index: int, end_row_index: int | None = None) -> str:
        """A1 of a cell (or a vertical run) by 0-based grid row index (the header is row index 0)."""
        col = letter(self.positions[column_id])
        ref = f"{col}{row_index + 1}"
        if end_row_index is not None and end_row_index != row_index:
            ref += f":{col}{end_row_index + 1}"
        return f"{quote(self.title)}!{ref}"


def _filters(sheet_id: int, column_ids: Iterable[str]) -> list[dict]:
    return [
        {
            "developerMetadataLookup": {
                "metadataKey": META_KEY,
                "metadataValue": cid,
                "metadataLocation": {"sheetId": sheet_id},
                "locationType": "COLUMN",
            }
        }
        for cid in column_ids
    ]


def read_table(client: SheetsClient, spreadsheet_id: str, sheet_id: int, column_ids: Iterable[str]) -> Table:
    column_ids = list(dict.fromkeys(column_ids))
    matched = client.batch_get_by_filter(spreadsheet_id, _filters(sheet_id, column_ids), major="COLUMNS")
    table = Table(title="", positions={}, headers={}, cells={})
    for match in matched:
        value_range = match["valueRange"]
        title, index = parse_column_range(value_range["range"])
        values = (value_range.get("values") or [[]])[0]
        for data_filter in match.get("dataFilters", []):
            cid = data_filter["developerMetadataLookup"]["metadataValue"]
            table.title = title
            table.positions[cid] = index
            table.headers[cid] = str(values[0]) if values else ""
            table.cells[cid] = list(values[1:])
    table.row_count = max((len(c) for c in table.cells.values()), default=0)
    return table


@dataclass
class SheetInfo:
    title: str
    column_count: int
    headers: list[str]  # row 1
    ids_by_index: dict[int, str] = field(default_factory=dict)  # column index -> column id (tagged ones)


def sheet_info(client: SheetsClient, spreadsheet_id: str, sheet_id: int) -> SheetInfo:
    """The tab's title, size, header row and which columns are already tagged (3 reads)."""
    meta = client.get(spreadsheet_id, fields="sheets.properties(sheetId,title,gridProperties)")
    props = next(
        (s["properties"] for s in meta.get("sheets", []) if s["properties"]["sheetId"] == sheet_id), None
    )
    if props is None:
        raise SheetsError("The connected tab was deleted from the spreadsheet.", 404)
    title = props["title"]
    (header_rows,) = client.batch_get(spreadsheet_id, [f"{quote(title)}!1:1"])
    headers = [str(h) for h in (header_rows[0] if header_rows else [])]
    found = client.search_metadata(
        spreadsheet_id,
        [{"metadataKey": META_KEY, "metadataLocation": {"sheetId": sheet_id}, "locationType": "COLUMN"}],
    )
    ids = {int(m["location"]["dimensionRange"]["startIndex"]): m["metadataValue"] for m in found}
    return SheetInfo(title, int(props.get("gridProperties", {}).get("columnCount", 26)), headers, ids)


def ensure_columns(
    client: SheetsClient, spreadsheet_id: str, sheet_id: int, info: SheetInfo, tag: Mapping[int, str]
) -> dict[str, int]:
    """Tag columns (index -> column id) and add the sync's own columns where missing, in ONE batchUpdate.
    Returns column id -> index for everything tagged afterwards."""
    requests: list[dict] = []
    ids = dict(info.ids_by_index)
    present_roles = {cid for cid in ids.values() if cid in ROLES}
    missing = [r for r in ROLES if r not in present_roles]
    next_index = max([len(info.headers) - 1, *ids.keys(), -1]) + 1
    if missing and next_index + len(missing) > info.column_count:
        requests.append(
            {
                "appendDimension": {
                    "sheetId": sheet_id,
                    "dimension": "COLUMNS",
                    "length": next_index + len(missing) - info.column_count,
                }
            }
        )
    new: dict[int, str] = {i: cid for i, cid in tag.items() if ids.get(i) != cid}
    for offset, role in enumerate(missing):
        index = next_index + offset
        new[index] = role
        requests.append(
            {
                "updateCells": {
                    "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": index},
                    "rows": [{"values": [{"userEnteredValue": {"stringValue": SPECIAL_COLUMNS[role]}}]}],
                    "fields": "userEnteredValue",
                }
            }
        )
    for index, cid in new.items():
        if index in ids:  # re-tag: drop the old entry on that column first
            requests.append(
                {
                    "deleteDeveloperMetadata": {
                        "dataFilter": {
                            "developerMetadataLookup": {
                                "metadataKey": META_KEY,
                                "metadataValue": ids[index],
                                "metadataLocation": {"sheetId": sheet_id},
                            }
                        }
                    }
                }
            )
        requests.append(
            {
                "createDeveloperMetadata": {
                    "developerMetadata": {
                        "metadataKey": META_KEY,
                        "metadataValue": cid,
                        "visibility": "DOCUMENT",
                        "location": {
                            "dimensionRange": {
                                "sheetId": sheet_id,
                                "dimension": "COLUMNS",
                                "startIndex": index,
                                "endIndex": index + 1,
                            }
                        },
                    }
                }
            }
        )
        ids[index] = cid
    client.batch_update(spreadsheet_id, requests)
    return {cid: index for index, cid in ids.items()}
