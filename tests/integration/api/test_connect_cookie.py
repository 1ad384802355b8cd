"""The connect page's browser cookie: HttpOnly, SameSite=Lax, scoped to the OAuth pages, Secure when
the service is reached over https — and its value is never what Redis keeps (only its hash)."""

from __future__ import annotations

import hashlib
import re

from backend.app import create_app
from backend.security.crypto import Cipher
from backend.settings import Settings
from backend.store.connections import Tenants
from backend.web.oauth import BROWSER_COOKIE, make_ticket


def _start(env: dict, redis_client):
    app = create_app(Settings.from_env(env))
    svc = app.extensions["services"]
    conn, _ = Tenants(svc.redis, Cipher(svc.settings.token_encryption_keys)).create(
        "1AbCdEfGhIjKlMnOpQrStUv", 0, "Leads", "sub-1", "owner@example.com"
    )
    with app.app_context():
        ticket = make_ticket(conn.id)
    return app.test_client().get("/oauth/amocrm/start", query_string={"ticket": ticket})


def test_the_cookie_is_httponly_lax_and_only_its_hash_is_stored(env, redis_client):
    r = _start(env, redis_client)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith(BROWSER_COOKIE + "=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/oauth/amocrm/" in cookie
    assert "Secure" not in cookie  # plain http (local runs): a Secure cookie would never come back
    value = re.match(rf"{BROWSER_COOKIE}=([^;]+)", cookie).group(1)
    state = re.search(r"state=([^&\"]+)", r.get_data(as_text=True)).group(1)
    stored = redis_client.get(f"oauth-browser:{state}").decode()
    assert stored == hashlib.sha256(value.encode()).hexdigest()
    kept = [redis_client.get(k) for k in redis_client.scan_iter("oauth-*")]
    assert all(value.encode() not in v for v in kept)


def test_over_https_the_cookie_is_secure(env, redis_client):
    r = _start({**env, "PUBLIC_BASE_URL": "https://sync.example.com"}, redis_client)
    assert "Secure" in r.headers["Set-Cookie"]
