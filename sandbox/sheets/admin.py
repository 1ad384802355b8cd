"""The `/_sandbox/` blueprint: set up, inspect, and poke the emulator (JSON in, JSON out).

Not part of Google's API: no quotas, faults or counters apply here. Errors use the same
`{"error": {...}}` shape as the API. Every endpoint is listed in README.md ("Admin API"); client.py
wraps them one method each.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, jsonify, request

from sandbox.sheets import grid, person, render
from sandbox.sheets.errors import ApiError, bad_request, not_found
from sandbox.sheets.input_parse import SKIP, parse_value
from sandbox.sheets.locales import locale_of
from sandbox.sheets.model import DEFAULT_COLUMNS, DEFAULT_ROWS, Sheet, Spreadsheet
from sandbox.sheets.resource import new_spreadsheet_id
from sandbox.sheets.state import SheetsState


def blueprint(name: str, import_name: str) -> Blueprint:
    """A `/_sandbox` blueprint that answers errors in Google's JSON shape (a ValueError as a 400); the
    knobs in admin_knobs.py use it too."""
    bp = Blueprint(name, import_name, url_prefix="/_sandbox")
    bp.register_error_handler(ApiError, lambda error: (jsonify(error.body()), error.code))
    bp.register_error_handler(ValueError, lambda error: (jsonify(bad_request(str(error)).body()), 400))
    return bp


def state() -> SheetsState:
    return current_app.extensions["sheets_sandbox"]


bp = blueprint("sheets_admin", __name__)


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None and request.get_data().strip():
        raise bad_request("The body must be JSON.")
    if body is not None and not isinstance(body, dict):
        raise bad_request("The body must be a JSON object.")
    return body or {}


def _spreadsheet(spreadsheet_id: str) -> Spreadsheet:
    ss = state().spreadsheets.get(spreadsheet_id)
    if ss is None:
        raise not_found()
    return ss


@bp.get("/")
def index():
    return jsonify(
        {
            "service": "Google Sheets API v4 sandbox",
            "api_endpoint": request.host_url,
            "certs": {"x509": "/oauth2/v1/certs", "jwk": "/oauth2/v3/certs"},
            "spreadsheets": len(state().spreadsheets),
            "docs": "sandbox/sheets/README.md",
        }
    )


@bp.post("/reset")
def reset():
    state().reset()
    return jsonify({"ok": True})


@bp.post("/save")
def save():
    path = current_app.config.get("SHEETS_STATE_FILE")
    if not path:
        raise bad_request("The emulator was started without --state FILE.")
    state().save(Path(path))
    return jsonify({"ok": True, "path": str(path)})


# --- spreadsheets -----------------------------------------------------------------------------------------


def _rows_from(sheet_json: dict[str, Any]) -> list[list[Any]]:
    if "csv" in sheet_json:
        return [list(r) for r in csv.reader(io.StringIO(str(sheet_json["csv"])))]
    rows = sheet_json.get("rows") or []
    if not isinstance(rows, list) or any(not isinstance(r, list) for r in rows):
        raise bad_request("rows must be a list of lists.")
    return rows


def _new_sheet(sheet_id: int, sheet_json: dict[str, Any], option: str, locale: str) -> Sheet:
    rows = _rows_from(sheet_json)
    width = max((len(r) for r in rows), default=0)
    sheet = Sheet(
        sheet_id,
        str(sheet_json.get("title") or f"Sheet{sheet_id + 1}"),
        int(sheet_json.get("rowCount") or max(DEFAULT_ROWS, len(rows))),
        int(sheet_json.get("columnCount") or max(DEFAULT_COLUMNS, width)),
        int(sheet_json.get("frozenRowCount") or 0),
    )
    for i, line in enumerate(rows):
        for j, raw in enumerate(line):
            cell = parse_value(raw, option, f"rows[{i}][{j}]", locale_of(locale))
            if cell is not SKIP and cell is not None:
                grid.put(sheet, i, j, cell)  # type: ignore[arg-type]
    return sheet


@bp.post("/spreadsheets")
def create_spreadsheet():
    """Body: title, owner, editors, viewers, locale (en_US), value_input_option (USER_ENTERED by
    default, as typed or imported), and either `sheets: [{title, rows | csv, rowCount, columnCount,
    frozenRowCount}]` or, for one sheet, `sheet_title` + `rows` | `csv`."""
    st = state()
    body = _body()
    option = str(body.get("value_input_option") or "USER_ENTERED")
    if option not in ("RAW", "USER_ENTERED"):
        raise bad_request("value_input_option must be RAW or USER_ENTERED.")
    sheets_json = body.get("sheets") or [
        {"title": body.get("sheet_title") or "Sheet1", **{k: body[k] for k in ("rows", "csv") if k in body}}
    ]
    owner = body.get("owner") or st.anonymous_email
    if not owner:
        raise bad_request("owner is required when anonymous calls are disabled.")
    ss = Spreadsheet(
        body.get("spreadsheet_id") or new_spreadsheet_id(),
        str(body.get("title") or "Untitled spreadsheet"),
        owner,
    )
    if body.get("locale"):
        ss.locale = str(body["locale"])
    ss.editors = set(body.get("editors") or [])
    ss.viewers = set(body.get("viewers") or [])
    for i, sheet_json in enumerate(sheets_json):
        sheet = _new_sheet(int(sheet_json.get("sheetId", i)), sheet_json, option, ss.locale)
        if ss.sheet_by_title(sheet.title) or ss.sheet_by_id(sheet.sheet_id):
            raise bad_request(f"Duplicate sheet {sheet.title!r} / id {sheet.sheet_id}.")
        ss.sheets.append(sheet)
    with st.lock:
        if ss.spreadsheet_id in st.spreadsheets:
            raise bad_request(f"Spreadsheet {ss.spreadsheet_id} already exists.")
        st.spreadsheets[ss.spreadsheet_id] = ss
    return jsonify(
        {
            "spreadsheetId": ss.spreadsheet_id,
            "sheets": [{"sheetId": s.sheet_id, "title": s.title} for s in ss.sheets],
        }
    ), 201


@bp.get("/spreadsheets")
def list_spreadsheets():
    with state().lock:
        items = [
            {"spreadsheetId": ss.spreadsheet_id, "title": ss.title, "owner": ss.owner}
            for ss in state().spreadsheets.values()
        ]
    return jsonify({"spreadsheets": items})


def _sheet_values(ss: Spreadsheet, sheet: Sheet, value_render: str) -> list[list[Any]]:
    rows, cols = grid.used_extent(sheet)
    block = grid.block(sheet, 0, rows, 0, cols)
    return render.values_matrix(block, "ROWS", value_render, "SERIAL_NUMBER", locale_of(ss.locale))


@bp.get("/spreadsheets/<spreadsheet_id>")
def read_spreadsheet(spreadsheet_id: str):
    """The whole spreadsheet: sharing, every sheet's values, all metadata (any visibility), edit log."""
    value_render = request.args.get("render", "UNFORMATTED_VALUE")
    if value_render not in render.VALUE_RENDER_OPTIONS:
        raise bad_request(f"render must be one of {render.VALUE_RENDER_OPTIONS}.")
    with state().lock:
        ss = _spreadsheet(spreadsheet_id)
        return jsonify(
            {
                "spreadsheetId": ss.spreadsheet_id,
                "title": ss.title,
                "owner": ss.owner,
                "editors": sorted(ss.editors),
                "viewers": sorted(ss.viewers),
                "sheets": [
                    {
                        "sheetId": s.sheet_id,
                        "title": s.title,
                        "index": i,
                        "rowCount": s.row_count,
                        "columnCount": s.column_count,
                        "frozenRowCount": s.frozen_rows,
                        "values": _sheet_values(ss, s, value_render),
                    }
                    for i, s in enumerate(ss.sheets)
                ],
                "developerMetadata": [{**m.to_api(), "project": m.project} for m in ss.metadata.values()],
                "protectedRanges": ss.protected,
                "edits": ss.edits,
            }
        )


