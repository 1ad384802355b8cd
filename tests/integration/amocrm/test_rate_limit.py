"""The shared limiter against the emulator's real limit: no 429s from a multi-process burst, and
forced 429s are waited out without ever reaching amoCRM's 403 ban."""

import multiprocessing

import pytest

from backend.amocrm import account as amo_account
from tests.integration.amocrm.conftest import backend_env, connect_flow

R = 7


def _burst(env: dict, account_id: int, calls: int, out) -> None:
    from backend.services import bootstrap
    from backend.settings import Settings

    svc = bootstrap(Settings.from_env(env), configure_logs=False)
    account = amo_account.tenants(svc).account(account_id)
    client = amo_account.client_for(svc, account)
    ok = sum(1 for _ in range(calls) if client.get("/api/v4/account")["id"] == account_id)
    out.put((ok, client.stats.rate_limited))


def test_a_burst_of_20R_calls_from_3_processes_meets_no_429(backend, redis_server):
    cid = backend.new_connection()
    assert connect_flow(backend, cid)[0].status == 200
    account = backend.tenants.account(backend.tenants.get(cid).account_id)
    backend.amo.admin.set_faults(rps=float(R))  # amoCRM's real limit
    backend.amo.admin.reset_counters()
    env = backend_env(redis_server.url, backend.amo, backend.url, AMO_RATE_LIMIT_RPS=str(R))
    env["TOKEN_ENCRYPTION_KEYS"] = ",".join(backend.settings.token_encryption_keys)
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    per = [47, 47, 46]  # 140 = 20·R
    procs = [ctx.Process(target=_burst, args=(env, account.id, n, q)) for n in per]
    for p in procs:
        p.start()
    results = [q.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert sum(ok for ok, _ in results) == 140
    counters = backend.amo.admin.counters()
    assert counters["by_status"].get("429", 0) == 0, counters["by_status"]
    assert sum(rl for _, rl in results) == 0
    assert not backend.amo.admin.banned()


@pytest.mark.parametrize("html", [False, True])
def test_forced_429s_are_waited_out_and_never_reach_the_ban(backend, html):
    cid = backend.new_connection()
    assert connect_flow(backend, cid)[0].status == 200
    account = backend.tenants.account(backend.tenants.get(cid).account_id)
    backend.amo.admin.set_faults(html_errors=html, retry_after=0.2)
    backend.amo.admin.force(status=429, count=4)
    client = amo_account.client_for(backend.services, account)
    assert client.get("/api/v4/account")["id"] == account.id
    assert client.stats.rate_limited == 4
    assert not backend.amo.admin.banned()
    assert backend.tenants.account(account.id).blocked == ""


def test_a_ban_stops_all_work_for_the_account_and_is_recorded(backend):
    from backend.amocrm.errors import AmoBlocked

    cid = backend.new_connection()
    assert connect_flow(backend, cid)[0].status == 200
    account = backend.tenants.account(backend.tenants.get(cid).account_id)
    backend.amo.admin.set_faults(rps=1.0, ban_after=2)
    import requests

    token = backend.tokens.get(account.id).access
    for _ in range(6):  # someone else hammers the account until amoCRM bans it
        requests.get(backend.amo.api() + "/account", headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert backend.amo.admin.banned()
    client = amo_account.client_for(backend.services, account)
    with pytest.raises(AmoBlocked):
        client.get("/api/v4/account")
    assert "403" in backend.tenants.account(account.id).blocked
    backend.amo.admin.reset_counters()
    with pytest.raises(AmoBlocked):  # no more requests go out for a blocked account
        amo_account.client_for(backend.services, account).get("/api/v4/account")
    assert backend.amo.admin.counters()["total"] == 0
