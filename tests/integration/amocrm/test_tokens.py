"""Tokens: single-flight refresh across processes, crash recovery, expiry and keep-alive on the
emulator's virtual clock."""

import multiprocessing
import signal
import threading
import time

import pytest

from backend.amocrm import account as amo_account
from backend.amocrm.errors import AmoAuthError
from tests.integration.amocrm.conftest import connect_flow

REFRESH = "POST /oauth2/access_token"
DAY = 86400


def connected(backend) -> tuple[str, object]:
    cid = backend.new_connection()
    page, _ = connect_flow(backend, cid)
    assert page.status == 200
    conn = backend.tenants.get(cid)
    return cid, backend.tenants.account(conn.account_id)


def expire_locally(backend, account_id: int) -> str:
    ts = backend.tokens.get(account_id)
    ts.expires_at = time.time() - 10  # our copy says it expired: every caller wants a refresh
    backend.tokens.put(account_id, ts)
    return ts.access


def _race_worker(env: dict, account_id: int, threads: int, out) -> None:
    from backend.services import bootstrap
    from backend.settings import Settings

    svc = bootstrap(Settings.from_env(env), configure_logs=False)
    account = amo_account.tenants(svc).account(account_id)
    barrier = threading.Barrier(threads)
    results = []

    def one():
        client = amo_account.client_for(svc, account)
        barrier.wait()
        token = amo_account.token_manager(svc, account).access_token()
        status = client.session.get(
            client.base_url + "/api/v4/account", headers={"Authorization": f"Bearer {token}"}, timeout=10
        ).status_code
        results.append((token, status))

    workers = [threading.Thread(target=one) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    out.put(results)


def test_two_processes_of_eight_threads_refresh_exactly_once(backend, redis_server):
    from tests.integration.amocrm.conftest import backend_env

    _, account = connected(backend)
    old = expire_locally(backend, account.id)
    backend.amo.admin.reset_counters()
    env = backend_env(redis_server.url, backend.amo, backend.url)
    env["TOKEN_ENCRYPTION_KEYS"] = ",".join(backend.settings.token_encryption_keys)
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_race_worker, args=(env, account.id, 8, q)) for _ in range(2)]
    for p in procs:
        p.start()
    results = [r for _ in procs for r in q.get(timeout=60)]
    for p in procs:
        p.join(timeout=30)
    assert len(results) == 16
    assert all(status == 200 for _, status in results), results
    assert len({token for token, _ in results}) == 1 and results[0][0] != old
    assert backend.amo.admin.counters()["by_endpoint"].get(REFRESH) == 1
    assert backend.tokens.get(account.id).status == "ok"


KILL_SCRIPT = """
import os, signal, sys
from backend.services import bootstrap
from backend.settings import Settings
from backend.amocrm import account as amo_account
svc = bootstrap(Settings.from_env(), configure_logs=False)
account = amo_account.tenants(svc).account(int(sys.argv[1]))
tm = amo_account.token_manager(svc, account)
tm.lock_ttl_s = 1.0
def crash(*args, **kwargs):   # amoCRM has answered; we die before the new pair is stored
    os.kill(os.getpid(), signal.SIGKILL)
tm.store.put = crash
tm.refresh(tm.store.get(account.id).access, force=True)
"""


def test_a_process_killed_mid_refresh_is_recovered_with_the_previous_refresh_token(
    backend, subprocess_env, redis_server
):
    import subprocess
    import sys

    from tests.conftest import ROOT
    from tests.integration.amocrm.conftest import backend_env

    _, account = connected(backend)
    before = backend.tokens.get(account.id)
    env = {**subprocess_env, **backend_env(redis_server.url, backend.amo, backend.url)}
    env["TOKEN_ENCRYPTION_KEYS"] = ",".join(backend.settings.token_encryption_keys)
    proc = subprocess.run(
        [sys.executable, "-c", KILL_SCRIPT, str(account.id)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == -signal.SIGKILL
    assert backend.tokens.get(account.id).refresh == before.refresh  # the new pair was lost
    # the next process: its lock expired; amoCRM still accepts the old refresh token (its successor
    # was never used), so the grant survives
    time.sleep(1.1)
    tm = amo_account.token_manager(backend.services, account)
    token = tm.refresh(before.access, force=True)
    assert token != before.access
    client = amo_account.client_for(backend.services, account)
    assert client.get("/api/v4/account")["id"] == account.id
    assert backend.tokens.get(account.id).status == "ok"


def test_previous_refresh_token_is_the_way_back_when_the_stored_one_is_refused(backend):
    _, account = connected(backend)
    tm = amo_account.token_manager(backend.services, account)
    tm.refresh(backend.tokens.get(account.id).access, force=True)  # R1 -> R2; previous = R1
    ts = backend.tokens.get(account.id)
    ts.refresh = "def50200" + "0" * 40  # the stored successor is unusable (lost write, corruption)
    backend.tokens.put(account.id, ts)
    token = tm.refresh(ts.access, force=True)
    assert amo_account.client_for(backend.services, account).get("/api/v4/account")["id"] == account.id
    assert token == backend.tokens.get(account.id).access


def test_25_hours_later_the_client_refreshes_by_itself(backend):
    _, account = connected(backend)
    old = backend.tokens.get(account.id).access
    backend.amo.admin.advance(25 * 3600)  # amoCRM's clock: the access token expired there
    assert amo_account.client_for(backend.services, account).get("/api/v4/account")["id"] == account.id
    assert backend.tokens.get(account.id).access != old


def test_four_idle_months_with_the_keep_alive_job_stay_connected(backend):
    from backend.sync import jobs

    _, account = connected(backend)
    offset = 0
    for _ in range(6):  # 6 × 20 days = 120 days idle, the keep-alive job running in between
        backend.amo.admin.advance(20 * DAY)
        offset += 20 * DAY
        result = jobs.refresh_tokens(now=time.time() + offset)
        assert result["refreshed"] == [account.id]
    assert amo_account.client_for(backend.services, account).get("/api/v4/account")["id"] == account.id
    assert backend.tokens.get(account.id).status == "ok"


def test_four_idle_months_without_it_need_a_reconnect_and_say_so(backend):
    from backend.security import signing

    cid, account = connected(backend)
    backend.amo.admin.advance(120 * DAY)
    with pytest.raises(AmoAuthError) as err:
        amo_account.client_for(backend.services, account).get("/api/v4/account")
    assert "reconnect" in err.value.detail
    assert backend.tokens.get(account.id).status == "needs_reconnect"
    # and no loop: the next call does not even try
    backend.amo.admin.reset_counters()
    with pytest.raises(AmoAuthError):
        amo_account.client_for(backend.services, account).get("/api/v4/account")
    assert backend.amo.admin.counters()["total"] == 0
    # the sidebar sees it
    import requests

    url = f"{backend.url}/api/v1/connections/{cid}"
    headers = signing.sign("GET", url, {}, b"", key_id=cid, secret=backend.tenants.secret(cid))
    state = requests.get(url, headers=headers, timeout=10).json()
    assert state["amo"]["status"] == "needs_reconnect" and state["amo"]["connected"] is False
