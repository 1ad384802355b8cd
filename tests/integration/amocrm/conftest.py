"""The backend wired to the amoCRM emulator and a real Redis, served over real HTTP.

`backend` starts `create_app()` on a free port with settings pointing at the emulator (base-URL
template, authorize page, the seeded integration's id and secret), and registers the backend's callback
as the integration's redirect URI. `connect_flow()` walks the OAuth pages like a browser would.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from flask import Flask

from backend.app import create_app
from backend.security.crypto import Cipher
from backend.services import Services
from backend.settings import Settings
from backend.store.connections import Tenants
from backend.store.tokens import TokenStore
from backend.web.oauth import make_ticket
from bench.tenant import confirm_connect
from sandbox.amocrm import seed
from sandbox.amocrm.testing import RunningAmo
from sandbox.redis_server import free_port
from sandbox.serve import ServerThread
from tests.conftest import base_env

HOST = seed.DEFAULT_HOST


@dataclass
class Backend:
    url: str
    app: Flask
    settings: Settings
    amo: RunningAmo

    @property
    def services(self) -> Services:
        return self.app.extensions["services"]

    @property
    def tenants(self) -> Tenants:
        return Tenants(self.services.redis, Cipher(self.settings.token_encryption_keys))

    @property
    def tokens(self) -> TokenStore:
        return TokenStore(self.services.redis, Cipher(self.settings.token_encryption_keys))

    def new_connection(self) -> str:
        conn, _ = self.tenants.create("1AbCdEfGhIjKlMnOpQrStUv", 0, "Leads", "sub-1", "owner@example.com")
        return conn.id

    def ticket(self, connection_id: str) -> str:
        with self.app.app_context():
            return make_ticket(connection_id)


def backend_env(redis_url: str, amo: RunningAmo, url: str, **overrides: str) -> dict[str, str]:
    return {
        **base_env(redis_url),
        "PUBLIC_BASE_URL": url,
        "AMO_CLIENT_ID": seed.DEFAULT_CLIENT_ID,
        "AMO_CLIENT_SECRET": seed.DEFAULT_CLIENT_SECRET,
        "AMO_REDIRECT_URI": f"{url}/oauth/amocrm/callback",
        "AMO_BASE_URL_TEMPLATE": f"{amo.url}/{{host}}",
        "AMO_AUTHORIZE_URL": f"{amo.url}/oauth",
        "AMO_RATE_LIMIT_RPS": "500",
        "AMO_HTTP_TIMEOUT_S": "5",
        **overrides,
    }


@pytest.fixture
def backend(amo: RunningAmo, redis_client, redis_server) -> Iterator[Backend]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings.from_env(backend_env(redis_server.url, amo, url))
    amo.admin.update_integration(seed.DEFAULT_CLIENT_ID, redirect_uri=settings.amo_redirect_uri)
    app = create_app(settings)
    server = ServerThread(app, port=port).start()
    yield Backend(url, app, settings, amo)
    server.stop()


@dataclass
class Visit:
    status: int
    text: str


def connect_flow(b: Backend, connection_id: str, *, deny: bool = False, tamper=None) -> tuple[Visit, dict]:
    """Open the connect page, follow its button to amoCRM's authorize page, pick the account, press Allow
    (or Deny), and follow the redirect back to the backend's callback. `tamper(query)` may change the
    callback's query first. Returns the callback page and the query it received."""
    s = requests.Session()
    start = s.get(f"{b.url}/oauth/amocrm/start", params={"ticket": b.ticket(connection_id)}, timeout=10)
    assert start.status_code == 200, start.text
    authorize = html.unescape(re.search(r'id="connect" href="([^"]+)"', start.text).group(1))
    page = s.get(authorize, timeout=10)
    assert page.status_code == 200
    form = {
        n: html.unescape(v)
        for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text)
    }
    form.update({"account": HOST, "decision": "deny" if deny else "allow", "user_id": ""})
    answer = s.post(authorize.split("?")[0], data=form, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    query = dict(parse_qsl(urlsplit(location).query))
    if tamper:
        query = tamper(query)
    back = confirm_connect(s, s.get(location.split("?")[0], params=query, timeout=30))
    return Visit(back.status_code, back.text), query
