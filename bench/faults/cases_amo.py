"""amoCRM misbehaving: 429 storms, 5xx bursts, answers slower than the 2 s timeout, an access token that
expires mid-import, two processes refreshing at once. Each injects its faults into a running import and
then into single-row edits, and checks the end state.
"""

from __future__ import annotations

import subprocess
import sys
import uuid

from bench.faults.suite import (
    Context,
    Result,
    check,
    edit_budgets,
    finish,
    new_tenant,
    wait_phase,
)
from bench.settle import settle


def _import_with(ctx: Context, host: str, inject_contacts, inject_leads) -> tuple:
    """Start an import; call `inject_contacts()` once contacts are being created and `inject_leads()`
    once leads are; wait for the end."""
    rows = ctx.size(2000, 600)
    tenant, expected = new_tenant(ctx, host, rows, bad=ctx.size(20, 4))
    job_id = tenant.start_sync()
    wait_phase(ctx, job_id, "creating contacts", min_done=250)
    inject_contacts()
    if inject_leads is not None:
        wait_phase(ctx, job_id, "creating leads", min_done=250, timeout_s=300)
        inject_leads()
    job = finish(ctx, tenant, job_id)
    notes = [] if job["status"] == "finished" else [f"the import ended {job['status']}: {job.get('error')}"]
    return tenant, expected, notes


def _edits_with(ctx: Context, tenant, expected, inject, count: int = 10) -> None:
    inject()
    edit_budgets(tenant, expected, sorted(expected.prices)[:count], base=900_000)
    settle(ctx.product)


def _not_banned(ctx: Context, host: str) -> list[str]:
    return [f"amoCRM banned {host}"] if host in ctx.product.amo.banned() else []


def rate_limit_storm(ctx: Context) -> Result:
    """Nine 429s in a row (one short of amoCRM's ban) while contacts are created, nine more as HTML
    gateway pages without Retry-After while leads are, nine more during edits."""
    amo = ctx.product.amo
    host = "storm.amocrm.ru"

    def storm(html: bool = False):
        amo.set_faults(html_errors=html)
        amo.force(status=429, count=9)

    tenant, expected, notes = _import_with(ctx, "storm", storm, lambda: storm(html=True))
    _edits_with(ctx, tenant, expected, storm)
    faults = "3 storms of 9 consecutive 429s (JSON, then HTML pages without Retry-After)"
    return Result(faults, check(tenant, expected), notes + _not_banned(ctx, host))


def server_errors(ctx: Context) -> Result:
    """500, 502 and 504 bursts while contacts and leads are created (a create that fails may or may not
    have happened: recovered by signature, never sent twice) and during edits (PATCH is retried)."""
    amo = ctx.product.amo

    def burst():
        for status in (500, 502, 504):
            amo.force(status=status, count=2)

    tenant, expected, notes = _import_with(ctx, "errors5xx", burst, burst)
    _edits_with(ctx, tenant, expected, burst)
    return Result("3 bursts of 500, 502, 504 (2 each)", check(tenant, expected), notes)


def timeouts(ctx: Context) -> Result:
    """amoCRM answers after 3 s while the backend waits 2 s: the create WAS applied, the client does not
    know — the executor finds it by its write intent instead of creating it again."""
    amo = ctx.product.amo

    def slow():
        amo.force(delay=3.0, count=2)

    tenant, expected, notes = _import_with(ctx, "timeouts", slow, slow)
    _edits_with(ctx, tenant, expected, slow)
    return Result("3 x 2 answers after 3 s (client timeout 2 s)", check(tenant, expected), notes)


def token_expiry(ctx: Context) -> Result:
    """amoCRM's clock jumps 25 hours while contacts are created: the access token expires mid-import;
    the client refreshes on the 401 and carries on."""
    amo = ctx.product.amo
    tenant, expected, notes = _import_with(ctx, "expiry", lambda: amo.advance(25 * 3600), None)
    _edits_with(ctx, tenant, expected, lambda: amo.advance(25 * 3600))
    state = tenant.state()["amo"]
    if state.get("status") != "ok":
        notes.append(f"the connection state says {state}")
    return Result(
        "access token expired twice (clock +25 h: mid-import, before edits)", check(tenant, expected), notes
    )


# Both processes read the token, then meet at a Redis barrier before refreshing: each has seen the same
# token refused, however long its start-up took (a clock deadline let a slow start read the new token).
REFRESH = """
import sys, time
from backend.amocrm import account as a
from backend.services import bootstrap
svc = bootstrap(configure_logs=False)
tm = a.token_manager(svc, a.tenants(svc).account(int(sys.argv[1])))
stale = tm.store.get(tm.account_id).access
barrier = sys.argv[2]
svc.redis.incr(barrier)
svc.redis.expire(barrier, 120)
while int(svc.redis.get(barrier) or 0) < 2:
    time.sleep(0.005)
tm.refresh(stale)
"""


def two_refreshers(ctx: Context) -> Result:
    """While an import runs, two processes refresh the account's token at the same instant (both saw
    the same token refused). Refresh tokens are single-use: a double refresh would burn the grant. The
    refresh is single-flight under a Redis lock: amoCRM must see exactly one refresh."""
    amo = ctx.product.amo
    host = "refresh.amocrm.ru"
    notes: list[str] = []

    def race():
        account_id = amo.account(host)["id"]
        before = amo.counters()["by_account_endpoint"].get(host, {}).get("POST /oauth2/access_token", 0)
        barrier = f"fault-barrier:{uuid.uuid4().hex}"
        procs = [
            subprocess.Popen([sys.executable, "-c", REFRESH, str(account_id), barrier], env=ctx.product.env)
            for _ in range(2)
        ]
        codes = [p.wait(timeout=60) for p in procs]
        after = amo.counters()["by_account_endpoint"].get(host, {}).get("POST /oauth2/access_token", 0)
        if codes != [0, 0]:
            notes.append(f"a refreshing process failed: exit codes {codes}")
        if after - before != 1:
            notes.append(f"amoCRM saw {after - before} refreshes from two racing processes, want 1")

    tenant, expected, import_notes = _import_with(ctx, "refresh", race, None)
    _edits_with(ctx, tenant, expected, lambda: None)
    state = tenant.state()["amo"]
    if state.get("status") != "ok":
        notes.append(f"the connection state says {state}")
    return Result(
        "two processes refreshing the token at once, mid-import",
        check(tenant, expected),
        import_notes + notes,
    )
