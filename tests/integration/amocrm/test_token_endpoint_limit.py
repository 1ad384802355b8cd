"""A refresh that meets amoCRM's rate limit is a busy amoCRM, not a refused grant.

amoCRM's limit is "7 requests per second for IP" (Kommo's HTTP-errors page, reference §2.1), so the
token endpoint may answer 429 like any other path; the emulator models it behind its
`token_rate_limit` knob (tests/fidelity/amocrm/test_amo_limits.py). A 429 must never mark the
account "needs reconnect": the refresh waits the `retry_after` amoCRM gives and tries again.
"""

from backend.amocrm import account as amo_account
from backend.store.tokens import NEEDS_RECONNECT, OK
from tests.integration.amocrm.test_tokens import connected


def test_a_rate_limited_refresh_keeps_the_account_connected(backend):
    _, account = connected(backend)
    tm = amo_account.token_manager(backend.services, account)
    stale = backend.tokens.get(account.id).access
    backend.amo.admin.set_faults(rps=1, token_rate_limit=True)
    backend.amo.admin.advance(1)
    filler = backend.amo.admin.session.get(backend.amo.api() + "/account")  # fills the 1-per-second window
    assert filler.status_code == 401  # (no token: admitted, then refused — it still counts)
    backend.amo.admin.reset_counters()
    fresh = tm.refresh(stale, force=True)  # the window is full: 429, then a retry once it frees
    assert fresh != stale
    assert backend.amo.admin.counters()["by_status"].get("429", 0) >= 1
    assert backend.tokens.get(account.id).status == OK != NEEDS_RECONNECT
