"""The add-on's API under /api/v1 (described in docs/openapi.yaml).

Everything under /api/v1/connections/<id> is signed (RFC 9421, `web/auth.py` checks it before the view
runs) and the signature's keyid must be that connection: connection A's secret opens nothing of B.
Register, connect ticket, disconnect and key rotation also need the user's Google ID token, and the
last three need that user to be the sheet's registered owner or (Google Drive says) an editor.
Views are thin: they validate input, call the store or enqueue a job, and shape JSON.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import re
import secrets
import time

from flask import Blueprint, current_app, g, jsonify, request
from rq.exceptions import NoSuchJobError
from rq.job import Job

from backend import queues
from backend.amocrm import account as amo_account
from backend.amocrm.models import catalog_json
from backend.disconnect import disconnect as disconnect_connection
from backend.errors import AppError, BadRequest, Code, NotFound
from backend.security import editors
from backend.security.crypto import Cipher
from backend.sheets.client import SheetsAccessDenied
from backend.store import keys
from backend.store.ledger import History
from backend.store.tokens import TokenStore
from backend.sync import columns, edit_answers, jobs
from backend.sync.core.mapping import ColumnMapping
from backend.sync.writeback import ErrorList
from backend.web import auth, edit_values, mapping_api, sheet_access
from backend.web.oauth import make_ticket
from backend.web.problem import problem

log = logging.getLogger(__name__)

bp = Blueprint("addon_api", __name__, url_prefix="/api/v1")
bp.before_request(auth.check_signature)
bp.register_blueprint(mapping_api.bp)

CHALLENGE_KEY = "amo_sync_challenge"
CHALLENGE_TTL_S = 600
_SPREADSHEET_ID = re.compile(r"^[A-Za-z0-9_-]{10,100}$")
_KEY = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


def _svc():
    return current_app.extensions["services"]


def _json() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("Send a JSON object.")
    return data


def _sheet_target(data: dict) -> tuple[str, int]:
    spreadsheet_id = data.get("spreadsheet_id")
    sheet_id = data.get("sheet_id")
    if not isinstance(spreadsheet_id, str) or not _SPREADSHEET_ID.match(spreadsheet_id):
        raise BadRequest("spreadsheet_id is not a Google spreadsheet id.")
    if not isinstance(sheet_id, int) or isinstance(sheet_id, bool) or sheet_id < 0:
        raise BadRequest("sheet_id must be the tab's numeric id (gid).")
    return spreadsheet_id, sheet_id


# --- registration: proof of control ---------------------------------------------------------------


@bp.post("/register/challenge")
def register_challenge():
    user = auth.google_user()
    data = _json()
    spreadsheet_id, sheet_id = _sheet_target(data)
    challenge_id = secrets.token_urlsafe(12)
    value = secrets.token_urlsafe(24)
    _svc().redis.hset(
        keys.register_challenge(challenge_id),
        mapping={"spreadsheet_id": spreadsheet_id, "sheet_id": sheet_id, "value": value, "sub": user.sub},
    )
    _svc().redis.expire(keys.register_challenge(challenge_id), CHALLENGE_TTL_S)
    return jsonify(
        challenge_id=challenge_id,
        metadata_key=CHALLENGE_KEY,
        metadata_value=value,
        service_account_email=_svc().settings.sheets_service_account_email,
        expires_in=CHALLENGE_TTL_S,
    )


@bp.post("/register")
def register():
    user = auth.google_user()
    data = _json()
    spreadsheet_id, sheet_id = _sheet_target(data)
    svc = _svc()
    key = keys.register_challenge(str(data.get("challenge_id", "")))
    challenge = {k.decode(): v.decode() for k, v in svc.redis.hgetall(key).items()}
    if not challenge:
        raise AppError("The set-up link expired; press Set up again.", code=Code.PROOF_FAILED, status=403)
    if (challenge["spreadsheet_id"], int(challenge["sheet_id"]), challenge["sub"]) != (
        spreadsheet_id,
        sheet_id,
        user.sub,
    ):
        raise AppError(
            "This set-up was started for another sheet or user.", code=Code.PROOF_FAILED, status=403
        )
    try:
        found = sheet_access.web_sheets(svc, keys.register_share(user.sub)).search_metadata(
            spreadsheet_id,
            [
                {
                    "metadataKey": CHALLENGE_KEY,
                    "metadataValue": challenge["value"],
                    "locationType": "SPREADSHEET",
                }
            ],
        )
    except SheetsAccessDenied:
        raise AppError(
            "The spreadsheet is not shared with the sync's service account yet.",
            code=Code.PROOF_FAILED,
            status=403,
        ) from None
    if not found:
        raise AppError("Could not confirm you can edit this spreadsheet.", code=Code.PROOF_FAILED, status=403)
    svc.redis.delete(key)  # single use
    tenants = amo_account.tenants(svc)
    existing = tenants.find_by_sheet(spreadsheet_id, sheet_id)
    if existing and (conn := tenants.get(existing)) and (secret := tenants.secret(existing)):
        if user.sub != conn.created_by_sub and (rotated := tenants.rotate_secret(existing)):
            # Someone other than the owner set the sheet up again: whatever copy of the key anyone
            # else kept (a former editor's, say) stops working; the add-on saves the new one for all.
            log.info("connection %s: registered again by another editor; key rotated", existing)
            secret = rotated
        return jsonify(connection_id=existing, secret=_b64(secret), created=False)
    conn, secret = tenants.create(
        spreadsheet_id, sheet_id, str(data.get("sheet_title", ""))[:200], user.sub, user.email
    )
    return jsonify(connection_id=conn.id, secret=_b64(secret), created=True)


def _b64(secret: bytes) -> str:
    return base64.b64encode(secret).decode()


# --- connection state ---------------------------------------------------------------------------------


@bp.get("/connections/<connection_id>")
def state(connection_id: str):
    svc = _svc()
    tenants = amo_account.tenants(svc)
    conn = tenants.get(connection_id)
    amo = {"connected": False}
    if conn.account_id and (account := tenants.account(conn.account_id)):
        tokens = TokenStore(svc.redis, Cipher(svc.settings.token_encryption_keys)).get(account.id)
        status = "blocked" if account.blocked else (tokens.status if tokens else "disconnected")
        amo = {
            "connected": status == "ok",
            "host": account.host,
            "account_id": account.id,
            "name": account.name,
            "status": status,
            "reason": account.blocked or (tokens.reason if tokens else ""),
            "webhook": account.webhook,
        }
    raw_error = svc.redis.hget(keys.connection(connection_id), "last_error")
    return jsonify(
        connection_id=conn.id,
        spreadsheet_id=conn.spreadsheet_id,
        sheet_id=conn.sheet_id,
        sheet_title=conn.sheet_title,
        amo=amo,
        mapping=conn.mapping,
        last_sync=conn.last_sync,
        errors=ErrorList(svc.redis, conn.id).count(),
        last_error=raw_error.decode() if raw_error else "",
    )


def _editor(connection_id: str) -> None:
    """The verified Google user must be the sheet's registered owner or, says Google Drive, one of its
    editors now: a valid ID token of a former editor (or of anyone) opens nothing."""
    user = auth.google_user()
    svc = _svc()
    conn = g.connection
    if user.sub == conn.created_by_sub:
        return
    if editors.is_editor(svc.settings.sheets_api_endpoint, conn.spreadsheet_id, user.email):
        return
    raise AppError(
        "Only the sheet's editors can do this; ask its owner to share the spreadsheet with you.",
        code=Code.FORBIDDEN,
        status=403,
    )


@bp.post("/connections/<connection_id>/secret")
def rotate_secret(connection_id: str):
    """A new signing key for the sheet (the sidebar's "Reset the sheet's key"): every other copy of the
    old one stops working at once."""
    _editor(connection_id)
    secret = amo_account.tenants(_svc()).rotate_secret(connection_id)
    if secret is None:
        raise NotFound("This sheet is not set up any more; press Set up.")
    log.info("connection %s: key rotated on request", connection_id)
    return jsonify(connection_id=connection_id, secret=_b64(secret))


@bp.delete("/connections/<connection_id>")
def disconnect(connection_id: str):
    _editor(connection_id)
    return jsonify(status="disconnected", **disconnect_connection(_svc(), connection_id))


@bp.post("/connections/<connection_id>/connect-ticket")
def connect_ticket(connection_id: str):
    _editor(connection_id)
    url = f"{_svc().settings.public_base_url}/oauth/amocrm/start?ticket={make_ticket(connection_id)}"
    return jsonify(url=url, expires_in=600)


@bp.get("/connections/<connection_id>/amo/metadata")
def amo_metadata(connection_id: str):
    svc = _svc()
    account = auth.account_of(connection_id)
    cat = amo_account.catalog(svc, account, fresh=request.args.get("refresh") == "1")
    return jsonify(catalog_json(cat))


# --- sync and jobs ------------------------------------------------------------------------------------


def _enqueue(connection_id: str, kind: str, func, *args, queue: str = queues.SYNC) -> dict:
    job_id = keys.job_id(kind, connection_id, secrets.token_hex(6))
    meta = {"connection_id": connection_id, "kind": kind}
    job = queues.enqueue(
        _svc().redis, queue, func, connection_id, *args, job_id=job_id, retry=jobs.RETRY, meta=meta
    )
    return {"job_id": job.id, "kind": kind, "status": "queued"}


_WAITING = {"queued", "deferred", "scheduled", "created"}


def _enqueue_once(connection_id: str, kind: str, func, *args) -> dict:
    """Like `_enqueue`, but while the same run of this connection is still waiting to start, asking
    again returns that job: a person (or a script) pressing Sync now in a loop queues one run, not a
    thousand that every other tenant's runs would wait behind."""
    r = _svc().redis
    key = keys.queued(kind, connection_id, args)
    if (pending := r.get(key)) is not None:
        try:
            status = Job.fetch(pending.decode(), connection=r).get_status(refresh=False)
            if str(getattr(status, "value", status)) in _WAITING:
                return {"job_id": pending.decode(), "kind": kind, "status": "queued"}
        except NoSuchJobError:
            pass
    queued = _enqueue(connection_id, kind, func, *args)
    r.set(key, queued["job_id"], ex=3600)
    return queued


@bp.post("/connections/<connection_id>/sync/preview")
def sync_preview(connection_id: str):
    auth.account_of(connection_id)
    return jsonify(_enqueue_once(connection_id, "preview", jobs.full_sync, True, False)), 202


@bp.post("/connections/<connection_id>/sync")
def sync(connection_id: str):
    auth.account_of(connection_id)
    data = request.get_json(silent=True) or {}
    confirm = bool(data.get("confirm")) if isinstance(data, dict) else False
    return jsonify(_enqueue_once(connection_id, "sync", jobs.full_sync, False, confirm)), 202


# RQ's job statuses as the sidebar knows them (a closed list: docs/openapi.yaml `Job.status`).
_JOB_STATUS = {
    "created": "queued",
    "queued": "queued",
    "deferred": "queued",
    "scheduled": "queued",
    "ready_to_enqueue": "queued",
    "rate_limited": "queued",
    "started": "started",
    "finished": "finished",
    "failed": "failed",
    "canceled": "failed",
    "stopped": "failed",
}


@bp.get("/connections/<connection_id>/jobs/<job_id>")
def job(connection_id: str, job_id: str):
    if not _JOB_ID.match(job_id):  # RQ refuses such ids with a ValueError: unknown to us, not a 500
        raise NotFound("That job is unknown or too old.")
    try:
        rq_job = Job.fetch(job_id, connection=_svc().redis)
    except NoSuchJobError:
        raise NotFound("That job is unknown or too old.") from None
    if rq_job.meta.get("connection_id") != connection_id:
        raise NotFound("That job is unknown or too old.")  # another tenant's job id tells nothing
    raw_status = rq_job.get_status(refresh=False)
    status = getattr(raw_status, "value", raw_status)
    report = rq_job.meta.get("report") or {}
    out = {
        "job_id": rq_job.id,
        "kind": rq_job.meta.get("kind", ""),
        "status": _JOB_STATUS.get(str(status), "queued"),
        "progress": rq_job.meta.get("progress") or {"phase": "queued", "done": 0, "total": 0, "percent": 0.0},
    }
    if report:
        out.update(preview=report.get("preview"), result=report.get("result"), guards=report.get("guards"))
        if report.get("status") == "waiting_confirmation":
            out["status"] = "waiting_confirmation"
    if rq_job.meta.get("error"):
        out["status"] = "failed"
        out["error"] = {
            "status": 409,
            "code": rq_job.meta["error"]["code"],
            "detail": rq_job.meta["error"]["detail"],
        }
    elif str(status) == "failed":
        out["error"] = {
            "status": 500,
            "code": "internal_error",
            "detail": "The sync failed; it will be retried.",
        }
    return jsonify(out)


@bp.post("/connections/<connection_id>/edits")
def edits(connection_id: str):
    rows = _json().get("rows")
    if not isinstance(rows, list) or not 1 <= len(rows) <= 5000:
        raise BadRequest("rows must be a list of 1 to 5000 edited rows.")
    edited: dict[str, float] = {}
    sent: dict[str, dict] = {}
    for i, row in enumerate(rows, 1):
        if not isinstance(row, dict) or not isinstance(row.get("key"), str) or not _KEY.match(row["key"]):
            raise BadRequest(f"row #{i} has no valid key.")
        at = row.get("edited_at")
        if not isinstance(at, (int, float)) or isinstance(at, bool) or at <= 0:
            raise BadRequest(f"row #{i} has no edited_at (milliseconds since the epoch).")
        key, at_s = row["key"], min(at / 1000.0, time.time() + 300)
        if at_s < edited.get(key, 0.0):
            continue
        edited[key] = at_s
        if (values := edit_values.parse(row, i)) is not None:
            sent[key] = {**values, "edited_at": at_s}
        else:
            sent.pop(key, None)
    headers = edit_values.parse_headers(_json())
    if sent and headers is not None and _headers_changed(connection_id, headers):
        # a header renamed since the mapping (or a column gone): the values may not mean what the mapping
        # says, so the rows go without them and the run reads the sheet — which stops with a sentence
        # saying which column and what to do, as every run does
        sent = {}
    redis = _svc().redis
    # The person is at the sheet: wait briefly for the rows' lead id and status, for the add-on to write
    # into them itself — no Sheets API call. What is not ready in time the run writes through the API.
    waiter = edit_answers.Waiter(redis, connection_id, {k: edited[k] for k in sent})
    try:
        job_id = jobs.request_edits(redis, connection_id, edited, sent)
        waiter.collect(edit_values.ANSWER_WAIT_S)
    finally:
        answers, pending = waiter.close()
    body = {"accepted": len(edited), "job_id": job_id, "queued": job_id is not None}
    if sent:
        body["rows"] = [{"key": k, "cells": a["cells"]} for k, a in answers.items()]
        body["pending"] = pending
    return jsonify(body), 202


def _headers_changed(connection_id: str, headers: dict[str, str]) -> bool:
    conn = amo_account.tenants(_svc()).get(connection_id)
    if conn is None or not conn.mapping:
        return False  # the run says what is missing
    return bool(columns.header_problems(headers, ColumnMapping.from_json(conn.mapping)))


@bp.post("/connections/<connection_id>/reconcile")
def reconcile(connection_id: str):
    auth.account_of(connection_id)
    # one queued reconcile per connection, shared with the schedule: it will see everything asked for
    job_id, _ = jobs.request_reconcile(_svc().redis, connection_id)
    return jsonify(job_id=job_id, kind="reconcile", status="queued"), 202


@bp.get("/connections/<connection_id>/errors")
def errors(connection_id: str):
    items = ErrorList(_svc().redis, connection_id).all()
    rows = sorted(({"key": k, **v} for k, v in items.items()), key=lambda x: (x.get("row") or 0, x["key"]))
    return jsonify(errors=rows)


@bp.get("/connections/<connection_id>/rows/<key>/history")
def history(connection_id: str, key: str):
    if not _KEY.match(key):
        raise BadRequest("That is not a row key.")
    return jsonify(key=key, history=[_history_entry(e) for e in History(_svc().redis, connection_id).of(key)])


def _history_entry(e: dict) -> dict:
    """A stored history item as the sidebar shows it: time, side, field, old → new, or a summary."""
    out = {"at": dt.datetime.fromtimestamp(e.get("at", 0), dt.UTC).isoformat(), "source": e.get("source", "")}
    if "direction" in e:
        side = "sheet → amoCRM" if e["direction"] == "to_amo" else "amoCRM → sheet"
        return out | {"side": side, "field": e.get("field"), "old": e.get("old"), "new": e.get("new")}
    if "created_lead" in e:
        return out | {"summary": f"created lead {e['created_lead']} ({out['source']})"}
    if "conflict" in e:
        c = e["conflict"]
        both = f"sheet “{c['sheet']}”, amoCRM “{c['amo']}”"
        return out | {
            "summary": f"conflict on {e.get('field')}: {both}; {c['kept']} kept ({c['reason']})",
            "conflict": c,
        }
    if "error" in e:
        return out | {"summary": f"⚠ {e['error']}"}
    return out | {"summary": str({k: v for k, v in e.items() if k not in ("at", "source")})}


@bp.post("/connections/<connection_id>/rows/<key>/retry")
def retry_row(connection_id: str, key: str):
    if not _KEY.match(key):
        raise BadRequest("That is not a row key.")
    job_id = jobs.request_edits(_svc().redis, connection_id, {key: time.time()})
    return jsonify(job_id=job_id, queued=job_id is not None), 202


@bp.errorhandler(SheetsAccessDenied)
def _sheets_denied(exc: SheetsAccessDenied):
    return problem(403, exc.detail, Code.FORBIDDEN)
