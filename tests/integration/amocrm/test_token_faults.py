"""The token endpoint's faults over the emulator's knobs: only amoCRM's refusals end a grant; a 429, a
5xx, the ban page or a timeout keep it, are retried, and the sidebar says "amoCRM is busy" meanwhile."""

import dataclasses

import pytest
import requests

from backend.amocrm import account as amo_account
from backend.amocrm.errors import AmoAuthError
from backend.amocrm.oauth import BUSY_MESSAGE, TokenEndpointBusy
from backend.security import signing
from tests.integration.amocrm.conftest import HOST, connect_flow

REFRESH = "POST /oauth2/access_token"


def connected(backend):
    cid = backend.new_connection()
    page, _ = connect_flow(backend, cid)
    assert page.status == 200
    return cid, backend.tenants.account(backend.tenants.get(cid).account_id)


def quick_manager(backend, account):
    """The account's token manager with short backoff, so four attempts take well under a second."""
    tm = amo_account.token_manager(backend.services, account)
    tm.oauth = dataclasses.replace(tm.oauth, backoff_s=0.05, timeout_s=1.0)
    return tm


def sidebar_state(backend, cid: str) -> dict:
    url = f"{backend.url}/api/v1/connections/{cid}"
    headers = signing.sign("GET", url, {}, b"", key_id=cid, secret=backend.tenants.secret(cid))
    return requests.get(url, headers=headers, timeout=10).json()


def force_token(backend, count: int, **item) -> None:
    backend.amo.admin.set_faults(force={"on": "oauth2", "count": count, **item})


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_a_busy_token_endpoint_is_retried_and_the_grant_kept(backend, status):
    _, account = connected(backend)
    before = backend.tokens.get(account.id)
    backend.amo.admin.reset_counters()
    force_token(backend, 2, status=status)
    token = quick_manager(backend, account).refresh(before.access, force=True)
    assert token != before.access
    assert backend.amo.admin.counters()["by_endpoint"][REFRESH] == 3  # two busy answers, then tokens
    assert amo_account.client_for(backend.services, account).get("/api/v4/account")["id"] == account.id


def test_still_busy_after_every_retry_says_amocrm_is_busy_then_recovers(backend):
    cid, account = connected(backend)
    before = backend.tokens.get(account.id)
    backend.amo.admin.set_faults(html_errors=True)  # the gateway's HTML pages, not JSON
    force_token(backend, 4, status=503)
    tm = quick_manager(backend, account)
    with pytest.raises(TokenEndpointBusy):
        tm.refresh(before.access, force=True)
    stored = backend.tokens.get(account.id)
    assert stored.status == "ok" and stored.refresh == before.refresh
    state = sidebar_state(backend, cid)
    assert state["amo"]["connected"] is True and state["last_error"] == BUSY_MESSAGE
    # amoCRM answers again: the same refresh token still works and the note goes away
    assert tm.refresh(before.access, force=True) != before.access
    assert sidebar_state(backend, cid)["last_error"] == ""
    assert backend.tokens.get(account.id).busy == ""


def test_the_ban_page_is_busy_not_a_lost_grant(backend):
    cid, account = connected(backend)
    before = backend.tokens.get(account.id)
    backend.amo.emulator.limiter.ban(HOST)  # every request now gets nginx's 403 HTML page
    tm = quick_manager(backend, account)
    with pytest.raises(TokenEndpointBusy):
        tm.refresh(before.access, force=True)
    assert backend.tokens.get(account.id).status == "ok"
    assert sidebar_state(backend, cid)["last_error"] == BUSY_MESSAGE
    backend.amo.admin.reset_limits(HOST)
    assert tm.refresh(before.access, force=True) != before.access


def test_a_timeout_is_busy_and_the_retry_with_the_same_refresh_token_works(backend):
    _, account = connected(backend)
    before = backend.tokens.get(account.id)
    force_token(backend, 1, delay=1.5)  # longer than the 1 s timeout: amoCRM's answer is lost
    token = quick_manager(backend, account).refresh(before.access, force=True)
    assert token != before.access and backend.tokens.get(account.id).status == "ok"


def test_a_new_client_secret_is_a_refusal_and_needs_reconnect(backend):
    cid, account = connected(backend)
    from sandbox.amocrm import seed

    backend.amo.admin.update_integration(seed.DEFAULT_CLIENT_ID, client_secret="f" * 64)
    with pytest.raises(AmoAuthError):
        quick_manager(backend, account).refresh(backend.tokens.get(account.id).access, force=True)
    assert backend.tokens.get(account.id).status == "needs_reconnect"
    assert sidebar_state(backend, cid)["amo"]["status"] == "needs_reconnect"


def test_a_used_refresh_token_is_a_refusal(backend):
    _, account = connected(backend)
    ts = backend.tokens.get(account.id)
    tm = quick_manager(backend, account)
    tm.refresh(ts.access, force=True)  # R1 -> R2
    tm.refresh(backend.tokens.get(account.id).access, force=True)  # R2 -> R3: R1 is now spent
    stale = backend.tokens.get(account.id)
    stale.refresh, stale.previous_refresh = ts.refresh, ""  # only the spent token is left
    backend.tokens.put(account.id, stale)
    backend.amo.admin.reset_counters()
    with pytest.raises(AmoAuthError):
        tm.refresh(stale.access, force=True)
    assert backend.amo.admin.counters()["by_endpoint"][REFRESH] == 1  # a refusal is never retried
    assert backend.tokens.get(account.id).status == "needs_reconnect"


def test_a_busy_code_exchange_fails_the_connect_with_a_clear_sentence(backend):
    cid = backend.new_connection()
    force_token(backend, 10, status=503)
    page, _ = connect_flow(backend, cid)
    assert page.status == 400 and "amoCRM is busy" in page.text
    assert backend.tenants.get(cid).account_id is None


def test_a_reconnect_waits_for_a_refresh_in_flight_and_its_pair_is_the_one_kept(backend):
    """A job refreshing the account's old grant while an admin reconnects: without the refresh lock the
    refresher's pair, stored after the reconnect's, would replace it."""
    import threading
    import time as clock

    from backend.store import locks

    cid, account = connected(backend)
    stale = backend.tokens.get(account.id)
    held, done = threading.Event(), threading.Event()
    accounts_read = backend.amo.admin.counters()["by_endpoint"].get("GET /api/v4/account", 0)

    def refresher():  # what TokenManager.refresh does, with the reconnect happening in the middle
        with locks.hold(backend.services.redis, locks.account_lock_name(account.id), ttl_s=30):
            held.set()
            while backend.amo.admin.counters()["by_endpoint"].get("GET /api/v4/account", 0) == accounts_read:
                clock.sleep(0.02)  # the reconnect has exchanged its code and read the account
            clock.sleep(0.3)  # … and, without the lock, would have stored its pair by now
            backend.tokens.put(account.id, stale)
        done.set()

    thread = threading.Thread(target=refresher)
    thread.start()
    held.wait(10)
    page, _ = connect_flow(backend, cid)
    thread.join(30)
    assert page.status == 200 and done.is_set()
    kept = backend.tokens.get(account.id)
    assert kept.refresh != stale.refresh and kept.access != stale.access  # the reconnect's pair won
