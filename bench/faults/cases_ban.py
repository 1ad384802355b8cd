"""amoCRM blocks one account (the nginx 403 page after too many 429s): every job of that account stops
at its first refused call and records why, nothing more is sent to amoCRM for it, the connection state
shows "blocked" with the reason — and another account's work goes on as usual."""

from __future__ import annotations

import requests

from bench.faults.suite import Context, Result, check, edit_budgets, imported
from bench.settle import settle
from sandbox.amocrm import seed


def _ban(ctx: Context, host: str) -> int:
    """Someone else hammers the account until amoCRM bans it; returns the requests it took."""
    amo = ctx.product.amo
    token = requests.post(
        f"{ctx.product.amo_url}/_sandbox/integrations/{seed.DEFAULT_CLIENT_ID}/long_lived_token",
        json={"host": host},
        timeout=30,
    ).json()["access_token"]
    session = requests.Session()
    for n in range(1, 200):
        session.get(f"{amo.api_base(host)}/api/v4/account", headers={"Authorization": f"Bearer {token}"})
        if host in amo.banned():
            return n
    raise RuntimeError(f"amoCRM never banned {host}")


def account_blocked(ctx: Context) -> Result:
    amo = ctx.product.amo
    rows = ctx.size(300, 60)
    blocked, expected_blocked = imported(ctx, "banned", rows)
    other, expected = imported(ctx, "unbanned", rows)
    _ban(ctx, blocked.host)
    amo.reset_counters()
    notes = []
    before = {lead["id"]: lead["price"] for lead in blocked.leads()}
    edit_budgets(blocked, expected_blocked, sorted(expected_blocked.prices)[:5], base=700_000)
    edit_budgets(other, expected, sorted(expected.prices)[:5], base=700_000)
    settle(ctx.product)
    state = blocked.state()
    if state["amo"].get("status") != "blocked" or "403" not in state["amo"].get("reason", ""):
        notes.append(f"the blocked connection's state says {state['amo']}")
    if not state.get("last_error"):
        notes.append("the blocked connection has no last_error for the sidebar")
    sent = amo.counters()["by_account"].get(blocked.host, 0)
    if sent > 1:
        notes.append(
            f"{sent} requests went to the blocked account after the ban (want at most 1: the one refused)"
        )
    amo.reset_counters()
    refused = blocked.call("POST", "/sync", {"confirm": True})
    if refused.status_code != 409 or refused.json().get("code") != "amo_blocked":
        notes.append(f"a sync of the blocked account answered {refused.status_code} {refused.text[:120]}")
    edit_budgets(blocked, expected_blocked, sorted(expected_blocked.prices)[5:7], base=710_000)
    settle(ctx.product)
    if amo.counters()["by_account"].get(blocked.host, 0):
        notes.append("work for the blocked account still reached amoCRM")
    if {lead["id"]: lead["price"] for lead in blocked.leads()} != before:
        notes.append("a blocked account's lead changed")
    blocked_verdict = check(blocked, expected_blocked)
    verdict = check(other, expected)
    verdict.rows += blocked_verdict.rows
    verdict.duplicated += blocked_verdict.duplicated
    faults = "403 ban of one account (after its 429s); edits to both accounts"
    return Result(faults, verdict, notes)
