"""A sheet's cells and the structural edits that move them.

Owns reading and writing cells, the used extent, and insert / delete / move of rows and columns —
which move the cells AND the row/column developer metadata with them, as Google documents for
DeveloperMetadata ("if the associated object is deleted its metadata is deleted too"). Also sorts a
range: a sort moves cell contents only, so row metadata stays on its row index (Google does not
document this case; see README). Knows the model, not HTTP or A1 text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import cmp_to_key

from sandbox.sheets.model import Cell, Sheet, Spreadsheet


def cell_at(sheet: Sheet, row: int, col: int) -> Cell | None:
    if row < len(sheet.rows):
        line = sheet.rows[row]
        if col < len(line):
            return line[col]
    return None


def store(sheet: Sheet, row: int, col: int, cell: Cell | None) -> None:
    """Write exactly `cell` into its slot, growing the ragged rows as far as it needs; the callers decide
    what the cell keeps of the old one."""
    while len(sheet.rows) <= row:
        sheet.rows.append([])
    line = sheet.rows[row]
    if len(line) <= col:
        line.extend([None] * (col + 1 - len(line)))
    line[col] = cell


def put(sheet: Sheet, row: int, col: int, cell: Cell | None) -> None:
    """Set a cell's value. As in Sheets, the cell keeps its data validation and its number format
    unless the new value brings its own format (typing `12%` into a date cell makes it a percent; a
    plain number written into a date cell shows as a date)."""
    old = cell_at(sheet, row, col)
    if old is not None and (old.validation is not None or old.number_format is not None):
        base = cell or Cell()
        cell = replace(
            base,
            validation=base.validation if base.validation is not None else old.validation,
            number_format=base.number_format or old.number_format,
        )
    if cell is None and old is None:
        return
    store(sheet, row, col, cell)


def set_validation(sheet: Sheet, row: int, col: int, rule: dict | None) -> None:
    old = cell_at(sheet, row, col) or Cell()
    cell = replace(old, validation=rule)
    if cell.is_blank and rule is None and cell.number_format is None:
        cell = None
    store(sheet, row, col, cell)


def used_extent(sheet: Sheet) -> tuple[int, int]:
    """(rows, columns) up to the last cell holding a value or formula."""
    rows = cols = 0
    for r, line in enumerate(sheet.rows):
        for c in range(len(line) - 1, -1, -1):
            cell = line[c]
            if cell is not None and not cell.is_blank:
                rows = r + 1
                cols = max(cols, c + 1)
                break
    return rows, cols


def block(sheet: Sheet, r0: int, r1: int, c0: int, c1: int) -> list[list[Cell | None]]:
    """The cells of rows r0..r1 × columns c0..c1 (half-open), stopping after the last stored row."""
    out = []
    for r in range(r0, min(r1, len(sheet.rows))):
        line = sheet.rows[r]
        out.append(line[c0:c1])
    return out


def clear(sheet: Sheet, r0: int, r1: int, c0: int, c1: int) -> None:
    for r in range(r0, min(r1, len(sheet.rows))):
        for c in range(c0, min(c1, len(sheet.rows[r]))):
            if sheet.rows[r][c] is not None:
                put(sheet, r, c, None)


# --- dimensions --------------------------------------------------------------------------------------


def _remap_metadata(
    ss: Spreadsheet, sheet_id: int, dimension: str, remap: Callable[[int], int | None]
) -> None:
    """Apply an index map to the sheet's ROW (or COLUMN) metadata; None deletes the entry."""
    kind = "ROW" if dimension == "ROWS" else "COLUMN"
    for meta_id, meta in list(ss.metadata.items()):
        if meta.sheet_id == sheet_id and meta.location_type == kind and meta.index is not None:
            new = remap(meta.index)
            if new is None:
                del ss.metadata[meta_id]
            elif new != meta.index:
                ss.metadata[meta_id] = replace(meta, index=new)


def insert_dimension(ss: Spreadsheet, sheet: Sheet, dimension: str, start: int, end: int) -> None:
    n = end - start
    if dimension == "ROWS":
        if start < len(sheet.rows):
            sheet.rows[start:start] = [[] for _ in range(n)]
        sheet.row_count += n
    else:
        for line in sheet.rows:
            if start < len(line):
                line[start:start] = [None] * n
        sheet.column_count += n
    _remap_metadata(ss, sheet.sheet_id, dimension, lambda i: i + n if i >= start else i)


