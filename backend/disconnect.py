"""Disconnecting a sheet: what leaves amoCRM, Google and Redis, in that order.

1. the connection leaves its amoCRM account; if no other connection uses the account, its webhook is
   deleted in amoCRM (best effort: the account may be gone) and its tokens are dropped;
2. the service account removes its own access to the spreadsheet (Drive API), unless another tab of the
   same spreadsheet is still connected;
3. everything of the connection is erased from Redis (`store/erase.py`).
The answer says what happened, for the sidebar.
"""

from __future__ import annotations

import logging

from backend.amocrm import account as amo_account
from backend.amocrm.connect import unregister_webhook
from backend.amocrm.errors import AmoError
from backend.security.crypto import Cipher
from backend.services import Services
from backend.sheets import drive_access
from backend.store import keys
from backend.store.erase import erase_connection
from backend.store.tokens import TokenStore

log = logging.getLogger(__name__)

GOOGLE_ACCESS_WORDS = {
    drive_access.REMOVED: "The sync's service account no longer has access to this spreadsheet.",
    drive_access.NOT_SHARED: "The sync's service account had no access of its own to this spreadsheet.",
    drive_access.KEPT: "Google did not let the sync's service account remove its access: remove it in "
    "Share (the …iam.gserviceaccount.com address).",
    "shared": "The sync's service account keeps access: another tab of this spreadsheet is still connected.",
}


def _other_tab_connected(svc: Services, spreadsheet_id: str, connection_id: str) -> bool:
    for key in svc.redis.scan_iter(match=keys.connection_by_sheet(spreadsheet_id, "*"), count=1000):
        if svc.redis.get(key) not in (None, connection_id.encode()):
            return True
    return False


def disconnect(svc: Services, connection_id: str) -> dict:
    tenants = amo_account.tenants(svc)
    conn = tenants.get(connection_id)
    account_id = tenants.unbind_account(connection_id)
    if account_id and not tenants.connections_of(account_id) and (account := tenants.account(account_id)):
        try:
            unregister_webhook(svc, account)
        except AmoError:
            pass  # the account may already be gone; the tokens are dropped anyway
        TokenStore(svc.redis, Cipher(svc.settings.token_encryption_keys)).delete(account_id)
    google = ""
    if conn is not None:
        if _other_tab_connected(svc, conn.spreadsheet_id, connection_id):
            google = "shared"
        else:
            google = drive_access.remove_own_access(svc.settings.sheets_api_endpoint, conn.spreadsheet_id)
    erased = erase_connection(svc.redis, connection_id, account_id)
    return {
        "google_access": google,
        "message": GOOGLE_ACCESS_WORDS.get(google, ""),
        "erased": erased.to_json(),
    }
