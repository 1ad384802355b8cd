"""The sidebar's Activity and Health screens under /api/v1 (described in docs/openapi.yaml).

Signed and scoped like the rest of the add-on API (`auth.check_signature` runs before every view):
a run id is looked up only under the connection the signature opened, so another tenant's run id
names nothing here.
- `GET …/runs`            recent runs, newest first, with counts and a one-line summary
- `GET …/runs/<run_id>`   one run and its changes (paged)
- `POST …/runs/<run_id>/undo`  queue an undo of that run (`sync/undo.py`); poll it as a job
- `GET …/health`          webhook, amoCRM's last answer, token refresh, backlog — each with what to do
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import time
from dataclasses import dataclass

from flask import Blueprint, current_app, jsonify, request

from backend import queues
from backend.amocrm import account as amo_account
from backend.errors import AppError, BadRequest, NotFound
from backend.security.crypto import Cipher
from backend.store import keys
from backend.store.journal import Journal
from backend.store.tokens import NEEDS_RECONNECT, TokenStore
from backend.store.tokens import OK as TOKEN_OK
from backend.sync import jobs
from backend.sync.core.fields import Context, render_cell
from backend.sync.core.journal import CREATED_FIELD, RunMeta, summary
from backend.sync.core.mapping import ColumnMapping
from backend.sync.undo import undo_job
from backend.web import auth

bp = Blueprint("activity_api", __name__, url_prefix="/api/v1")
bp.before_request(auth.check_signature)

_RUN_ID = re.compile(r"^[0-9]{13}-[0-9a-f]{8}$")
RUNS_PAGE, CHANGES_PAGE = 50, 500
AMO_QUIET_S = 60 * 60  # reconcile reads amoCRM every 15 minutes: an hour of silence is a problem
TOKEN_STALE_S = 60 * 86400  # grants are refreshed after two idle weeks and lapse after three months
BACKLOG_SLOW_S = 60
DEFAULT_RUN_S = 2.0  # a run's duration before any was journaled


def _svc():
    return current_app.extensions["services"]


def _iso(at: float | None) -> str | None:
    return dt.datetime.fromtimestamp(at, dt.UTC).isoformat() if at else None


def _int_arg(name: str, default: int, lo: int, hi: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not lo <= int(raw) <= hi:
        raise BadRequest(f"{name} must be a whole number from {lo} to {hi}.")
    return int(raw)


# every run has the first five; an undo also says what it restored and kept
_COUNTS = ("created", "updated_amo", "updated_sheet", "healed", "errors", "restored", "kept", "leads_kept")


def _run_json(meta: RunMeta) -> dict:
    return {
        "run_id": meta.run_id,
        "trigger": meta.trigger,
        "started_at": _iso(meta.started_at),
        "finished_at": _iso(meta.finished_at),
        "counts": {k: int(meta.counts.get(k, 0)) for k in _COUNTS[:5]}
        | {k: int(meta.counts[k]) for k in _COUNTS[5:] if k in meta.counts},
        "changes": meta.changes,
        "truncated": meta.truncated,
        "summary": summary(meta),
        "undo_of": meta.undo_of or None,
        "kept": meta.kept,
    }


@bp.get("/connections/<connection_id>/runs")
def runs(connection_id: str):
    limit = _int_arg("limit", RUNS_PAGE, 1, RUNS_PAGE)
    before = request.args.get("before")
    if before is not None and not _RUN_ID.match(before):
        raise BadRequest("before must be a run id.")
    found = Journal(_svc().redis, connection_id).runs(limit=limit, before=before)
    more = len(found) == limit
    return jsonify(runs=[_run_json(meta) for meta in found], next_before=found[-1].run_id if more else None)


@bp.get("/connections/<connection_id>/runs/<run_id>")
def run(connection_id: str, run_id: str):
    if not _RUN_ID.match(run_id):
        raise NotFound("That run is unknown or older than 30 days.")
    offset = _int_arg("offset", 0, 0, 1_000_000)
    journal = Journal(_svc().redis, connection_id)
    meta = journal.run(run_id)
    if meta is None:
        raise NotFound("That run is unknown or older than 30 days.")
    items = journal.changes(run_id, offset, CHANGES_PAGE)
    label, text, stages = _readable(connection_id)
    stored = min(meta.changes, offset + len(items))
    more = len(items) == CHANGES_PAGE and stored < meta.changes
    return jsonify(
        run=_run_json(meta),
        changes=[
            change.to_json()
            | {
                "label": label(change.field),
                "before_text": text(change.field, change.before),
                "after_text": text(change.field, change.after),
            }
            for change in items
        ],
        next_offset=offset + len(items) if more else None,
        undo_stages=stages if meta.counts.get("created") else [],
    )


@bp.post("/connections/<connection_id>/runs/<run_id>/undo")
def undo(connection_id: str, run_id: str):
    if not _RUN_ID.match(run_id) or Journal(_svc().redis, connection_id).run(run_id) is None:
        raise NotFound("That run is unknown or older than 30 days.")
    data = request.get_json(silent=True) if request.get_data(cache=True) else {}
    if not isinstance(data, dict):
        raise BadRequest("Send a JSON object (or nothing).")
    stage = data.get("stage")
    if stage is not None and (not isinstance(stage, int) or isinstance(stage, bool) or stage <= 0):
        raise BadRequest("stage must be the id of a stage of this sheet's pipeline.")
    confirm = data.get("confirm", False)
    if not isinstance(confirm, bool):
        raise BadRequest("confirm must be true or false.")
    auth.account_of(connection_id)
    job_id = keys.job_id("undo", connection_id, secrets.token_hex(6))
    job = queues.enqueue(
        _svc().redis,
        queues.SYNC,
        undo_job,
        connection_id,
        run_id,
        stage,
        confirm,
        job_id=job_id,
        retry=jobs.RETRY,
        meta={"connection_id": connection_id, "kind": "undo"},
    )
    return jsonify(job_id=job.id, kind="undo", status="queued"), 202


def _readable(connection_id: str):
    """How a person reads a change: the column's header for a target, and a value as the sheet shows
    it (a stage by name, a user by name); and the stages of the sheet's pipeline (where an undo may
    move the leads a run created). Without the account's catalog, values stay as stored."""
    svc = _svc()
    tenants = amo_account.tenants(svc)
    conn = tenants.get(connection_id)
    mapping = ColumnMapping.from_json(conn.mapping) if conn.mapping else None
    headers = {c.target: c.header for c in mapping.columns if c.header} if mapping else {}
    ctx = None
    if mapping and conn.account_id and (account := tenants.account(conn.account_id)) and not account.blocked:
        try:
            ctx = Context(amo_account.catalog(svc, account), mapping.pipeline_id)
        except AppError:  # amoCRM unreachable or the grant lost: the stored values still say it
            ctx = None

    def label(target: str) -> str:
        return "lead" if target == CREATED_FIELD else headers.get(target, target)

    def text(target: str, value) -> str:
        if value is None or value == "":
            return ""
        if ctx is not None and target != CREATED_FIELD:
            try:
                return str(render_cell(target, value, ctx))
            except (ValueError, KeyError):
                pass
        return str(value)

    pipeline = ctx.catalog.pipeline(ctx.pipeline_id) if ctx is not None else None
    stages = [{"id": stage.status_id, "name": stage.name} for stage in pipeline.statuses] if pipeline else []
    return label, text, stages


