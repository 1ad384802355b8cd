"""Acting as a person in the Sheets UI: the edits a user makes by hand, for tests to provoke.

Each operation is exactly what the UI does — typing (parsed like USER_ENTERED), sorting a range,
inserting / deleting / moving rows and columns, renaming a header — and moves values and row/column
metadata the way the API's equivalent requests do. They bypass quotas and faults (a person is not an
API client) but respect sharing: the acting user must be the owner or an editor. Every operation is
appended to the spreadsheet's edit log with an Apps Script–style `changeType` (EDIT, INSERT_ROW,
REMOVE_ROW, INSERT_COLUMN, REMOVE_COLUMN, OTHER), so a later onEdit/onChange double can replay them.
Rows are numbered from 1 and columns by letter, as the person sees them.
"""

from __future__ import annotations

from typing import Any

from sandbox.sheets import a1, grid, values
from sandbox.sheets.errors import bad_request, permission_denied
from sandbox.sheets.model import Principal, Sheet, Spreadsheet


def _sheet(ss: Spreadsheet, sheet: str | int | None) -> Sheet:
    if sheet is None:
        return ss.sheets[0]
    found = ss.sheet_by_id(sheet) if isinstance(sheet, int) else ss.sheet_by_title(sheet)
    if found is None:
        raise bad_request(f"No sheet {sheet!r} in this spreadsheet.")
    return found


def _column(value: str | int) -> int:
    if isinstance(value, int):
        return value
    if not value.isalpha():
        raise bad_request(f"Not a column letter: {value!r}")
    return a1.column_index(value)


def _log(
    ss: Spreadsheet, now: float, user: str, action: str, change_type: str, sheet: Sheet, **details: Any
) -> dict:
    entry = {
        "at": now,
        "user": user,
        "action": action,
        "changeType": change_type,
        "sheetId": sheet.sheet_id,
        **details,
    }
    ss.edits.append(entry)
    return entry


def _check(ss: Spreadsheet, user: str) -> None:
    if not ss.can_write(user):
        raise permission_denied()


def _sheet_to_edit(ss: Spreadsheet, user: str, sheet: str | int | None) -> Sheet:
    """The tab a person edits, once sharing says they may (permission is checked before the tab)."""
    _check(ss, user)
    return _sheet(ss, sheet)


def edit_cells(ss: Spreadsheet, now: float, user: str, range_text: str, rows: list[list[Any]]) -> dict:
    _check(ss, user)
    t = values.target(ss, range_text)
    written = values.write(ss, t, rows, "USER_ENTERED", Principal(user, ""), "values")
    r0, r1, c0, c1 = written.box
    return _log(
        ss,
        now,
        user,
        "edit_cells",
        "EDIT",
        t.sheet,
        range=a1.format_box(t.sheet.title, r0, max(r1, r0 + 1), c0, max(c1, c0 + 1)),
    )


def sort(
    ss: Spreadsheet, now: float, user: str, range_text: str, column: str | int, ascending: bool, header: bool
) -> dict:
    """Data → Sort range: by one column, optionally with the first row as a header that stays put."""
    _check(ss, user)
    t = values.target(ss, range_text)
    box = values.readable(t)
    r0 = (box.start_row or 0) + (1 if header else 0)
    col = _column(column)
    if not (box.start_col or 0) <= col < (box.end_col or 0):
        raise bad_request("The sort column must be inside the range.")
    grid.sort_range(t.sheet, r0, box.end_row or 0, box.start_col or 0, box.end_col or 0, [(col, ascending)])
    return _log(
        ss,
        now,
        user,
        "sort",
        "OTHER",
        t.sheet,
        range=range_text,
        column=a1.column_letters(col),
        ascending=ascending,
    )


def insert_rows(
    ss: Spreadsheet, now: float, user: str, sheet: str | int | None, row: int, count: int
) -> dict:
    """Insert `count` empty rows above row `row` (1-based)."""
    s = _sheet_to_edit(ss, user, sheet)
    if not 1 <= row <= s.row_count + 1 or count < 1:
        raise bad_request("Row out of range.")
    grid.insert_dimension(ss, s, "ROWS", row - 1, row - 1 + count)
    return _log(ss, now, user, "insert_rows", "INSERT_ROW", s, row=row, count=count)


