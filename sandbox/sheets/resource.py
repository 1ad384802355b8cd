"""The Spreadsheet resource: spreadsheets.create, spreadsheets.get and spreadsheets.getByDataFilter.

`get` answers properties, sheets (properties, developerMetadata, protectedRanges) and the
spreadsheet-level developerMetadata; grid data only with `includeGridData=true` or a `fields` mask that
selects `sheets.data`. `ranges` (or the data filters) limit the grid data AND the sheets returned to
those the ranges touch. Metadata is listed where the resource puts it: spreadsheet entries in the
top-level `developerMetadata`, sheet entries in `sheets[].developerMetadata`, row and column entries in
the grid data's `rowMetadata[].developerMetadata` / `columnMetadata[].developerMetadata`.
"""

from __future__ import annotations

import secrets
from typing import Any

from sandbox.sheets import a1, fieldmask, grid, limits, metadata, protection, render
from sandbox.sheets.call import Call
from sandbox.sheets.errors import bad_request
from sandbox.sheets.input_parse import from_extended
from sandbox.sheets.locales import locale_of
from sandbox.sheets.model import DEFAULT_COLUMNS, DEFAULT_ROWS, Principal, Sheet, Spreadsheet
from sandbox.sheets.values_filters import matched_targets

ROW_PIXELS, COLUMN_PIXELS = 21, 100


def new_spreadsheet_id() -> str:
    return secrets.token_urlsafe(33)  # 44 URL-safe characters, like Google's ids


def new_sheet(sheet_id: int, title: str, props: dict[str, Any]) -> Sheet:
    """An empty sheet sized by SheetProperties' `gridProperties` (Google's defaults where missing)."""
    gp = props.get("gridProperties") or {}
    return Sheet(
        sheet_id,
        title,
        int(gp.get("rowCount") or DEFAULT_ROWS),
        int(gp.get("columnCount") or DEFAULT_COLUMNS),
        int(gp.get("frozenRowCount") or 0),
        int(gp.get("frozenColumnCount") or 0),
    )


def sheet_properties(ss: Spreadsheet, sheet: Sheet) -> dict[str, Any]:
    grid_props: dict[str, Any] = {"rowCount": sheet.row_count, "columnCount": sheet.column_count}
    if sheet.frozen_rows:
        grid_props["frozenRowCount"] = sheet.frozen_rows
    if sheet.frozen_columns:
        grid_props["frozenColumnCount"] = sheet.frozen_columns
    props: dict[str, Any] = {
        "sheetId": sheet.sheet_id,
        "title": sheet.title,
        "index": ss.sheets.index(sheet),
        "sheetType": "GRID",
        "gridProperties": grid_props,
    }
    if sheet.hidden:
        props["hidden"] = True
    for key, value in sheet.extra.items():
        if key == "gridProperties":
            grid_props.update(value)
        else:
            props[key] = value
    return props


def _grid_data(ss: Spreadsheet, sheet: Sheet, box: a1.GridRange, project: str) -> dict[str, Any]:
    b = box.bounded(sheet.row_count, sheet.column_count)
    r0, r1, c0, c1 = b.start_row or 0, b.end_row or 0, b.start_col or 0, b.end_col or 0
    row_data = []
    for line in grid.block(sheet, r0, r1, c0, c1):
        values = [render.cell_data(c, locale_of(ss.locale)) for c in line]
        while values and not values[-1]:
            values.pop()
        row_data.append({"values": values} if values else {})
    while row_data and not row_data[-1]:
        row_data.pop()
    by_row: dict[int, list] = {}
    by_col: dict[int, list] = {}
    for meta in ss.metadata.values():
        if meta.sheet_id == sheet.sheet_id and metadata.visible(meta, project) and meta.index is not None:
            target = (
                by_row if meta.location_type == "ROW" else by_col if meta.location_type == "COLUMN" else None
            )
            if target is not None:
                target.setdefault(meta.index, []).append(meta.to_api())

    def dimension(index: int, pixels: int, found: dict[int, list]) -> dict[str, Any]:
        out: dict[str, Any] = {"pixelSize": pixels}
        if index in found:
            out["developerMetadata"] = found[index]
        return out

    data: dict[str, Any] = {}
    if r0:
        data["startRow"] = r0
    if c0:
        data["startColumn"] = c0
    if row_data:
        data["rowData"] = row_data
    data["rowMetadata"] = [dimension(i, ROW_PIXELS, by_row) for i in range(r0, r1)]
    data["columnMetadata"] = [dimension(i, COLUMN_PIXELS, by_col) for i in range(c0, c1)]
    return data