# --- health ----------------------------------------------------------------------------------------


@dataclass
class State:
    """What the health screen is built from (read from the stores; see `health`)."""

    account: bool  # amoCRM is connected
    webhook: str  # active | disabled | missing
    amo_answered_at: float | None
    token_status: str  # ok | needs_reconnect | missing
    token_reason: str
    refreshed_at: float | None
    queued: int  # changes waiting for a run
    run_s: float  # a recent run's mean duration


# fresh, stale (age), what to do when stale, missing, what to do when missing
AMO_TEXTS = (
    "amoCRM answered recently.",
    "amoCRM last answered {} h ago.",
    "Press Sync now; if it fails, see the message it shows or reconnect amoCRM.",
    "amoCRM has not answered a sync yet.",
    "Press Sync now.",
)
TOKEN_TEXTS = (
    "The amoCRM grant is fresh.",
    "The grant was last refreshed {} days ago.",
    "Reconnect amoCRM before it lapses (three idle months).",
    "There is no amoCRM grant.",
    "Reconnect amoCRM.",
)


def _item(ok: bool, detail: str, action: str = "", at: float | None = None) -> dict:
    return {"ok": ok, "detail": detail, "action": "" if ok else action, "at": _iso(at)}


def _by_age(at: float | None, now: float, limit_s: float, unit_s: int, texts: tuple[str, ...]) -> dict:
    """`texts` = (fresh, stale, action, missing, missing's action). Ok while `at` is at most `limit_s` old;
    else the stale text with the age in `unit_s` units, and the action; no `at` at all: the missing text."""
    fresh, stale, action, missing, missing_action = texts
    if at is None:
        return _item(False, missing, missing_action)
    if now - at > limit_s:
        return _item(False, stale.format(int((now - at) // unit_s)), action, at)
    return _item(True, fresh, at=at)


def assess(state: State, now: float) -> dict:
    """Each health item: ok, what is true, when, and what to do when it is not ok."""
    if not state.account:
        missing = _item(False, "amoCRM is not connected.", "Connect amoCRM from the sidebar.")
        return {"webhook": missing, "amo": missing, "token": missing, "backlog": _backlog(state)}
    webhook = {
        "active": _item(True, "amoCRM's webhook is registered and enabled."),
        "disabled": _item(
            False,
            "amoCRM disabled the webhook after failed deliveries.",
            "It is registered again within the hour; to do it now, reconnect amoCRM.",
        ),
    }.get(state.webhook) or _item(
        False, "amoCRM's webhook is not registered.", "Reconnect amoCRM to register it."
    )
    amo = _by_age(state.amo_answered_at, now, AMO_QUIET_S, 3600, AMO_TEXTS)
    granted = state.refreshed_at if state.token_status == TOKEN_OK else None
    token = _by_age(granted, now, TOKEN_STALE_S, 86400, TOKEN_TEXTS)
    if state.token_status == NEEDS_RECONNECT:
        token = _item(
            False, f"amoCRM refused the grant: {state.token_reason}", "Reconnect amoCRM.", state.refreshed_at
        )
    return {"webhook": webhook, "amo": amo, "token": token, "backlog": _backlog(state)}


def _backlog(state: State) -> dict:
    """Queued changes drain in one run (a burst of edits or webhooks becomes one job)."""
    estimate = 0 if not state.queued else max(1, round(state.run_s))
    noun = "change" if state.queued == 1 else "changes"
    detail = f"{state.queued} {noun} queued, about {estimate} s." if state.queued else "Nothing is waiting."
    item = _item(
        estimate < BACKLOG_SLOW_S,
        detail,
        "Runs are slow: amoCRM or Sheets may be limiting us. Nothing is lost; if it does not go down "
        "within the hour, look at the errors list or press Sync now.",
    )
    return {**item, "queued": state.queued, "estimate_s": estimate}


@bp.get("/connections/<connection_id>/health")
def health(connection_id: str):
    svc = _svc()
    r = svc.redis
    tenants = amo_account.tenants(svc)
    conn = tenants.get(connection_id)
    account = tenants.account(conn.account_id) if conn.account_id else None
    tokens = TokenStore(r, Cipher(svc.settings.token_encryption_keys)).get(account.id) if account else None
    journal = Journal(r, connection_id)
    queued = int(r.hlen(keys.edits(connection_id)))
    if account is not None:
        queued += int(r.scard(keys.changed("leads", account.id))) + int(
            r.scard(keys.changed("contacts", account.id))
        )
    recent = journal.runs(limit=10)
    run_s = (
        sum(meta.finished_at - meta.started_at for meta in recent) / len(recent) if recent else DEFAULT_RUN_S
    )
    state = State(
        account=account is not None,
        webhook=account.webhook if account else "missing",
        amo_answered_at=journal.amo_answered_at(),
        token_status=tokens.status if tokens else "missing",
        token_reason=tokens.reason if tokens else "",
        refreshed_at=tokens.refreshed_at if tokens else None,
        queued=queued,
        run_s=run_s,
    )
    return jsonify(assess(state, time.time()))
