"""spreadsheets.values.append and its table detection.

Google's rule (Sheets API guide, "Append values"): the range is searched for a *table*; values go to the
row after the table's last row, starting in the table's first column. The guide's worked example —
tables A1:C2 and B4:D6 — gives: range `Sheet1`, `B4`, `C5:D5`, `B2:D4` and `A3:G10` all append at B7 (the
last table the range touches), `A1` appends at A3, and `E4` / `A4` (no table) write at E4 / A4.

Here a table is a region of non-empty cells connected horizontally, vertically or diagonally, closed
into its bounding box (boxes that touch are merged, like Excel's "current region"). Among the tables
the range intersects, the one ending lowest wins (then the rightmost). That reproduces the pitfalls a
backend must not fall into: a blank row splits a table, so `A1` appends into the gap (and with
OVERWRITE, more than one row overwrites the rows below the gap); data that starts in column B makes
`A1:Z` append from column B. OVERWRITE grows the grid when writing past its end; INSERT_ROWS inserts
whole rows first (moving rows below, and their metadata, down).
"""

from __future__ import annotations

from typing import Any

from sandbox.sheets import a1, grid, limits
from sandbox.sheets.call import Call
from sandbox.sheets.model import Sheet
from sandbox.sheets.values import (
    MAJOR_DIMENSIONS,
    input_option,
    oriented,
    read_options,
    target,
    updated_data,
    write,
)

Box = tuple[int, int, int, int]  # r0, r1, c0, c1 half-open


def tables(sheet: Sheet) -> list[Box]:
    """Bounding boxes of the sheet's tables (8-connected non-empty cells, touching boxes merged)."""
    filled = {
        (r, c)
        for r, line in enumerate(sheet.rows)
        for c, cell in enumerate(line)
        if cell is not None and not cell.is_blank
    }
    boxes: list[Box] = []
    seen: set[tuple[int, int]] = set()
    for start in sorted(filled):
        if start in seen:
            continue
        stack, r0, r1, c0, c1 = [start], start[0], start[0] + 1, start[1], start[1] + 1
        seen.add(start)
        while stack:
            r, c = stack.pop()
            r0, r1, c0, c1 = min(r0, r), max(r1, r + 1), min(c0, c), max(c1, c + 1)
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    n = (r + dr, c + dc)
                    if n in filled and n not in seen:
                        seen.add(n)
                        stack.append(n)
        boxes.append((r0, r1, c0, c1))
    return _merge_touching(boxes)


def _touch(a: Box, b: Box) -> bool:
    return a[0] <= b[1] and b[0] <= a[1] and a[2] <= b[3] and b[2] <= a[3]


def _merge_touching(boxes: list[Box]) -> list[Box]:
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                if _touch(boxes[i], boxes[j]):
                    a, b = boxes[i], boxes[j]
                    boxes[i] = (min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3]))
                    del boxes[j]
                    merged = True
                    break
            if merged:
                break
    return boxes


def find_table(sheet: Sheet, search: a1.GridRange) -> Box | None:
    """The table values are appended after: the last (lowest, then rightmost) one the range touches."""
    hits = [
        box
        for box in tables(sheet)
        if a1.GridRange(sheet.sheet_id, box[0], box[1], box[2], box[3]).intersects(search)
    ]
    return max(hits, key=lambda b: (b[1], b[3]), default=None)


def append(call: Call) -> dict[str, Any]:
    ss = call.spreadsheet
    option = input_option(call)
    insert = call.enum("insertDataOption", ("OVERWRITE", "INSERT_ROWS"), "OVERWRITE")
    major = call.enum("majorDimension", MAJOR_DIMENSIONS, "ROWS", source=call.body)
    t = target(ss, call.path["range"])
    rows = oriented(call.body.get("values"), major, "values")
    table = find_table(t.sheet, t.grid)
    out: dict[str, Any] = {"spreadsheetId": ss.spreadsheet_id}
    if table is not None:
        out["tableRange"] = a1.format_box(t.sheet.title, *table)
        anchor = (table[1], table[2])
    else:
        anchor = (t.grid.start_row or 0, t.grid.start_col or 0)
    if insert == "INSERT_ROWS" and rows:
        at = min(anchor[0], t.sheet.row_count)
        grid.insert_dimension(ss, t.sheet, "ROWS", at, at + len(rows))
    written = write(ss, t, rows, option, call.principal, "values", anchor=anchor, grow=True)
    limits.check_cell_count(ss)  # both insert options may grow the grid
    updates = written.response(ss.spreadsheet_id)
    if call.flag("includeValuesInResponse"):
        _, value_render, dt_render = read_options(call, prefix="response")
        updates["updatedData"] = updated_data(ss, written, None, value_render, dt_render)
    out["updates"] = updates
    return out
