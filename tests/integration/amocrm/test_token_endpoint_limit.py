"""A refresh that meets amoCRM's rate limit is a busy amoCRM, not a refused grant.

amoCRM's limit is "7 requests per second for IP" (Kommo's HTTP-errors page, reference §2.1), so the
token endpoint may answer 429 like any other path; the emulator models it behind its
`token_rate_limit` knob (tests/fidelity/amocrm/test_amo_limits.py). A 429 must never mark the
account "needs reconnect".
"""

import pytest

from backend.amocrm import account as amo_account
from backend.amocrm.errors import AmoUnavailable
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
    with pytest.raises(AmoUnavailable):
        tm.refresh(stale, force=True)  # the window is full: 429
    assert backend.tokens.get(account.id).status == OK != NEEDS_RECONNECT
    backend.amo.admin.set_faults(rps=1000)
    backend.amo.admin.advance(1)
    assert tm.refresh(stale, force=True) != stale  # and the next try refreshes
