"""values.batchGetByDataFilter / batchUpdateByDataFilter / batchClearByDataFilter.

A DataFilter selects ranges: `a1Range` and `gridRange` their range; `developerMetadataLookup` the
location of every visible metadata entry it matches (a ROW entry → that whole row, e.g.
`Sheet1!A6:Z6`; a COLUMN entry → the column; a SHEET entry → the sheet; spreadsheet-level entries
select no cells). When one filter matches several ranges, an update writes its values into each of
them, and fails if the values do not fit any one of them (Google: "If the provided values exceed any of
the ranges matched by the data filter then the request fails"). A filter matching nothing selects
nothing and is not an error.
"""

from __future__ import annotations

from typing import Any

from sandbox.sheets import a1, metadata
from sandbox.sheets.call import Call
from sandbox.sheets.errors import ApiError
from sandbox.sheets.locales import locale_of
from sandbox.sheets.model import Sheet, Spreadsheet
from sandbox.sheets.values import (
    MAJOR_DIMENSIONS,
    BatchTally,
    Target,
    clear_range,
    input_option,
    oriented,
    read_options,
    readable,
    updated_data,
    value_range,
    write,
)


def matched_targets(ss: Spreadsheet, data_filter: dict, project: str) -> list[Target]:
    if "developerMetadataLookup" not in data_filter:
        grid = metadata.filter_range(ss, data_filter)
        sheet = ss.sheet_by_id(grid.sheet_id)
        assert sheet is not None
        return [Target(sheet, grid, _ref(sheet, grid))]
    out = []
    for meta in metadata.matching(ss, data_filter, project):
        sheet = ss.sheet_by_id(meta.sheet_id) if meta.sheet_id is not None else None
        if sheet is None:
            continue
        if meta.location_type == "ROW":
            grid = a1.GridRange(sheet.sheet_id, meta.index, (meta.index or 0) + 1, 0, sheet.column_count)
        elif meta.location_type == "COLUMN":
            grid = a1.GridRange(sheet.sheet_id, 0, sheet.row_count, meta.index, (meta.index or 0) + 1)
        else:
            grid = a1.GridRange(sheet.sheet_id, 0, sheet.row_count, 0, sheet.column_count)
        out.append(Target(sheet, grid, _ref(sheet, grid)))
    return out


def _ref(sheet: Sheet, grid: a1.GridRange) -> str:
    """A multi-cell ref, so writes treat the matched range as a box that must contain the values."""
    text = a1.format_range(sheet.title, grid, sheet.row_count, sheet.column_count).split("!")[-1]
    return text if ":" in text else f"{text}:{text}"


def batch_get(call: Call) -> dict[str, Any]:
    body = call.body
    major, value_render, dt_render = read_options(call, body)
    ss = call.spreadsheet
    found: dict[str, dict[str, Any]] = {}
    for data_filter in body.get("dataFilters") or []:
        for t in matched_targets(ss, data_filter, call.principal.project):
            vr = value_range(t.sheet, readable(t), major, value_render, dt_render, locale_of(ss.locale))
            entry = found.setdefault(vr["range"], {"valueRange": vr, "dataFilters": []})
            entry["dataFilters"].append(data_filter)
    out: dict[str, Any] = {"spreadsheetId": ss.spreadsheet_id}
    if found:
        out["valueRanges"] = list(found.values())
    return out


def batch_update(call: Call) -> dict[str, Any]:
    body = call.body
    ss = call.spreadsheet
    option = input_option(call, body)
    tally = BatchTally()
    for i, item in enumerate(body.get("data") or []):
        try:
            major = call.enum("majorDimension", MAJOR_DIMENSIONS, "ROWS", source=item)
            rows = oriented(item.get("values"), major, "values")
            for t in matched_targets(ss, item.get("dataFilter") or {}, call.principal.project):
                written = write(ss, t, rows, option, call.principal, "values")
                response = written.response(ss.spreadsheet_id)
                response.pop("spreadsheetId")
                response["dataFilter"] = item.get("dataFilter")
                if call.flag("includeValuesInResponse", source=body):
                    _, value_render, dt_render = read_options(call, body, prefix="response")
                    response["updatedData"] = updated_data(ss, written, t, value_render, dt_render)
                tally.add(written, response)
        except ApiError as e:
            raise e.prefixed(f"Invalid data[{i}]") from None
    return tally.answer(ss.spreadsheet_id)


def batch_clear(call: Call) -> dict[str, Any]:
    ss = call.spreadsheet
    cleared: list[str] = []
    for data_filter in call.body.get("dataFilters") or []:
        for t in matched_targets(ss, data_filter, call.principal.project):
            cleared.append(clear_range(ss, t.formatted(), call.principal))
    out: dict[str, Any] = {"spreadsheetId": ss.spreadsheet_id}
    if cleared:
        out["clearedRanges"] = cleared
    return out