@bp.delete("/spreadsheets/<spreadsheet_id>")
def delete_spreadsheet(spreadsheet_id: str):
    with state().lock:
        _spreadsheet(spreadsheet_id)
        del state().spreadsheets[spreadsheet_id]
    return jsonify({"ok": True})


@bp.get("/spreadsheets/<spreadsheet_id>/values")
def read_values(spreadsheet_id: str):
    value_render = request.args.get("render", "UNFORMATTED_VALUE")
    with state().lock:
        ss = _spreadsheet(spreadsheet_id)
        sheet_title = request.args.get("sheet")
        sheet = ss.sheet_by_title(sheet_title) if sheet_title else ss.sheets[0]
        if sheet is None:
            raise bad_request(f"No sheet {sheet_title!r}.")
        return jsonify({"values": _sheet_values(ss, sheet, value_render)})


@bp.get("/spreadsheets/<spreadsheet_id>/metadata")
def read_metadata(spreadsheet_id: str):
    with state().lock:
        ss = _spreadsheet(spreadsheet_id)
        return jsonify(
            {"developerMetadata": [{**m.to_api(), "project": m.project} for m in ss.metadata.values()]}
        )


@bp.get("/spreadsheets/<spreadsheet_id>/edits")
def read_edits(spreadsheet_id: str):
    with state().lock:
        return jsonify({"edits": list(_spreadsheet(spreadsheet_id).edits)})


