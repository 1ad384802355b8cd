"""batchUpdate requests that change rows and columns: insertDimension, deleteDimension,
moveDimension, appendDimension and sortRange. Each validates against the grid, then calls grid.py,
which moves values and row/column developer metadata together.
"""

from __future__ import annotations

from typing import Any

from sandbox.sheets import a1, grid
from sandbox.sheets.call import Call
from sandbox.sheets.errors import bad_request
from sandbox.sheets.model import Sheet, Spreadsheet
from sandbox.sheets.values import grid_limits


def sheet_of(ss: Spreadsheet, sheet_id: Any) -> Sheet:
    sheet = ss.sheet_by_id(int(sheet_id or 0))
    if sheet is None:
        raise bad_request(f"No grid with id: {int(sheet_id or 0)}")
    return sheet


def _dimension(value: Any) -> str:
    if value not in ("ROWS", "COLUMNS"):
        raise bad_request(f"Invalid dimension: {value}. Expected ROWS or COLUMNS.")
    return value


def _count(sheet: Sheet, dimension: str) -> int:
    return sheet.row_count if dimension == "ROWS" else sheet.column_count


def _dimension_range(ss: Spreadsheet, body: dict, *, bounded: bool) -> tuple[Sheet, str, int, int]:
    dr = body or {}
    sheet = sheet_of(ss, dr.get("sheetId"))
    dimension = _dimension(dr.get("dimension"))
    count = _count(sheet, dimension)
    start, end = dr.get("startIndex"), dr.get("endIndex")
    if bounded and (start is None or end is None):
        raise bad_request("range must have both startIndex and endIndex set.")
    start = 0 if start is None else int(start)
    end = count if end is None else int(end)
    if start < 0 or end <= start:
        raise bad_request(f"range is empty or invalid: startIndex {start}, endIndex {end}.")
    return sheet, dimension, start, end


def _past_grid(sheet: Sheet, dimension: str, start: int, end: int) -> Exception:
    if dimension == "ROWS":
        label = f"{a1.quote_title(sheet.title)}!{start + 1}:{end}"
    else:
        label = f"{a1.quote_title(sheet.title)}!{a1.column_letters(start)}:{a1.column_letters(end - 1)}"
    return grid_limits(sheet, label)


def _existing_range(ss: Spreadsheet, body: dict, *, bounded: bool) -> tuple[Sheet, str, int, int, int]:
    """A range that must lie inside the grid, as delete and move need; also the dimension's size."""
    sheet, dimension, start, end = _dimension_range(ss, body, bounded=bounded)
    count = _count(sheet, dimension)
    if end > count:
        raise _past_grid(sheet, dimension, start, end)
    return sheet, dimension, start, end, count


def insert_dimension(call: Call, body: dict) -> None:
    ss = call.spreadsheet
    sheet, dimension, start, end = _dimension_range(ss, body.get("range"), bounded=True)
    if start > _count(sheet, dimension):
        raise _past_grid(sheet, dimension, start, end)
    if body.get("inheritFromBefore") and start == 0:
        raise bad_request("Cannot inherit from before when inserting at index 0.")
    grid.insert_dimension(ss, sheet, dimension, start, end)


def delete_dimension(call: Call, body: dict) -> None:
    ss = call.spreadsheet
    sheet, dimension, start, end, count = _existing_range(ss, body.get("range"), bounded=False)
    if end - start >= count:
        noun = "rows" if dimension == "ROWS" else "columns"
        raise bad_request(f"You can't delete all the {noun} on the sheet.")
    frozen = sheet.frozen_rows if dimension == "ROWS" else sheet.frozen_columns
    if frozen and start <= frozen and end >= count:
        noun = "rows" if dimension == "ROWS" else "columns"
        raise bad_request(f"Sorry, it is not possible to delete all non-frozen {noun}.")
    grid.delete_dimension(ss, sheet, dimension, start, end)


def move_dimension(call: Call, body: dict) -> None:
    ss = call.spreadsheet
    sheet, dimension, start, end, count = _existing_range(ss, body.get("source"), bounded=True)
    destination = body.get("destinationIndex")
    if destination is None or not 0 <= int(destination) <= count:
        raise bad_request(f"destinationIndex must be between 0 and {count}.")
    destination = int(destination)
    if start <= destination <= end:
        return  # moving a block onto itself changes nothing
    grid.move_dimension(ss, sheet, dimension, start, end, destination)


def append_dimension(call: Call, body: dict) -> None:
    ss = call.spreadsheet
    sheet = sheet_of(ss, body.get("sheetId"))
    dimension = _dimension(body.get("dimension"))
    length = int(body.get("length") or 0)
    if length < 1:
        raise bad_request("length must be greater than 0.")
    if dimension == "ROWS":
        sheet.row_count += length
    else:
        sheet.column_count += length


def sort_range(call: Call, body: dict) -> None:
    ss = call.spreadsheet
    box = a1.GridRange.from_json(body.get("range") or {})
    sheet = sheet_of(ss, box.sheet_id)
    bounded = box.bounded(sheet.row_count, sheet.column_count)
    r0, r1, c0, c1 = (
        bounded.start_row or 0,
        bounded.end_row or 0,
        bounded.start_col or 0,
        bounded.end_col or 0,
    )
    specs = []
    for spec in body.get("sortSpecs") or []:
        if "dataSourceColumnReference" in spec or "backgroundColor" in spec or "foregroundColor" in spec:
            raise bad_request("The sandbox sorts by dimensionIndex only (no colour or data source sorts).")
        column = int(spec.get("dimensionIndex", 0))
        if not c0 <= column < c1:
            raise bad_request(f"Sort column {column} is outside the range being sorted.")
        order = spec.get("sortOrder", "ASCENDING")
        if order not in ("ASCENDING", "DESCENDING", "SORT_ORDER_UNSPECIFIED"):
            raise bad_request(f"Invalid sortOrder: {order}")
        specs.append((column, order != "DESCENDING"))
    if not specs:
        raise bad_request("At least one sort spec must be specified.")
    grid.sort_range(sheet, r0, r1, c0, c1, specs)
