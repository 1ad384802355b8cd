"""amoCRM webhook intake: `POST /webhooks/amocrm/<token>` and the signed "access revoked" hook.

amoCRM waits 2 s and disables a hook after more than 100 failures in 2 h, so the handler only records
the changed lead and contact ids (Redis sets per account) and enqueues one drain job if none is pending,
then answers 200. Status codes: unknown token 404, `account[id]` not the token's account 403, body over
WEBHOOK_MAX_BYTES 413, unparseable body 400 — none of them enqueues anything.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from urllib.parse import parse_qsl

from flask import Blueprint, current_app, jsonify, request

from backend.amocrm import account as amo_account
from backend.amocrm.errors import AmoAuthError, AmoError
from backend.amocrm.oauth import integration_by_client_id
from backend.amocrm.webhook_payload import PayloadError, changes, parse_form
from backend.errors import AppError, Code
from backend.security.crypto import Cipher
from backend.store import keys
from backend.store.tokens import NEEDS_RECONNECT, TokenStore
from backend.sync.jobs import request_amo_drain

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__)


@bp.post("/webhooks/amocrm/<token>")
def amocrm_webhook(token: str):
    svc = current_app.extensions["services"]
    if (request.content_length or 0) > svc.settings.webhook_max_bytes:
        raise AppError("The webhook body is too large.", code=Code.PAYLOAD_TOO_LARGE, status=413)
    body = request.get_data(cache=False)
    if len(body) > svc.settings.webhook_max_bytes:  # chunked bodies carry no Content-Length
        raise AppError("The webhook body is too large.", code=Code.PAYLOAD_TOO_LARGE, status=413)
    t = amo_account.tenants(svc)
    account_id = t.account_for_webhook(token)
    if account_id is None:
        raise AppError("Unknown webhook address.", code=Code.NOT_FOUND, status=404)
    try:
        parsed = changes(
            parse_form(parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20_000))
        )
    except (PayloadError, UnicodeDecodeError, ValueError) as exc:
        raise AppError(
            f"The webhook body could not be read: {exc}", code=Code.BAD_REQUEST, status=400
        ) from None
    if parsed.account_id != account_id:
        raise AppError(
            "This webhook address belongs to another amoCRM account.", code=Code.FORBIDDEN, status=403
        )
    job_id = None
    if parsed.lead_ids or parsed.contact_ids:
        job_id = request_amo_drain(svc.redis, account_id, parsed.lead_ids, parsed.contact_ids)
    return jsonify(
        status="accepted", leads=len(parsed.lead_ids), contacts=len(parsed.contact_ids), queued=bool(job_id)
    )


@bp.get("/webhooks/amocrm/revoked")
def access_revoked():
    """amoCRM's signed GET when an admin revokes the integration: signature = HMAC-SHA256 of
    "{client_id}|{account_id}" with the client secret (hex). Acted on only once amoCRM confirms it."""
    svc = current_app.extensions["services"]
    client_id = request.args.get("client_uuid", "")
    account_id = request.args.get("account_id", "")
    signature = request.args.get("signature", "")
    integration = integration_by_client_id(svc.settings, client_id)  # amoCRM's or Kommo's integration
    secret = integration.client_secret if integration else ""
    expected = hmac.new(secret.encode(), f"{client_id}|{account_id}".encode(), hashlib.sha256).hexdigest()
    if integration is None or not hmac.compare_digest(expected, signature) or not account_id.isdigit():
        raise AppError("The access-revoked notice is not signed by amoCRM.", code=Code.FORBIDDEN, status=403)
    _confirm_revoked(svc, int(account_id))
    return jsonify(status="ok")


REVOKE_CHECK_EVERY_S = 60


def _confirm_revoked(svc, account_id: int) -> None:
    """The notice carries no time stamp: the same signed URL is valid forever, so whoever saw it once
    could replay it. Ask amoCRM instead (an account read, refreshing the token if refused; at most
    once a minute per account): only a token amoCRM refuses marks the account "reconnect needed"."""
    account = amo_account.tenants(svc).account(account_id)
    if account is None or not svc.redis.set(
        keys.revoke_check(account_id), 1, nx=True, ex=REVOKE_CHECK_EVERY_S
    ):
        return
    try:
        amo_account.client_for(svc, account).get("/api/v4/account")
    except AmoAuthError:  # refused even after a refresh: the refresh path marked the account
        TokenStore(svc.redis, Cipher(svc.settings.token_encryption_keys)).mark(
            account_id, NEEDS_RECONNECT, "access revoked in amoCRM"
        )
        log.warning("amo account %s: access revoked by an amoCRM admin (confirmed)", account_id)
        return
    except AmoError as exc:
        log.warning("amo account %s: access-revoked notice not confirmed: %s", account_id, exc.detail)
        return
    log.warning("amo account %s: an access-revoked notice, but amoCRM still accepts the token", account_id)
