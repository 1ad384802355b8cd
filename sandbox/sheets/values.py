"""The spreadsheets.values.* endpoints: get, batchGet, update, batchUpdate, clear, batchClear.

(append lives in append.py, the *ByDataFilter variants in values_filters.py.) Shared here: resolving a
range for reading (clipped to the grid; 400 "exceeds grid limits" only when it starts outside it),
writing a values array (a one-cell range is an anchor the values may extend from; a larger range must
contain them, else Google's "Requested writing within range […], but tried writing to row [n]"; writes
past the grid's size are refused with "exceeds grid limits"), and the response shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.sheets import a1, grid, protection, render
from sandbox.sheets.call import Call, check_enum
from sandbox.sheets.errors import ApiError, bad_request
from sandbox.sheets.input_parse import SKIP, parse_value
from sandbox.sheets.locales import EN_US, SheetLocale, locale_of
from sandbox.sheets.model import Cell, Principal, Sheet, Spreadsheet

MAJOR_DIMENSIONS = ("ROWS", "COLUMNS")
INPUT_OPTIONS = ("RAW", "USER_ENTERED")


@dataclass(frozen=True)
class Target:
    sheet: Sheet
    grid: a1.GridRange  # as written: open ends stay None
    ref: str | None

    def label(self) -> str:
        """The range as Google echoes it in grid-limit errors: the title re-quoted, the cells as written."""
        return f"{a1.quote_title(self.sheet.title)}!{self.ref}" if self.ref else self.formatted()

    def bounded(self) -> a1.GridRange:
        return self.grid.bounded(self.sheet.row_count, self.sheet.column_count)

    def formatted(self) -> str:
        return a1.format_range(self.sheet.title, self.grid, self.sheet.row_count, self.sheet.column_count)


def target(ss: Spreadsheet, text: str) -> Target:
    parsed = a1.parse_range(text, ss.sheet_refs())
    sheet = ss.sheet_by_id(parsed.grid.sheet_id)
    assert sheet is not None
    return Target(sheet, parsed.grid, parsed.ref)


def grid_limits(sheet: Sheet, label: str) -> ApiError:
    return bad_request(
        f"Range ({label}) exceeds grid limits. Max rows: {sheet.row_count}, max columns: {sheet.column_count}"
    )


def readable(t: Target) -> a1.GridRange:
    """The range clipped to the grid; a range that starts outside the grid is an error."""
    if (t.grid.start_row or 0) >= t.sheet.row_count or (t.grid.start_col or 0) >= t.sheet.column_count:
        raise grid_limits(t.sheet, t.label())
    return t.bounded()


def value_range(
    sheet: Sheet,
    box: a1.GridRange,
    major: str,
    value_render: str,
    dt_render: str,
    loc: SheetLocale = EN_US,
) -> dict[str, Any]:
    r0, r1, c0, c1 = box.start_row or 0, box.end_row or 0, box.start_col or 0, box.end_col or 0
    out: dict[str, Any] = {
        "range": a1.format_box(sheet.title, r0, r1, c0, c1),
        "majorDimension": major,
    }
    values = render.values_matrix(grid.block(sheet, r0, r1, c0, c1), major, value_render, dt_render, loc)
    if values:
        out["values"] = values
    return out


def read_options(call: Call, source: dict | None = None, prefix: str = "") -> tuple[str, str, str]:
    def name(n: str) -> str:
        return f"{prefix}{n[0].upper()}{n[1:]}" if prefix else n

    major = call.enum("majorDimension", MAJOR_DIMENSIONS, "ROWS", source=source) if not prefix else "ROWS"
    value_render = call.enum(
        name("valueRenderOption"), render.VALUE_RENDER_OPTIONS, "FORMATTED_VALUE", source=source
    )
    dt_render = call.enum(
        name("dateTimeRenderOption"), render.DATETIME_RENDER_OPTIONS, "SERIAL_NUMBER", source=source
    )
    return major, value_render, dt_render


def input_option(call: Call, source: dict | None = None) -> str:
    raw = (source if source is not None else call.params).get("valueInputOption")
    if raw in (None, "", "INPUT_VALUE_OPTION_UNSPECIFIED"):
        raise bad_request("Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED")
    return check_enum("valueInputOption", str(raw), INPUT_OPTIONS)


# --- writing -------------------------------------------------------------------------------------------


def oriented(values: Any, major: str, where: str) -> list[list[Any]]:
    """The values array as rows (a COLUMNS array is transposed; ragged columns stay ragged)."""
    if values is None:
        return []
    if not isinstance(values, list) or any(not isinstance(v, list) for v in values):
        raise bad_request(f"Invalid {where}: values must be a list of lists")
    if major != "COLUMNS":
        return values
    height = max((len(col) for col in values), default=0)
    return [[col[i] if i < len(col) else None for col in values] for i in range(height)]


@dataclass
class Written:
    sheet: Sheet
    box: tuple[int, int, int, int]  # the footprint of the values written (r0, r1, c0, c1)
    rows: int
    columns: int
    cells: int

    def response(self, spreadsheet_id: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "spreadsheetId": spreadsheet_id,
            "updatedRange": a1.format_box(self.sheet.title, *self._box4()),
        }
        if self.cells:
            out.update(updatedRows=self.rows, updatedColumns=self.columns, updatedCells=self.cells)
        return out

    def _box4(self) -> tuple[int, int, int, int]:
        r0, r1, c0, c1 = self.box
        return r0, max(r1, r0 + 1), c0, max(c1, c0 + 1)


@dataclass
class BatchTally:
    """What a values batch update answers: each write's response, and totals that Google gives only
    when some write changed cells."""

    responses: list[dict[str, Any]] = field(default_factory=list)
    rows: int = 0
    columns: int = 0
    cells: int = 0
    sheets: set[int] = field(default_factory=set)

    def add(self, written: Written, response: dict[str, Any]) -> None:
        self.responses.append(response)
        self.rows += written.rows
        self.columns += written.columns
        self.cells += written.cells
        if written.cells:
            self.sheets.add(written.sheet.sheet_id)

    def answer(self, spreadsheet_id: str) -> dict[str, Any]:
        out: dict[str, Any] = {"spreadsheetId": spreadsheet_id}
        if self.cells:
            out.update(
                totalUpdatedRows=self.rows,
                totalUpdatedColumns=self.columns,
                totalUpdatedCells=self.cells,
                totalUpdatedSheets=len(self.sheets),
            )
        if self.responses:
            out["responses"] = self.responses
        return out


def write(
    ss: Spreadsheet,
    t: Target,
    rows: list[list[Any]],
    option: str,
    principal: Principal,
    where: str,
    *,
    anchor: tuple[int, int] | None = None,
    grow: bool = False,
) -> Written:
    """Write oriented rows into the target (or at `anchor`, as append does), all checks first."""
    sheet = t.sheet
    r0, c0 = anchor if anchor else (t.grid.start_row or 0, t.grid.start_col or 0)
    height = len(rows)
    width = max((len(r) for r in rows), default=0)
    single_cell = anchor is None and t.ref is not None and ":" not in t.ref
    if anchor is None and not single_cell:
        if t.grid.end_row is not None and r0 + height > t.grid.end_row:
            raise bad_request(
                f"Requested writing within range [{t.formatted()}], "
                f"but tried writing to row [{t.grid.end_row + 1}]"
            )
        if t.grid.end_col is not None and c0 + width > t.grid.end_col:
            raise bad_request(
                f"Requested writing within range [{t.formatted()}], but tried writing to column "
                f"[{a1.column_letters(t.grid.end_col)}]"
            )
    if grow:
        sheet.row_count = max(sheet.row_count, r0 + height)
        sheet.column_count = max(sheet.column_count, c0 + width)
    elif r0 + max(height, 1) > sheet.row_count or c0 + max(width, 1) > sheet.column_count:
        label = a1.format_box(sheet.title, r0, r0 + max(height, 1), c0, c0 + max(width, 1))
        raise grid_limits(sheet, label)
    protection.check_write(ss, sheet.sheet_id, r0, r0 + height, c0, c0 + width, principal.email)
    loc = locale_of(ss.locale)
    parsed: list[tuple[int, int, Cell | None]] = []
    touched_rows, touched_cols = set(), set()
    for i, line in enumerate(rows):
        for j, raw in enumerate(line):
            cell = parse_value(raw, option, f"{where}[{i}][{j}]", loc)
            if cell is SKIP:
                continue
            parsed.append((r0 + i, c0 + j, cell))  # type: ignore[arg-type]
            touched_rows.add(i)
            touched_cols.add(j)
    for r, c, cell in parsed:
        grid.put(sheet, r, c, cell)
    return Written(
        sheet, (r0, r0 + height, c0, c0 + width), len(touched_rows), len(touched_cols), len(parsed)
    )


def updated_data(
    ss: Spreadsheet, w: Written, t: Target | None, value_render: str, dt_render: str
) -> dict[str, Any]:
    r0, r1, c0, c1 = w._box4()
    box = a1.GridRange(w.sheet.sheet_id, r0, r1, c0, c1)
    if t is not None and t.ref is not None and ":" in t.ref:
        box = t.bounded()  # Google answers the whole requested range when it was larger than the values
    return value_range(w.sheet, box, "ROWS", value_render, dt_render, locale_of(ss.locale))


# --- endpoints -----------------------------------------------------------------------------------------


def get(call: Call) -> dict[str, Any]:
    major, value_render, dt_render = read_options(call)
    t = target(call.spreadsheet, call.path["range"])
    loc = locale_of(call.spreadsheet.locale)
    return value_range(t.sheet, readable(t), major, value_render, dt_render, loc)


def batch_get(call: Call) -> dict[str, Any]:
    major, value_render, dt_render = read_options(call)
    ranges = call.params.getlist("ranges")
    loc = locale_of(call.spreadsheet.locale)
    out: dict[str, Any] = {"spreadsheetId": call.spreadsheet.spreadsheet_id}
    if ranges:
        out["valueRanges"] = []
        for text in ranges:
            t = target(call.spreadsheet, text)
            vr = value_range(t.sheet, readable(t), major, value_render, dt_render, loc)
            out["valueRanges"].append(vr)
    return out


def _update_one(call: Call, vr: dict, range_text: str, option: str, where: str) -> tuple[Written, Target]:
    major = call.enum("majorDimension", MAJOR_DIMENSIONS, "ROWS", source=vr)
    t = target(call.spreadsheet, range_text)
    rows = oriented(vr.get("values"), major, where)
    return write(call.spreadsheet, t, rows, option, call.principal, where), t


def update(call: Call) -> dict[str, Any]:
    option = input_option(call)
    url_range = call.path["range"]
    body_range = call.body.get("range")
    if body_range and target(call.spreadsheet, body_range).grid != target(call.spreadsheet, url_range).grid:
        raise bad_request(
            f"Requested update range [{url_range}] does not match the range in the body [{body_range}]."
        )
    written, t = _update_one(call, call.body, url_range, option, "values")
    out = written.response(call.spreadsheet.spreadsheet_id)
    if call.flag("includeValuesInResponse"):
        _, value_render, dt_render = read_options(call, prefix="response")
        out["updatedData"] = updated_data(call.spreadsheet, written, t, value_render, dt_render)
    return out


def batch_update(call: Call) -> dict[str, Any]:
    body = call.body
    option = input_option(call, body)
    tally = BatchTally()
    for i, vr in enumerate(body.get("data") or []):
        try:
            written, t = _update_one(call, vr, str(vr.get("range", "")), option, "values")
        except ApiError as e:
            raise e.prefixed(f"Invalid data[{i}]") from None
        response = written.response(call.spreadsheet.spreadsheet_id)
        if call.flag("includeValuesInResponse", source=body):
            _, value_render, dt_render = read_options(call, body, prefix="response")
            response["updatedData"] = updated_data(call.spreadsheet, written, t, value_render, dt_render)
        tally.add(written, response)
    return tally.answer(call.spreadsheet.spreadsheet_id)


def clear_range(ss: Spreadsheet, text: str, principal: Principal) -> str:
    t = target(ss, text)
    box = readable(t)
    r0, r1, c0, c1 = box.start_row or 0, box.end_row or 0, box.start_col or 0, box.end_col or 0
    protection.check_write(ss, t.sheet.sheet_id, r0, r1, c0, c1, principal.email)
    grid.clear(t.sheet, r0, r1, c0, c1)
    return a1.format_box(t.sheet.title, r0, r1, c0, c1)


def clear(call: Call) -> dict[str, Any]:
    cleared = clear_range(call.spreadsheet, call.path["range"], call.principal)
    return {"spreadsheetId": call.spreadsheet.spreadsheet_id, "clearedRange": cleared}


def batch_clear(call: Call) -> dict[str, Any]:
    cleared = [
        clear_range(call.spreadsheet, str(text), call.principal) for text in call.body.get("ranges") or []
    ]
    out: dict[str, Any] = {"spreadsheetId": call.spreadsheet.spreadsheet_id}
    if cleared:
        out["clearedRanges"] = cleared
    return out
