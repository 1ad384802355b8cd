"""Connecting an amoCRM account: code exchange, account read, token storage, webhook registration —
and the webhook's upkeep (re-register when amoCRM disabled it; delete on disconnect).

Called by the OAuth callback (`web/oauth.py`) and the maintenance jobs. Nothing is stored until every
step that can fail has succeeded, so a failed connect changes nothing.
"""

from __future__ import annotations

import logging
import re
import time

from backend.amocrm import account as amo_account
from backend.amocrm.client import AmoClient
from backend.amocrm.errors import AmoError
from backend.amocrm.oauth import OAuthRejected, TokenEndpointBusy, jwt_claims, token_set
from backend.errors import AppError, Code
from backend.security.crypto import Cipher
from backend.services import Services
from backend.store import keys, locks
from backend.store.connections import Account
from backend.store.tokens import TokenStore

log = logging.getLogger(__name__)

WEBHOOK_EVENTS = [
    "add_lead",
    "update_lead",
    "status_lead",
    "responsible_lead",
    "delete_lead",
    "restore_lead",
    "add_contact",
    "update_contact",
]
WEBHOOK_UNAVAILABLE = "unavailable"  # registration refused (rights, plan): changes are polled instead
_HOST = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$")


class ConnectError(AppError, status=400, code=Code.BAD_REQUEST):
    pass


def allowed_host(referer: str, allowed_domains: tuple[str, ...]) -> str:
    """The account host from the callback's `referer`, if it is a subdomain of an allowed domain.
    Anything else (other domains, IPs, ports, paths, userinfo) is refused: the backend will send the
    authorization code and client secret to this host, so it must never be attacker-chosen."""
    host = referer.strip().lower()
    if not _HOST.match(host) or host.startswith("www."):
        raise ConnectError(f"“{referer[:60]}” is not an amoCRM account address.")
    if not any(host.endswith("." + d) and host != d for d in allowed_domains):
        raise ConnectError(f"“{host}” is not an amoCRM or Kommo account address.")
    return host


def webhook_url(svc: Services, account_id: int) -> str:
    token = amo_account.tenants(svc).webhook_token(account_id)
    return f"{svc.settings.public_base_url}/webhooks/amocrm/{token}"


def connect(svc: Services, host: str, code: str) -> Account:
    """Exchange the code, read the account, store tokens and account, register the webhook."""
    oauth = amo_account.oauth_client(svc, host)
    try:
        data = oauth.exchange_code(host, code)
    except OAuthRejected as exc:
        raise ConnectError(
            f"amoCRM refused the authorization ({exc.hint}). Start again from the sidebar."
        ) from None
    except TokenEndpointBusy:
        raise ConnectError(
            "amoCRM is busy and did not answer the authorization. Wait a minute and connect again."
        ) from None
    now = time.time()
    tokens = token_set(data, now)
    claims = jwt_claims(tokens.access)
    probe = AmoClient(
        base_url=svc.settings.amo_base_url_template.format(host=host),
        token=lambda: tokens.access,
        refresh=lambda _stale: tokens.access,
        limiter=amo_account.limiter(svc, host),
        timeout_s=svc.settings.amo_http_timeout_s,
        max_attempts=3,
    )
    info = probe.get("/api/v4/account") or {}
    account_id = int(info.get("id") or 0)
    if not account_id or (claims.get("account_id") and int(claims["account_id"]) != account_id):
        raise ConnectError("amoCRM answered for a different account than the one authorized.")
    account = Account(
        account_id, host, str(info.get("name", "")), info.get("current_user_id"), "missing", "", now
    )
    # Under the refresh lock: a refresh of this account's previous grant still in flight (a reconnect
    # while a job runs) would otherwise store its pair over this one after we wrote it.
    with locks.hold(svc.redis, locks.account_lock_name(account_id), ttl_s=30, wait_s=60):
        TokenStore(svc.redis, Cipher(svc.settings.token_encryption_keys)).put(account_id, tokens)
    tenants = amo_account.tenants(svc)
    tenants.put_account(account)
    svc.redis.delete(keys.catalog(account_id))
    amo_account.forget_catalogs(account_id)
    try:
        register_webhook(svc, account)
    except AmoError as exc:
        # Connected anyway. amoCRM lets only an administrator subscribe webhooks, and Kommo offers API
        # webhooks only on some plans: the state says the webhook is unavailable (the sidebar shows it),
        # `schedule.reconcile_unhooked` reconciles this account's sheets every few minutes instead, and
        # the hourly check keeps trying to register.
        tenants.set_account_fields(account_id, webhook=WEBHOOK_UNAVAILABLE, webhook_error=exc.detail[:200])
        log.warning("amo account %s: webhook registration failed: %s", account_id, exc.detail)
    return tenants.account(account_id) or account


def register_webhook(svc: Services, account: Account, client: AmoClient | None = None) -> None:
    client = client or amo_account.client_for(svc, account)
    destination = webhook_url(svc, account.id)
    existing = (client.get("/api/v4/webhooks", {"filter[destination]": destination}) or {}).get(
        "_embedded", {}
    )
    hooks = [h for h in existing.get("webhooks", []) if h.get("destination") == destination]
    if hooks and not any(h.get("disabled") for h in hooks):
        amo_account.tenants(svc).set_account_fields(account.id, webhook="active", webhook_error="")
        return
    if hooks:  # disabled by amoCRM after failures: re-create it
        client.request("DELETE", "/api/v4/webhooks", json={"destination": destination})
    client.request(
        "POST", "/api/v4/webhooks", json={"destination": destination, "settings": WEBHOOK_EVENTS, "sort": 10}
    )
    amo_account.tenants(svc).set_account_fields(account.id, webhook="active", webhook_error="")
    log.info("amo account %s: webhook registered", account.id)


def unregister_webhook(svc: Services, account: Account) -> None:
    client = amo_account.client_for(svc, account)
    client.request("DELETE", "/api/v4/webhooks", json={"destination": webhook_url(svc, account.id)})
    amo_account.tenants(svc).set_account_fields(account.id, webhook="missing")


def check_webhook(svc: Services, account: Account) -> str:
    """Notice a webhook amoCRM disabled (or that vanished) and register it again; return its state."""
    client = amo_account.client_for(svc, account)
    destination = webhook_url(svc, account.id)
    found = (client.get("/api/v4/webhooks", {"filter[destination]": destination}) or {}).get("_embedded", {})
    hooks = [h for h in found.get("webhooks", []) if h.get("destination") == destination]
    if hooks and not any(h.get("disabled") for h in hooks):
        return "active"
    if account.webhook != WEBHOOK_UNAVAILABLE:
        amo_account.tenants(svc).set_account_fields(account.id, webhook="disabled" if hooks else "missing")
    try:
        register_webhook(svc, account, client)
    except AmoError as exc:
        amo_account.tenants(svc).set_account_fields(
            account.id, webhook=WEBHOOK_UNAVAILABLE, webhook_error=exc.detail[:200]
        )
        raise
    return "re-registered"
