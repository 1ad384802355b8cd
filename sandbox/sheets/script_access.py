"""`/_sandbox/script/v4/…`: the spreadsheet as Apps Script's SpreadsheetApp sees it, for the gas doubles.

An add-on's `SpreadsheetApp` calls do not go through the public Sheets API: they are not counted
against any Sheets API quota, not subject to its faults, and they act as the user running the script
(who must be the owner or an editor). This route runs the very same v4 handlers (api.execute) with those
differences, so an adapter (sandbox/gas/sheets-store.js) gets v4 semantics — ranges, grid limits,
developer metadata moving with rows and columns — for script reads and writes. A person's typing is a
different thing: `/_sandbox/spreadsheets/<id>/ui/edit-cells` (person.py), which is logged as an edit.

Headers: `X-Sandbox-Script-User` (required: the e-mail the script runs as) and
`X-Sandbox-Script-Project` (the script's Cloud project, for PROJECT-visible metadata; default
`apps-script`). The path after `/_sandbox/script/` is the v4 path, e.g.
`/_sandbox/script/v4/spreadsheets/<id>/values:batchGetByDataFilter`.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from sandbox.sheets import api
from sandbox.sheets.errors import ApiError, bad_request
from sandbox.sheets.model import Principal

bp = Blueprint("sheets_script", __name__, url_prefix="/_sandbox/script")

SCRIPT_PROJECT = "apps-script"


@bp.route("/v4/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def as_script(rest: str):
    user = request.headers.get("X-Sandbox-Script-User", "").strip()
    if not user:
        raise bad_request("X-Sandbox-Script-User must name the user the script runs as.")
    project = request.headers.get("X-Sandbox-Script-Project", "").strip() or SCRIPT_PROJECT
    return api.execute(f"v4/{rest}", Principal(user, project), metered=False)


@bp.errorhandler(ApiError)
def script_error(error: ApiError):
    return jsonify(error.body()), error.code
