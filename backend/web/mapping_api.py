"""Mapping endpoints of the add-on API: read the headers, suggest, validate and save.

Columns the sheet has not tagged yet are offered with a provisional id `new:<index>`; saving a mapping
tags them with stable ids (column developer metadata) and adds the sync's own columns (key, lead id,
link, sync status) where missing — all in one Sheets batchUpdate. The sheet's metadata comes from
`web/sheet_access.py` (cached for reading, fresh for saving); no request here waits on the Sheets
quota: a busy quota answers 429 with Retry-After.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from backend.amocrm import account as amo_account
from backend.errors import AppError, Code
from backend.sheets.layout import ROLES, ensure_columns, letter, new_column_id
from backend.sync.core.mapping import ColumnMapping, ColumnRule, MappingError, suggest, validate
from backend.web import auth, sheet_access

bp = Blueprint("mapping_api", __name__)


def _headers(conn, info) -> list[dict]:
    out = []
    for index, header in enumerate(info.headers):
        cid = info.ids_by_index.get(index)
        if cid in ROLES:
            continue
        if header.strip() or cid:
            out.append(
                {"column": cid or f"new:{index}", "header": header, "index": index, "letter": letter(index)}
            )
    return out


@bp.get("/connections/<connection_id>/mapping")
def get_mapping(connection_id: str):
    svc = current_app.extensions["services"]
    conn = amo_account.tenants(svc).get(connection_id)
    info = sheet_access.cached_info(svc, conn)
    return jsonify(mapping=conn.mapping, headers=_headers(conn, info), sheet_title=info.title)


@bp.post("/connections/<connection_id>/mapping/suggest")
def suggest_mapping(connection_id: str):
    svc = current_app.extensions["services"]
    account = auth.account_of(connection_id)
    conn = amo_account.tenants(svc).get(connection_id)
    info = sheet_access.cached_info(svc, conn)
    headers = _headers(conn, info)
    proposal = suggest([(h["column"], h["header"]) for h in headers], amo_account.catalog(svc, account))
    return jsonify(mapping=proposal.to_json(), unmapped=list(proposal.unmapped), headers=headers)


@bp.put("/connections/<connection_id>/mapping")
def put_mapping(connection_id: str):
    svc = current_app.extensions["services"]
    account = auth.account_of(connection_id)
    tenants = amo_account.tenants(svc)
    conn = tenants.get(connection_id)
    try:
        mapping = ColumnMapping.from_json(request.get_json(silent=True) or {})
    except MappingError as exc:
        raise AppError(
            "The mapping could not be read.", code=Code.MAPPING_INVALID, status=422, problems=exc.problems
        ) from None
    # Saving tags columns by index: read the sheet as it is now, not as cached.
    sheets = sheet_access.web_sheets(svc, connection_id)
    info = sheet_access.fresh_info(svc, conn)
    present = {h["column"]: h["header"] for h in _headers(conn, info)} | {"key": "amo_sync_id"}
    problems = validate(mapping, amo_account.catalog(svc, account), present)
    if problems:
        raise AppError("The mapping needs fixing.", code=Code.MAPPING_INVALID, status=422, problems=problems)
    tag = {
        int(c.column.split(":")[1]): new_column_id() for c in mapping.columns if c.column.startswith("new:")
    }
    sheet_access.forget(svc, conn)  # the columns are tagged now (or were meant to be)
    ensure_columns(sheets, conn.spreadsheet_id, conn.sheet_id, info, tag)
    sheet_access.forget(svc, conn)
    columns = tuple(
        ColumnRule(
            tag[int(c.column.split(":")[1])] if c.column.startswith("new:") else c.column,
            info.headers[int(c.column.split(":")[1])] if c.column.startswith("new:") else c.header,
            c.target,
            c.direction,
            c.policy,
        )
        for c in mapping.columns
    )
    saved = ColumnMapping(columns, mapping.pipeline_id, mapping.default_status_id)
    tenants.set_fields(connection_id, mapping=saved.to_json())
    return jsonify(mapping=saved.to_json())
