"""Build the amoCRM client for one connected account: tokens, shared rate limit, block state, catalog.

The one place that wires `AmoClient` to the process's services, so a job asks for `client_for(account)`
and never sees tokens.
"""

from __future__ import annotations

import json
import logging

from cachetools import TTLCache

from backend.amocrm.client import AmoClient
from backend.amocrm.models import catalog_from_json, catalog_json, load_catalog
from backend.amocrm.oauth import BUSY_MESSAGE, OAuthClient, TokenManager, integration_for_host
from backend.security.crypto import Cipher
from backend.services import Services
from backend.store import keys
from backend.store.connections import Account, Tenants
from backend.store.ratelimit import SlidingWindowLimiter
from backend.store.tokens import TokenStore
from backend.sync.core.catalog import Catalog

log = logging.getLogger(__name__)

CATALOG_TTL_S = 600
_catalogs: TTLCache = TTLCache(maxsize=256, ttl=60)  # per process, in front of Redis


def forget_catalogs(account_id: int | None = None) -> None:
    """Drop one account's catalog from this process's cache, or all of them."""
    if account_id is None:
        _catalogs.clear()
    else:
        _catalogs.pop(account_id, None)


def oauth_client(svc: Services, host: str) -> OAuthClient:
    """The token-endpoint client of the integration that serves the account at `host`."""
    s = svc.settings
    integration = integration_for_host(s, host)
    return OAuthClient(
        integration.client_id,
        integration.client_secret,
        integration.redirect_uri,
        s.amo_base_url_template,
        s.amo_http_timeout_s,
    )


def tenants(svc: Services) -> Tenants:
    return Tenants(svc.redis, Cipher(svc.settings.token_encryption_keys))


def token_manager(svc: Services, account: Account) -> TokenManager:
    """The account's token manager; while amoCRM's token endpoint is busy, each connection of the
    account shows it in `last_error` (the sidebar's health line), and a renewed pair clears it."""
    store = TokenStore(svc.redis, Cipher(svc.settings.token_encryption_keys))
    tenant_store = tenants(svc)

    def busy(message: str) -> None:
        for cid in tenant_store.connections_of(account.id):
            tenant_store.set_fields(cid, last_error=message)

    def renewed() -> None:
        for cid in tenant_store.connections_of(account.id):
            raw = svc.redis.hget(keys.connection(cid), "last_error")
            if raw and raw.decode() == BUSY_MESSAGE:
                tenant_store.set_fields(cid, last_error="")

    return TokenManager(
        svc.redis,
        store,
        oauth_client(svc, account.host),
        account.id,
        account.host,
        on_busy=busy,
        on_renewed=renewed,
    )


def limiter(svc: Services, host: str) -> SlidingWindowLimiter:
    """amoCRM limits requests per account; keyed by host so the connect flow (which learns the account id
    from its first call) shares the window with everything after it."""
    rps = svc.settings.amo_rate_limit_rps
    limit = max(1, round(rps))
    # The margin absorbs jitter: amoCRM stamps a request when it handles it, not when we send it.
    return SlidingWindowLimiter(svc.redis, keys.amo_limiter(host), limit, window_s=limit / rps, margin_s=0.15)


def client_for(svc: Services, account: Account) -> AmoClient:
    tm = token_manager(svc, account)
    tenant_store = tenants(svc)

    def on_blocked(reason: str) -> None:
        tenant_store.set_account_fields(account.id, blocked=reason)
        log.error("amo account %s: API access blocked: %s", account.id, reason)

    def is_blocked() -> str | None:
        raw = svc.redis.hget(keys.account(account.id), "blocked")
        return raw.decode() if raw else None

    return AmoClient(
        base_url=svc.settings.amo_base_url_template.format(host=account.host),
        token=tm.access_token,
        refresh=tm.refresh,
        limiter=limiter(svc, account.host),
        on_blocked=on_blocked,
        is_blocked=is_blocked,
        timeout_s=svc.settings.amo_http_timeout_s,
    )


def catalog(
    svc: Services, account: Account, client: AmoClient | None = None, *, fresh: bool = False
) -> Catalog:
    """The account's pipelines, users and fields: process cache, then Redis (10 min), then the API."""
    key = keys.catalog(account.id)
    if not fresh:
        if account.id in _catalogs:
            return _catalogs[account.id]
        raw = svc.redis.get(key)
        if raw:
            _catalogs[account.id] = catalog_from_json(json.loads(raw))
            return _catalogs[account.id]
    cat = load_catalog(client or client_for(svc, account), account.host)
    svc.redis.set(key, json.dumps(catalog_json(cat), ensure_ascii=False), ex=CATALOG_TTL_S)
    _catalogs[account.id] = cat
    return cat
