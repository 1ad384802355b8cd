"""One deployment serving amoCRM and Kommo accounts at once: two integrations (one made in amoCRM, one in
Kommo), each account served by the integration of its domain (legacy *.amocrm.com hosts are Kommo's);
and a connect whose webhook amoCRM refuses says so and is reconciled every few minutes instead."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from backend.amocrm import account as amo_account
from backend.amocrm.oauth import integration_for_host
from backend.app import create_app
from backend.settings import Settings
from sandbox.amocrm import seed
from sandbox.redis_server import free_port
from sandbox.serve import ServerThread
from tests.integration.amocrm.conftest import HOST, Backend, backend_env, confirm_connect, connect_flow

KOMMO_ID = "7d1e1c55-0000-4000-8000-00000000c0de"
KOMMO_SECRET = "kommo-integration-secret-" + "k" * 40
KOMMO_HOST = "acme.kommo.com"
LEGACY_HOST = "old.amocrm.com"


@pytest.fixture
def two(amo, redis_client, redis_server) -> Iterator[Backend]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = backend_env(
        redis_server.url,
        amo,
        url,
        KOMMO_CLIENT_ID=KOMMO_ID,
        KOMMO_CLIENT_SECRET=KOMMO_SECRET,
        KOMMO_AUTHORIZE_URL=f"{amo.url}/oauth",
    )
    settings = Settings.from_env(env)
    amo.admin.update_integration(seed.DEFAULT_CLIENT_ID, redirect_uri=settings.amo_redirect_uri)
    amo.admin.create_integration(
        client_id=KOMMO_ID, client_secret=KOMMO_SECRET, redirect_uri=settings.amo_redirect_uri, name="Kommo"
    )
    for host in (KOMMO_HOST, LEGACY_HOST):
        amo.admin.create_account(host)
    app = create_app(settings)
    server = ServerThread(app, port=port).start()
    yield Backend(url, app, settings, amo)
    server.stop()


def connect_with(b: Backend, button: str, host: str) -> tuple[int, str, dict]:
    """The connect page's `button` (connect | connect-kommo), account `host`, Allow, back to the callback."""
    s = requests.Session()
    conn, _ = b.tenants.create(
        f"1Sheet{host.replace('.', '')}{button}", 0, "Leads", "sub-1", "owner@example.com"
    )
    cid = conn.id
    start = s.get(f"{b.url}/oauth/amocrm/start", params={"ticket": b.ticket(cid)}, timeout=10)
    authorize = html.unescape(re.search(rf'id="{button}" href="([^"]+)"', start.text).group(1))
    page = s.get(authorize, timeout=10)
    form = {
        n: html.unescape(v)
        for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text)
    }
    form.update({"account": host, "decision": "allow", "user_id": ""})
    answer = s.post(authorize.split("?")[0], data=form, allow_redirects=False, timeout=10)
    location = answer.headers["Location"]
    back = s.get(location.split("?")[0], params=dict(parse_qsl(urlsplit(location).query)), timeout=30)
    back = confirm_connect(s, back)  # the person checks which sheet is being connected
    return back.status_code, back.text, {"cid": cid, **dict(parse_qsl(urlsplit(location).query))}


def test_the_connect_page_offers_both_and_each_domain_gets_its_integration(two):
    status, text, q = connect_with(two, "connect-kommo", KOMMO_HOST)
    assert status == 200 and f"Connected to {KOMMO_HOST}" in text and q["client_id"] == KOMMO_ID
    status, text, q = connect_with(two, "connect", HOST)
    assert status == 200 and f"Connected to {HOST}" in text and q["client_id"] == seed.DEFAULT_CLIENT_ID
    # each account's tokens refresh through its own integration (the emulator refuses the other's)
    for account in map(two.tenants.account, two.tokens.accounts()):
        tm = amo_account.token_manager(two.services, account)
        assert tm.oauth.client_id == (KOMMO_ID if account.host == KOMMO_HOST else seed.DEFAULT_CLIENT_ID)
        assert tm.refresh(two.tokens.get(account.id).access, force=True)
        assert amo_account.client_for(two.services, account).get("/api/v4/account")["id"] == account.id
        assert two.tokens.get(account.id).status == "ok"


def test_legacy_amocrm_com_hosts_are_kommo_accounts(two):
    assert integration_for_host(two.settings, LEGACY_HOST).client_id == KOMMO_ID
    status, text, _ = connect_with(two, "connect-kommo", LEGACY_HOST)
    assert status == 200 and f"Connected to {LEGACY_HOST}" in text


def test_an_account_through_the_other_integration_is_refused_and_nothing_changes(two):
    status, text, q = connect_with(two, "connect-kommo", HOST)  # an amoCRM (.ru) account via Kommo's
    assert status == 400 and "other integration" in text and "Nothing was changed" in text
    assert two.tenants.get(q["cid"]).account_id is None


def test_a_refused_webhook_is_shown_and_the_sheet_is_reconciled_every_few_minutes(backend):
    from backend import queues, services
    from backend.schedule import reconcile_unhooked
    from backend.security import signing

    backend.amo.admin.set_faults(webhooks_unavailable=True)
    cid = backend.new_connection()
    page, _ = connect_flow(backend, cid)
    assert page.status == 200  # connected anyway
    account = backend.tenants.account(backend.tenants.get(cid).account_id)
    assert account.webhook == "unavailable"
    url = f"{backend.url}/api/v1/connections/{cid}"
    headers = signing.sign("GET", url, {}, b"", key_id=cid, secret=backend.tenants.secret(cid))
    state = requests.get(url, headers=headers, timeout=10).json()
    assert (
        state["amo"]["connected"] is True and state["amo"]["webhook"] == "unavailable"
    )  # the sidebar's line
    backend.tenants.set_fields(cid, mapping={"columns": [], "pipeline_id": 1})
    services.bootstrap(backend.settings, configure_logs=False)  # what a worker does before a job
    assert reconcile_unhooked() == {"enqueued": 1}
    assert reconcile_unhooked() == {"enqueued": 0}  # one pending at a time
    assert [j.args for j in queues.queue(queues.SYNC, backend.services.redis).jobs] == [(cid,)]
    # the hourly check registers it once amoCRM allows it again, and the polling stops
    backend.amo.admin.set_faults(webhooks_unavailable=False)
    from backend.amocrm.connect import check_webhook

    assert check_webhook(backend.services, account) == "re-registered"
    backend.services.redis.delete(f"reconcile-queued:{cid}")
    assert reconcile_unhooked() == {"enqueued": 0}
