"""The per-request outbox of entity changes, published to webhooks only if the request succeeds.

Handlers (API and manager actions) append `entities.Change`s to `outbox()`; the app's `after_request`
calls `flush` with the response status, so a batch rejected by validation fires nothing.
"""

from __future__ import annotations

from flask import g

from sandbox.amocrm import responses, webhooks
from sandbox.amocrm.entities import Change
from sandbox.amocrm.runtime import Emulator


def outbox() -> list[Change]:
    if "amo_outbox" not in g:
        g.amo_outbox = []
    return g.amo_outbox


def flush(emu: Emulator, status: int) -> None:
    changes = g.pop("amo_outbox", None)
    account = g.get("account")
    if changes and account is not None and status < 400:
        webhooks.publish(emu, account, changes, responses.base_url())