def delete_dimension(ss: Spreadsheet, sheet: Sheet, dimension: str, start: int, end: int) -> None:
    n = end - start
    if dimension == "ROWS":
        del sheet.rows[start:end]
        sheet.row_count -= n
    else:
        for line in sheet.rows:
            del line[start:end]
        sheet.column_count -= n
    _remap_metadata(
        ss, sheet.sheet_id, dimension, lambda i: None if start <= i < end else (i - n if i >= end else i)
    )


def move_permutation(count: int, start: int, end: int, destination: int) -> list[int]:
    """new_index[old_index] for moving [start, end) before `destination` (pre-removal coordinates)."""
    order = list(range(count))
    moved = order[start:end]
    del order[start:end]
    at = destination if destination < start else destination - (end - start)
    order[at:at] = moved
    new_index = [0] * count
    for new, old in enumerate(order):
        new_index[old] = new
    return new_index


def move_dimension(
    ss: Spreadsheet, sheet: Sheet, dimension: str, start: int, end: int, destination: int
) -> None:
    count = sheet.row_count if dimension == "ROWS" else sheet.column_count
    new_index = move_permutation(count, start, end, destination)

    def permute(items: list) -> list:
        padded = items + [None if dimension == "COLUMNS" else []] * (count - len(items))
        out = [padded[0]] * count
        for old, item in enumerate(padded):
            out[new_index[old]] = item
        return out

    if dimension == "ROWS":
        sheet.rows = [list(line) for line in permute(sheet.rows[:count])]
    else:
        sheet.rows = [permute(line[:count]) for line in sheet.rows]
    _trim(sheet)
    _remap_metadata(ss, sheet.sheet_id, dimension, lambda i: new_index[i] if i < count else i)


def _trim(sheet: Sheet) -> None:
    for line in sheet.rows:
        while line and line[-1] is None:
            line.pop()
    while sheet.rows and not sheet.rows[-1]:
        sheet.rows.pop()


def resize(ss: Spreadsheet, sheet: Sheet, rows: int | None = None, columns: int | None = None) -> None:
    """Set the grid size; shrinking deletes the cut-off rows/columns (and their metadata)."""
    if rows is not None:
        if rows < sheet.row_count:
            delete_dimension(ss, sheet, "ROWS", rows, sheet.row_count)
        else:
            sheet.row_count = rows
    if columns is not None:
        if columns < sheet.column_count:
            delete_dimension(ss, sheet, "COLUMNS", columns, sheet.column_count)
        else:
            sheet.column_count = columns


# --- sort --------------------------------------------------------------------------------------------


def _rank(cell: Cell) -> tuple[int, object]:
    value = cell.value if cell.value is not None else cell.formula
    if isinstance(value, bool):
        return 2, value
    if isinstance(value, float):
        return 0, value
    return 1, str(value).casefold()


def sort_range(sheet: Sheet, r0: int, r1: int, c0: int, c1: int, specs: list[tuple[int, bool]]) -> None:
    """Sort rows r0..r1 of columns c0..c1 by (column, ascending) specs, as Sheets orders values:
    numbers (and dates) < text (case-insensitive) < booleans, and empty cells last in either order.
    Cells outside c0..c1 stay where they are; the sort is stable."""
    r1 = min(r1, len(sheet.rows))
    if r1 - r0 < 2:
        return
    slices = [[cell_at(sheet, r, c) for c in range(c0, c1)] for r in range(r0, r1)]

    def compare(a: list[Cell | None], b: list[Cell | None]) -> int:
        for col, ascending in specs:
            x, y = a[col - c0], b[col - c0]
            x_blank, y_blank = x is None or x.is_blank, y is None or y.is_blank
            if x_blank and y_blank:
                continue
            if x_blank or y_blank:
                return 1 if x_blank else -1
            kx, ky = _rank(x), _rank(y)  # type: ignore[arg-type]
            if kx != ky:
                result = -1 if kx < ky else 1  # type: ignore[operator]
                return result if ascending else -result
        return 0

    ordered = sorted(slices, key=cmp_to_key(compare))
    for offset, line in enumerate(ordered):
        for j, cell in enumerate(line):
            _place(sheet, r0 + offset, c0 + j, cell)


def _place(sheet: Sheet, row: int, col: int, cell: Cell | None) -> None:
    """Put a cell exactly (validation travels with the cell, as with a sort in the UI)."""
    if cell is None and cell_at(sheet, row, col) is None:
        return
    store(sheet, row, col, cell)