def build(
    ss: Spreadsheet,
    principal: Principal,
    *,
    include_grid: bool = False,
    ranges: list[a1.GridRange] | None = None,
    base_url: str = "",
) -> dict[str, Any]:
    project = principal.project
    sheets_json = []
    for sheet in ss.sheets:
        boxes = (
            [a1.GridRange(sheet.sheet_id)]
            if ranges is None
            else [r for r in ranges if r.sheet_id == sheet.sheet_id]
        )
        if not boxes:
            continue
        entry: dict[str, Any] = {"properties": sheet_properties(ss, sheet)}
        if include_grid:
            entry["data"] = [_grid_data(ss, sheet, box, project) for box in boxes]
        protected = protection.for_sheet(ss, sheet.sheet_id, principal.email)
        if protected:
            entry["protectedRanges"] = protected
        metas = [
            m.to_api()
            for m in ss.metadata.values()
            if m.sheet_id == sheet.sheet_id and m.location_type == "SHEET" and metadata.visible(m, project)
        ]
        if metas:
            entry["developerMetadata"] = metas
        sheets_json.append(entry)
    out: dict[str, Any] = {
        "spreadsheetId": ss.spreadsheet_id,
        "properties": {
            "title": ss.title,
            "locale": ss.locale,
            "autoRecalc": "ON_CHANGE",
            "timeZone": ss.time_zone,
        },
        "sheets": sheets_json,
    }
    top = [
        m.to_api()
        for m in ss.metadata.values()
        if m.location_type == "SPREADSHEET" and metadata.visible(m, project)
    ]
    if top:
        out["developerMetadata"] = top
    out["spreadsheetUrl"] = f"{base_url}/_sandbox/view/{ss.spreadsheet_id}"
    return out


def wants_grid(call: Call, flag: str = "includeGridData", source: dict | None = None) -> bool:
    """Grid data is sent when asked for, or when a `fields` mask selects sheets.data (Google: a mask
    takes precedence over includeGridData)."""
    mask = call.params.get("fields")
    if mask:
        return fieldmask.selects(fieldmask.parse(mask), "sheets", "data")
    return call.flag(flag, source=source)


def get(call: Call) -> dict[str, Any]:
    ss = call.spreadsheet
    texts = call.params.getlist("ranges")
    ranges = [a1.parse_range(t, ss.sheet_refs()).grid for t in texts] if texts else None
    return build(ss, call.principal, include_grid=wants_grid(call), ranges=ranges, base_url=call.base_url)


def get_by_data_filter(call: Call) -> dict[str, Any]:
    ss = call.spreadsheet
    filters = call.body.get("dataFilters") or []
    ranges: list[a1.GridRange] | None = None
    if filters:
        ranges = [t.grid for f in filters for t in matched_targets(ss, f, call.principal.project)]
    include = wants_grid(call, source=call.body)
    return build(ss, call.principal, include_grid=include, ranges=ranges, base_url=call.base_url)


def create(call: Call, owner: str) -> Spreadsheet:
    """spreadsheets.create: title, sheets (properties and optional rowData values) from the body."""
    body = call.body
    props = body.get("properties") or {}
    ss = Spreadsheet(new_spreadsheet_id(), str(props.get("title") or "Untitled spreadsheet"), owner)
    if props.get("locale"):
        ss.locale = str(props["locale"])
    if props.get("timeZone"):
        ss.time_zone = str(props["timeZone"])
    for i, sheet_json in enumerate(body.get("sheets") or [{}]):
        sp = sheet_json.get("properties") or {}
        sheet_id = (
            int(sp["sheetId"]) if "sheetId" in sp else (0 if i == 0 else call.rng.randint(1, 2**31 - 1))
        )
        title = str(sp.get("title") or f"Sheet{i + 1}")
        if ss.sheet_by_id(sheet_id) or ss.sheet_by_title(title):
            raise bad_request(f'A sheet with the name "{title}" or id {sheet_id} already exists.')
        sheet = new_sheet(sheet_id, title, sp)
        for data in sheet_json.get("data") or []:
            r0, c0 = int(data.get("startRow", 0)), int(data.get("startColumn", 0))
            for i_row, row in enumerate(data.get("rowData") or []):
                for j, cell_json in enumerate(row.get("values") or []):
                    cell = from_extended(cell_json.get("userEnteredValue"), f"rowData[{i_row}].values[{j}]")
                    if cell is not None:
                        grid.put(sheet, r0 + i_row, c0 + j, cell)
        ss.sheets.append(sheet)
    limits.check_cell_count(ss)
    return ss
