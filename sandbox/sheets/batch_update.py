"""spreadsheets.batchUpdate: dispatch, atomicity, replies; and the sheet-level requests.

Atomic as Google documents: "If any request is not valid, no requests will be applied." api.py hands
every write handler a working copy of the spreadsheet and commits it only when the handler returns;
an error in request i is reported as `Invalid requests[i].<kind>: <message>` and nothing is kept.
Replies mirror the requests one to one (`{}` for requests without a reply).

| request                          | module                  | reply                        |
|----------------------------------|-------------------------|------------------------------|
| addSheet / deleteSheet           | here                    | addSheet.properties          |
| updateSheetProperties            | here                    | —                            |
| updateSpreadsheetProperties      | here (title, locale…)   | —                            |
| insert/delete/move/appendDimension, sortRange | requests_dimensions.py | —             |
| updateCells, repeatCell, setDataValidation    | requests_cells.py      | —             |
| addProtectedRange                | protection.py           | addProtectedRange            |
| create/update/deleteDeveloperMetadata | metadata.py        | the entries                  |
| formatting-only requests (see FORMATTING_NO_OPS) | accepted, no effect | —              |
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.sheets import (
    a1,
    discovery,
    fieldmask,
    grid,
    limits,
    metadata,
    protection,
    requests_cells,
    requests_dimensions,
    resource,
)
from sandbox.sheets.call import Call
from sandbox.sheets.errors import ApiError, bad_request, not_emulated
from sandbox.sheets.model import Sheet
from sandbox.sheets.requests_dimensions import sheet_of

# Requests that only change how cells look; accepted so a backend's formatting does not fail here.
FORMATTING_NO_OPS = {
    "updateDimensionProperties",
    "autoResizeDimensions",
    "updateBorders",
    "mergeCells",
    "unmergeCells",
    "addConditionalFormatRule",
    "updateConditionalFormatRule",
    "deleteConditionalFormatRule",
    "addBanding",
    "updateBanding",
    "deleteBanding",
    "setBasicFilter",
    "clearBasicFilter",
}


def add_sheet(call: Call, body: dict) -> dict[str, Any]:
    ss = call.spreadsheet
    props = body.get("properties") or {}
    title = props.get("title")
    if title is None:
        n = len(ss.sheets) + 1
        while ss.sheet_by_title(f"Sheet{n}"):
            n += 1
        title = f"Sheet{n}"
    title = str(title)
    if any(s.title.casefold() == title.casefold() for s in ss.sheets):
        raise bad_request(f'A sheet with the name "{title}" already exists. Please enter another name.')
    if "sheetId" in props:
        sheet_id = int(props["sheetId"])
        if sheet_id < 0:
            raise bad_request("sheetId must be non-negative.")
        if ss.sheet_by_id(sheet_id):
            raise bad_request(f"A sheet with the id {sheet_id} already exists.")
    else:
        sheet_id = call.rng.randint(1, 2**31 - 1)
        while ss.sheet_by_id(sheet_id):
            sheet_id = call.rng.randint(1, 2**31 - 1)
    sheet = resource.new_sheet(sheet_id, title, props)
    sheet.hidden = bool(props.get("hidden", False))
    sheet.extra = {k: v for k, v in props.items() if k in ("tabColor", "tabColorStyle", "rightToLeft")}
    index = props.get("index")
    index = len(ss.sheets) if index is None else max(0, min(int(index), len(ss.sheets)))
    ss.sheets.insert(index, sheet)
    return {"properties": resource.sheet_properties(ss, sheet)}


def delete_sheet(call: Call, body: dict) -> None:
    ss = call.spreadsheet
    sheet = sheet_of(ss, body.get("sheetId"))
    if len(ss.sheets) == 1:
        raise bad_request("You can't remove all the sheets in a document.")
    ss.sheets.remove(sheet)
    for meta_id, meta in list(ss.metadata.items()):
        if meta.sheet_id == sheet.sheet_id:
            del ss.metadata[meta_id]
    ss.protected = [p for p in ss.protected if p["range"].get("sheetId", 0) != sheet.sheet_id]


def update_sheet_properties(call: Call, body: dict) -> None:
    ss = call.spreadsheet
    props = body.get("properties") or {}
    sheet = sheet_of(ss, props.get("sheetId"))
    if not body.get("fields"):
        raise bad_request("At least one field must be specified.")
    wanted = fieldmask.paths(body["fields"])
    if "*" in wanted:
        wanted = {k for k in props if k != "gridProperties"} | {
            f"gridProperties.{k}" for k in props.get("gridProperties", {})
        }
    gp = props.get("gridProperties") or {}
    for path in sorted(wanted):
        if path == "gridProperties":
            for key in gp:
                _grid_property(call, sheet, key, gp[key])
        elif path.startswith("gridProperties."):
            _grid_property(call, sheet, path.split(".", 1)[1], gp.get(path.split(".", 1)[1]))
        elif path == "title":
            title = str(props.get("title") or "")
            if not title:
                raise bad_request("A sheet title cannot be empty.")
            if any(s is not sheet and s.title.casefold() == title.casefold() for s in ss.sheets):
                raise bad_request(
                    f'A sheet with the name "{title}" already exists. Please enter another name.'
                )
            sheet.title = title
        elif path == "index":
            _move_sheet(call, sheet, int(props.get("index") or 0))
        elif path == "hidden":
            if props.get("hidden") and sum(not s.hidden for s in ss.sheets) == 1 and not sheet.hidden:
                raise bad_request("You can't hide all the sheets in a document.")
            sheet.hidden = bool(props.get("hidden"))
        elif path == "sheetId":
            if int(props.get("sheetId") or 0) != sheet.sheet_id:
                raise bad_request("sheetId cannot be changed.")
        elif path.split(".")[0] in ("tabColor", "tabColorStyle", "rightToLeft"):
            key = path.split(".")[0]
            sheet.extra[key] = props.get(key)
        elif path.split(".")[0] == "sheetType":
            raise bad_request("sheetType cannot be changed.")
        else:
            raise bad_request(f"Invalid field mask: {path} is not a SheetProperties field.")


def _grid_property(call: Call, sheet: Sheet, key: str, value: Any) -> None:
    ss = call.spreadsheet
    n = int(value or 0)
    if key == "rowCount":
        grid.resize(ss, sheet, rows=max(n, 1))
    elif key == "columnCount":
        grid.resize(ss, sheet, columns=max(n, 1))
    elif key == "frozenRowCount":
        if n >= sheet.row_count:
            raise bad_request("You can't freeze all visible rows on the sheet.")
        sheet.frozen_rows = n
    elif key == "frozenColumnCount":
        if n >= sheet.column_count:
            raise bad_request("You can't freeze all visible columns on the sheet.")
        sheet.frozen_columns = n
    elif key in ("hideGridlines", "rowGroupControlAfter", "columnGroupControlAfter"):
        sheet.extra.setdefault("gridProperties", {})[key] = value  # merged into gridProperties on output
    else:
        raise bad_request(f"Invalid field mask: gridProperties.{key} is not a GridProperties field.")


def _move_sheet(call: Call, sheet: Sheet, index: int) -> None:
    sheets = call.spreadsheet.sheets
    old = sheets.index(sheet)
    index = max(0, min(index, len(sheets)))
    new_index = grid.move_permutation(len(sheets), old, old + 1, index)[old]  # "before the move" indexes
    sheets.remove(sheet)
    sheets.insert(new_index, sheet)


def update_spreadsheet_properties(call: Call, body: dict) -> None:
    ss = call.spreadsheet
    props = body.get("properties") or {}
    if not body.get("fields"):
        raise bad_request("At least one field must be specified.")
    for path in fieldmask.paths(body["fields"]):
        if path in ("title", "*") and props.get("title"):
            ss.title = str(props["title"])
        if path in ("locale", "*") and props.get("locale"):
            ss.locale = str(props["locale"])
        if path in ("timeZone", "*") and props.get("timeZone"):
            ss.time_zone = str(props["timeZone"])


Handler = Callable[[Call, dict], Any]

HANDLERS: dict[str, Handler] = {
    "addSheet": add_sheet,
    "deleteSheet": delete_sheet,
    "updateSheetProperties": update_sheet_properties,
    "updateSpreadsheetProperties": update_spreadsheet_properties,
    "insertDimension": requests_dimensions.insert_dimension,
    "deleteDimension": requests_dimensions.delete_dimension,
    "moveDimension": requests_dimensions.move_dimension,
    "appendDimension": requests_dimensions.append_dimension,
    "sortRange": requests_dimensions.sort_range,
    "updateCells": requests_cells.update_cells,
    "repeatCell": requests_cells.repeat_cell,
    "setDataValidation": requests_cells.set_data_validation,
    "addProtectedRange": lambda call, body: protection.add(call.spreadsheet, body, call.principal, call.rng),
    "createDeveloperMetadata": lambda call, body: metadata.create(
        call.spreadsheet, body, call.principal.project, call.rng
    ),
    "updateDeveloperMetadata": lambda call, body: metadata.update(
        call.spreadsheet, body, call.principal.project
    ),
    "deleteDeveloperMetadata": lambda call, body: metadata.delete(
        call.spreadsheet, body, call.principal.project
    ),
}


def _known_request_kinds() -> set[str]:
    return set(discovery.schema_properties("Request"))


def batch_update(call: Call) -> dict[str, Any]:
    body = call.body
    requests = body.get("requests")
    if not isinstance(requests, list) or not requests:
        raise bad_request("Must specify at least one request.")
    replies = []
    for i, request in enumerate(requests):
        kinds = list(request) if isinstance(request, dict) else []
        if len(kinds) != 1:
            raise bad_request(f"Invalid requests[{i}]: exactly one kind of request must be set.")
        kind = kinds[0]
        try:
            if kind in HANDLERS:
                reply = HANDLERS[kind](call, request[kind] or {})
            elif kind in FORMATTING_NO_OPS:
                reply = None
            elif kind in _known_request_kinds():
                raise not_emulated(f"the batchUpdate request {kind}")
            else:
                raise bad_request(
                    f"Invalid JSON payload received. Unknown name \"{kind}\" at 'requests[{i}]': "
                    "Cannot find field."
                )
            limits.check_cell_count(call.spreadsheet)
        except ApiError as e:
            if e.message.startswith("Invalid JSON payload"):
                raise
            raise e.prefixed(f"Invalid requests[{i}].{kind}") from None
        replies.append({kind: reply} if reply is not None else {})
    out: dict[str, Any] = {"spreadsheetId": call.spreadsheet.spreadsheet_id, "replies": replies}
    if call.flag("includeSpreadsheetInResponse", source=body):
        texts = body.get("responseRanges") or []
        ranges = [a1.parse_range(t, call.spreadsheet.sheet_refs()).grid for t in texts] or None
        out["updatedSpreadsheet"] = resource.build(
            call.spreadsheet,
            call.principal,
            include_grid=call.flag("responseIncludeGridData", source=body),
            ranges=ranges,
            base_url=call.base_url,
        )
    return out