def delete_rows(
    ss: Spreadsheet, now: float, user: str, sheet: str | int | None, row: int, count: int
) -> dict:
    s = _sheet_to_edit(ss, user, sheet)
    if not 1 <= row or row - 1 + count > s.row_count or count < 1 or count >= s.row_count:
        raise bad_request("Row out of range.")
    grid.delete_dimension(ss, s, "ROWS", row - 1, row - 1 + count)
    return _log(ss, now, user, "delete_rows", "REMOVE_ROW", s, row=row, count=count)


def move_rows(
    ss: Spreadsheet, now: float, user: str, sheet: str | int | None, row: int, count: int, before: int
) -> dict:
    """Drag rows row..row+count-1 so they land before row `before` (numbers as seen before the move)."""
    s = _sheet_to_edit(ss, user, sheet)
    if not 1 <= row or row - 1 + count > s.row_count or not 1 <= before <= s.row_count + 1:
        raise bad_request("Row out of range.")
    if not row <= before <= row + count:
        grid.move_dimension(ss, s, "ROWS", row - 1, row - 1 + count, before - 1)
    return _log(ss, now, user, "move_rows", "OTHER", s, row=row, count=count, before=before)


def insert_columns(
    ss: Spreadsheet, now: float, user: str, sheet: str | int | None, column: str | int, count: int
) -> dict:
    s = _sheet_to_edit(ss, user, sheet)
    col = _column(column)
    if not 0 <= col <= s.column_count or count < 1:
        raise bad_request("Column out of range.")
    grid.insert_dimension(ss, s, "COLUMNS", col, col + count)
    return _log(
        ss, now, user, "insert_columns", "INSERT_COLUMN", s, column=a1.column_letters(col), count=count
    )


def delete_columns(
    ss: Spreadsheet, now: float, user: str, sheet: str | int | None, column: str | int, count: int
) -> dict:
    s = _sheet_to_edit(ss, user, sheet)
    col = _column(column)
    if col + count > s.column_count or count < 1 or count >= s.column_count:
        raise bad_request("Column out of range.")
    grid.delete_dimension(ss, s, "COLUMNS", col, col + count)
    return _log(
        ss, now, user, "delete_columns", "REMOVE_COLUMN", s, column=a1.column_letters(col), count=count
    )


def move_columns(
    ss: Spreadsheet,
    now: float,
    user: str,
    sheet: str | int | None,
    column: str | int,
    count: int,
    before: str | int,
) -> dict:
    s = _sheet_to_edit(ss, user, sheet)
    col, dest = _column(column), _column(before)
    if col + count > s.column_count or not 0 <= dest <= s.column_count:
        raise bad_request("Column out of range.")
    if not col <= dest <= col + count:
        grid.move_dimension(ss, s, "COLUMNS", col, col + count, dest)
    return _log(
        ss, now, user, "move_columns", "OTHER", s, column=a1.column_letters(col), count=count, before=dest
    )


def rename_header(
    ss: Spreadsheet, now: float, user: str, sheet: str | int | None, old: str, new: str, header_row: int = 1
) -> dict:
    s = _sheet_to_edit(ss, user, sheet)
    line = s.rows[header_row - 1] if header_row - 1 < len(s.rows) else []
    for col, cell in enumerate(line):
        if cell is not None and cell.value == old:
            target = values.target(ss, f"{a1.quote_title(s.title)}!{a1.cell_name(header_row - 1, col)}")
            values.write(ss, target, [[new]], "USER_ENTERED", Principal(user, ""), "values")
            return _log(
                ss,
                now,
                user,
                "rename_header",
                "EDIT",
                s,
                cell=a1.cell_name(header_row - 1, col),
                old=old,
                new=new,
            )
    raise bad_request(f"No header {old!r} in row {header_row}.")