@bp.get("/spreadsheets/<spreadsheet_id>/editors")
def sharing(spreadsheet_id: str):
    """Who may open it: `Spreadsheet.getEditors()` / `getViewers()` in Apps Script."""
    with state().lock:
        ss = _spreadsheet(spreadsheet_id)
        return jsonify({"owner": ss.owner, "editors": sorted(ss.editors), "viewers": sorted(ss.viewers)})


@bp.post("/spreadsheets/<spreadsheet_id>/editors")
def share(spreadsheet_id: str):
    """Body: {email, role: writer | reader}. What `Spreadsheet.addEditor(email)` does in Apps Script."""
    body = _body()
    email, role = body.get("email"), body.get("role", "writer")
    if not email or role not in ("writer", "reader"):
        raise bad_request("email is required; role must be writer or reader.")
    with state().lock:
        ss = _spreadsheet(spreadsheet_id)
        (ss.editors if role == "writer" else ss.viewers).add(email)
        (ss.viewers if role == "writer" else ss.editors).discard(email)
        return jsonify({"owner": ss.owner, "editors": sorted(ss.editors), "viewers": sorted(ss.viewers)})


@bp.delete("/spreadsheets/<spreadsheet_id>/editors/<email>")
def unshare(spreadsheet_id: str, email: str):
    with state().lock:
        ss = _spreadsheet(spreadsheet_id)
        ss.editors.discard(email)
        ss.viewers.discard(email)
        return jsonify({"owner": ss.owner, "editors": sorted(ss.editors), "viewers": sorted(ss.viewers)})


# --- acting as a person in the UI ----------------------------------------------------------------------

UI_OPERATIONS: dict[str, Callable[..., dict]] = {
    "edit-cells": lambda ss, now, user, b: person.edit_cells(ss, now, user, b["range"], b["values"]),
    "sort": lambda ss, now, user, b: person.sort(
        ss, now, user, b["range"], b["column"], bool(b.get("ascending", True)), bool(b.get("header", False))
    ),
    "insert-rows": lambda ss, now, user, b: person.insert_rows(
        ss, now, user, b.get("sheet"), int(b["row"]), int(b.get("count", 1))
    ),
    "delete-rows": lambda ss, now, user, b: person.delete_rows(
        ss, now, user, b.get("sheet"), int(b["row"]), int(b.get("count", 1))
    ),
    "move-rows": lambda ss, now, user, b: person.move_rows(
        ss, now, user, b.get("sheet"), int(b["row"]), int(b.get("count", 1)), int(b["before"])
    ),
    "insert-columns": lambda ss, now, user, b: person.insert_columns(
        ss, now, user, b.get("sheet"), b["column"], int(b.get("count", 1))
    ),
    "delete-columns": lambda ss, now, user, b: person.delete_columns(
        ss, now, user, b.get("sheet"), b["column"], int(b.get("count", 1))
    ),
    "move-columns": lambda ss, now, user, b: person.move_columns(
        ss, now, user, b.get("sheet"), b["column"], int(b.get("count", 1)), b["before"]
    ),
    "rename-header": lambda ss, now, user, b: person.rename_header(
        ss, now, user, b.get("sheet"), str(b["old"]), str(b["new"]), int(b.get("header_row", 1))
    ),
}


@bp.post("/spreadsheets/<spreadsheet_id>/ui/<operation>")
def act_in_ui(spreadsheet_id: str, operation: str):
    """Body: the operation's fields plus `user` (default: the owner). Applied atomically."""
    if operation not in UI_OPERATIONS:
        raise bad_request(f"Unknown UI operation {operation!r}; one of {sorted(UI_OPERATIONS)}.")
    st = state()
    body = _body()
    with st.lock:
        ss = _spreadsheet(spreadsheet_id)
        work = ss.copy()
        try:
            entry = UI_OPERATIONS[operation](work, st.clock.now(), body.get("user") or ss.owner, body)
        except KeyError as missing:
            raise bad_request(f"Missing field {missing} for {operation}.") from None
        st.spreadsheets[spreadsheet_id] = work
    return jsonify(entry)
