"""The `/v4/*` blueprint: every Sheets API call goes through one pipeline, in this order.

1. route the decoded path with Google's discovery document (discovery.py) → method id
2. count the call (counters.py)            5. who is calling (auth.py; 401 / 403 missing key)
3. added latency, forced faults (faults.py) 6. quota for user and project (quotas.py; 429)
4. unknown query parameters → 400          7. under the lock: spreadsheet (404), sharing (403), handler

Write methods run on a copy of the spreadsheet that replaces the original only if the handler returns,
so any error leaves the spreadsheet untouched (batchUpdate's documented atomicity, and the same for
values.batchUpdate). The `fields` system parameter masks every response.

`execute(rest, principal, metered=False)` is the same pipeline without steps 2, 3 and 6, for callers
that are not API clients (script_access.py: Apps Script's SpreadsheetApp).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request

from sandbox.sheets import (
    append,
    auth,
    batch_update,
    discovery,
    fieldmask,
    metadata,
    quotas,
    resource,
    values,
    values_filters,
)
from sandbox.sheets.call import Call
from sandbox.sheets.errors import ApiError, bad_request, not_emulated, not_found
from sandbox.sheets.faults import forced_error
from sandbox.sheets.model import Principal
from sandbox.sheets.state import SheetsState

log = logging.getLogger(__name__)
bp = Blueprint("sheets_api", __name__)

HANDLERS: dict[str, Callable[[Call], dict[str, Any]]] = {
    "spreadsheets.get": resource.get,
    "spreadsheets.getByDataFilter": resource.get_by_data_filter,
    "spreadsheets.batchUpdate": batch_update.batch_update,
    "spreadsheets.values.get": values.get,
    "spreadsheets.values.batchGet": values.batch_get,
    "spreadsheets.values.update": values.update,
    "spreadsheets.values.batchUpdate": values.batch_update,
    "spreadsheets.values.append": append.append,
    "spreadsheets.values.clear": values.clear,
    "spreadsheets.values.batchClear": values.batch_clear,
    "spreadsheets.values.batchGetByDataFilter": values_filters.batch_get,
    "spreadsheets.values.batchUpdateByDataFilter": values_filters.batch_update,
    "spreadsheets.values.batchClearByDataFilter": values_filters.batch_clear,
    "spreadsheets.developerMetadata.get": lambda c: metadata.get(
        c.spreadsheet, c.path["metadataId"], c.principal.project
    ),
    "spreadsheets.developerMetadata.search": lambda c: metadata.search(
        c.spreadsheet, c.body, c.principal.project
    ),
}


def sheets_state() -> SheetsState:
    return current_app.extensions["sheets_sandbox"]


def _body() -> dict[str, Any]:
    raw = request.get_data(cache=False)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise bad_request("Invalid JSON payload received. Unexpected token.") from None
    if not isinstance(body, dict):
        raise bad_request("Invalid JSON payload received. Expected an object.")
    return body


def _check_query(method: discovery.Method) -> None:
    allowed = method.parameters | discovery.system_parameters()
    for name in request.args:
        if name not in allowed:
            raise bad_request(
                f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter. '
                f"Field '{name}' could not be found in request message."
            )
    if request.args.get("alt", "json") != "json":
        raise bad_request("The sandbox answers alt=json only.")


@bp.route("/v4/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def dispatch(rest: str):
    return execute(f"v4/{rest}")


def execute(rest: str, principal: Principal | None = None, *, metered: bool = True):
    """Run one v4 call (`rest` = "v4/…"). Metered calls are counted, may be faulted and are charged
    to quotas, and act as the request's credentials; unmetered ones act as `principal`."""
    st = sheets_state()
    found = discovery.match(request.method, rest)
    if found is None:
        raise ApiError(404, f"Method not found: {request.method} /{rest}", "NOT_FOUND")
    method, path = found
    method_id = method.method_id
    if metered:
        g.sheets_method = method_id
        st.counters.count(method_id)
        delay = st.faults.latency_s(method_id)
        if delay:
            time.sleep(delay)  # outside the lock: a slow call must not stall the others
        forced = st.faults.take(method_id)
        if forced:
            raise forced_error(forced, method_id, st.project, st.quotas.settings.read_per_user)
    _check_query(method)
    if principal is None:
        principal = auth.principal_of(request.headers.get("Authorization"), st.tokens, st.anonymous)
    if metered:
        st.quotas.charge(method_id, principal.email, principal.project)
    body = _body()
    with st.lock:
        call = Call(None, principal, request.args, body, path, st.rng, request.host_url.rstrip("/"))
        if method_id == "spreadsheets.create":
            ss = resource.create(call, principal.email)
            st.spreadsheets[ss.spreadsheet_id] = ss
            result = resource.build(ss, principal, base_url=call.base_url)
        else:
            handler = HANDLERS.get(method_id)
            if handler is None:
                raise not_emulated(method_id)
            ss = st.spreadsheets.get(path["spreadsheetId"])
            if ss is None:
                raise not_found()
            write = quotas.kind_of(method_id) == "write"
            auth.check_access(ss, principal, write=write)
            call.ss = ss.copy() if write else ss
            result = handler(call)
            if write:
                st.spreadsheets[ss.spreadsheet_id] = call.spreadsheet  # commit: every check passed
    mask = request.args.get("fields")
    if mask:
        result = fieldmask.apply(result, fieldmask.parse(mask))
    return jsonify(result)


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    method_id = g.get("sheets_method")
    if method_id:
        sheets_state().counters.error(method_id, error.code)
    return jsonify(error.body()), error.code


@bp.errorhandler(Exception)
def unexpected(error: Exception):
    log.exception("sheets sandbox: unexpected error in %s %s", request.method, request.path)
    return api_error(ApiError(500, f"Internal error encountered. (sandbox: {type(error).__name__}: {error})"))
