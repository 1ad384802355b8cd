"""Connecting amoCRM through the real pages: success, and every failure path changing nothing."""

import json

from tests.integration.amocrm.conftest import HOST, connect_flow


def test_connect_stores_encrypted_tokens_binds_the_connection_and_registers_the_webhook(backend):
    cid = backend.new_connection()
    page, query = connect_flow(backend, cid)
    assert page.status == 200
    assert f"Connected to {HOST}" in page.text
    assert "postMessage" in page.text and '"amo-sync-connected"' in page.text
    assert query["referer"] == HOST and query["client_id"] == backend.settings.amo_client_id

    conn = backend.tenants.get(cid)
    account = backend.tenants.account(conn.account_id)
    assert account.host == HOST and account.webhook == "active"
    tokens = backend.tokens.get(account.id)
    assert tokens.status == "ok" and tokens.access.count(".") == 2  # a JWT
    raw = backend.services.redis.hgetall(f"amo:tokens:{account.id}")
    assert tokens.access.encode() not in raw[b"access"] and raw[b"access"].startswith(b"gAAAAA")  # Fernet
    hooks = backend.amo.admin.webhooks(HOST)
    (hook,) = [h for h in hooks if h["destination"].startswith(backend.url + "/webhooks/amocrm/")]
    assert {"add_lead", "update_lead", "status_lead", "delete_lead", "add_contact", "update_contact"} <= set(
        hook["settings"]
    )


def _nothing_changed(backend, cid):
    assert backend.tenants.get(cid).account_id is None
    assert not list(backend.services.redis.scan_iter("amo:tokens:*"))
    assert not backend.amo.admin.webhooks(HOST)


def test_deny_changes_nothing(backend):
    cid = backend.new_connection()
    page, query = connect_flow(backend, cid, deny=True)
    assert query["error"] == "access_denied"
    assert page.status == 400 and "not allowed" in page.text and "Nothing was changed" in page.text
    _nothing_changed(backend, cid)


def test_reused_state_is_refused(backend):
    cid = backend.new_connection()
    page, query = connect_flow(backend, cid)
    assert page.status == 200
    import requests

    again = requests.get(f"{backend.url}/oauth/amocrm/callback", params=query, timeout=10)
    assert again.status_code == 400 and "already used or has expired" in again.text


def test_unknown_state_is_refused(backend):
    cid = backend.new_connection()
    page, _ = connect_flow(backend, cid, tamper=lambda q: {**q, "state": "forged-state"})
    assert page.status == 400 and "already used or has expired" in page.text
    _nothing_changed(backend, cid)


def test_foreign_referer_is_refused_before_anything_is_sent(backend):
    cid = backend.new_connection()
    before = backend.amo.admin.counters()["total"]
    page, _ = connect_flow(backend, cid, tamper=lambda q: {**q, "referer": "attacker.example.com"})
    assert page.status == 400 and "not an amoCRM or Kommo account address" in page.text
    assert backend.amo.admin.counters()["total"] == before  # no code exchange was attempted
    _nothing_changed(backend, cid)


def test_exchange_failure_is_explained(backend):
    cid = backend.new_connection()
    page, _ = connect_flow(backend, cid, tamper=lambda q: {**q, "code": "not-a-real-code"})
    assert page.status == 400 and "amoCRM refused the authorization" in page.text
    _nothing_changed(backend, cid)


def test_bad_ticket_pages(backend):
    import requests

    r = requests.get(f"{backend.url}/oauth/amocrm/start", params={"ticket": "garbage"}, timeout=10)
    assert r.status_code == 400 and "not valid" in r.text


def test_start_page_sends_client_id_state_and_post_message_mode(backend):
    import re

    import requests

    cid = backend.new_connection()
    r = requests.get(f"{backend.url}/oauth/amocrm/start", params={"ticket": backend.ticket(cid)}, timeout=10)
    href = re.search(r'id="connect" href="([^"]+)"', r.text).group(1).replace("&amp;", "&")
    assert href.startswith(backend.amo.url + "/oauth?")
    assert f"client_id={backend.settings.amo_client_id}" in href and "mode=post_message" in href
    state = re.search(r"state=([^&]+)", href).group(1)
    assert backend.services.redis.get(f"oauth-state:{state}").decode() == cid
    assert json.loads(json.dumps(backend.services.redis.ttl(f"oauth-state:{state}"))) <= 900
