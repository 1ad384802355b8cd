"""batchUpdate requests that write cells: updateCells, repeatCell and setDataValidation.

Only values, number formats and data validation are emulated: of a CellData, `userEnteredValue`,
`userEnteredFormat.numberFormat` and `dataValidation` are applied; the other CellData fields are accepted
in `fields` and ignored (formatting is not emulated). A `stringValue` is stored as given, never parsed —
as in Google. Formulas written by repeatCell are copied verbatim to every cell (Google shifts relative
references; the sandbox does not evaluate formulas, so it does not).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sandbox.sheets import a1, fieldmask, grid, protection
from sandbox.sheets.call import Call
from sandbox.sheets.errors import bad_request
from sandbox.sheets.input_parse import from_extended
from sandbox.sheets.model import Cell, Sheet, Spreadsheet
from sandbox.sheets.requests_dimensions import sheet_of
from sandbox.sheets.values import grid_limits

CELL_FIELDS = {
    "chipRuns",
    "dataSourceFormula",
    "dataSourceTable",
    "dataValidation",
    "effectiveFormat",
    "effectiveValue",
    "formattedValue",
    "hyperlink",
    "note",
    "pivotTable",
    "textFormatRuns",
    "userEnteredFormat",
    "userEnteredValue",
}
CONDITION_TYPES_WITH_VALUES = {
    "ONE_OF_LIST",
    "ONE_OF_RANGE",
    "NUMBER_BETWEEN",
    "NUMBER_GREATER",
    "TEXT_CONTAINS",
}


def _fields(body: dict) -> set[str]:
    mask = body.get("fields")
    if not mask:
        raise bad_request("At least one field must be specified.")
    wanted = fieldmask.paths(mask)
    if "*" in wanted:
        return set(CELL_FIELDS)
    roots = {p.split(".")[0] for p in wanted}
    unknown = roots - CELL_FIELDS
    if unknown:
        raise bad_request(f"Invalid field mask: unknown CellData field(s) {', '.join(sorted(unknown))}.")
    return roots


def _apply(old: Cell | None, data: dict, fields: set[str], where: str) -> Cell | None:
    cell = old or Cell()
    if "userEnteredValue" in fields:
        new = from_extended(data.get("userEnteredValue"), where)
        cell = (
            replace(cell, value=None, formula=None)
            if new is None
            else replace(new, validation=cell.validation, number_format=cell.number_format)
        )
    if "userEnteredFormat" in fields:
        number_format = ((data.get("userEnteredFormat") or {}).get("numberFormat")) or None
        cell = replace(
            cell,
            number_format=(number_format.get("type", "NUMBER"), number_format.get("pattern", ""))
            if number_format
            else None,
        )
    if "dataValidation" in fields:
        rule = data.get("dataValidation")
        cell = replace(cell, validation=_check_rule(rule) if rule else None)
    if cell.is_blank and cell.validation is None and cell.number_format is None:
        return None
    return cell


def _check_box(call: Call, sheet: Sheet, r0: int, r1: int, c0: int, c1: int) -> None:
    if r1 > sheet.row_count or c1 > sheet.column_count:
        label = a1.format_box(sheet.title, r0, r1, c0, c1)
        raise grid_limits(sheet, label)
    protection.check_write(call.spreadsheet, sheet.sheet_id, r0, r1, c0, c1, call.principal.email)


def update_cells(call: Call, body: dict) -> None:
    ss: Spreadsheet = call.spreadsheet
    fields = _fields(body)
    rows = body.get("rows") or []
    if ("start" in body) == ("range" in body):
        raise bad_request("Exactly one of start or range must be specified.")
    if "start" in body:
        start = body["start"] or {}
        sheet = sheet_of(ss, start.get("sheetId"))
        r0, c0 = int(start.get("rowIndex", 0)), int(start.get("columnIndex", 0))
        r1 = r0 + len(rows)
        c1 = c0 + max((len(r.get("values") or []) for r in rows), default=0)
    else:
        box = a1.GridRange.from_json(body["range"] or {})
        sheet = sheet_of(ss, box.sheet_id)
        b = box.bounded(sheet.row_count, sheet.column_count)
        r0, r1, c0, c1 = b.start_row or 0, b.end_row or 0, b.start_col or 0, b.end_col or 0
        if len(rows) > r1 - r0 or any(len(r.get("values") or []) > c1 - c0 for r in rows):
            raise bad_request("The data in rows does not fit in the range.")
    _check_box(call, sheet, r0, r1, c0, c1)
    for i in range(r1 - r0):
        values = (rows[i].get("values") or []) if i < len(rows) else []
        for j in range(c1 - c0):
            if j >= len(values) and "range" not in body:
                continue  # with `start`, only the cells given are written
            data = values[j] if j < len(values) else {}  # with `range`, uncovered cells are cleared
            r, c = r0 + i, c0 + j
            grid.store(sheet, r, c, _apply(grid.cell_at(sheet, r, c), data, fields, f"rows[{i}].values[{j}]"))


def repeat_cell(call: Call, body: dict) -> None:
    ss = call.spreadsheet
    fields = _fields(body)
    box = a1.GridRange.from_json(body.get("range") or {})
    sheet = sheet_of(ss, box.sheet_id)
    b = box.bounded(sheet.row_count, sheet.column_count)
    r0, r1, c0, c1 = b.start_row or 0, b.end_row or 0, b.start_col or 0, b.end_col or 0
    _check_box(call, sheet, r0, r1, c0, c1)
    data = body.get("cell") or {}
    for r in range(r0, r1):
        for c in range(c0, c1):
            grid.store(sheet, r, c, _apply(grid.cell_at(sheet, r, c), data, fields, "cell"))


def _check_rule(rule: dict[str, Any]) -> dict[str, Any]:
    condition = rule.get("condition") or {}
    kind = condition.get("type")
    if not kind:
        raise bad_request("A data validation rule must have a condition type.")
    if kind in CONDITION_TYPES_WITH_VALUES and not condition.get("values"):
        raise bad_request(f"Condition type {kind} requires at least one value.")
    return rule


def set_data_validation(call: Call, body: dict) -> None:
    ss = call.spreadsheet
    box = a1.GridRange.from_json(body.get("range") or {})
    sheet = sheet_of(ss, box.sheet_id)
    b = box.bounded(sheet.row_count, sheet.column_count)
    rule = _check_rule(body["rule"]) if body.get("rule") else None
    for r in range(b.start_row or 0, b.end_row or 0):
        for c in range(b.start_col or 0, b.end_col or 0):
            grid.set_validation(sheet, r, c, rule)
