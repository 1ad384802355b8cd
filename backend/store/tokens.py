"""amoCRM OAuth tokens per account, Fernet-encrypted at rest (never logged, never returned to clients).

`amo:tokens:{account_id}` is a hash: access / refresh / previous_refresh (encrypted), expires_at,
refreshed_at, status (ok | needs_reconnect), a short reason, and `busy` (why the last refresh was
postponed: amoCRM's token endpoint answered 429/5xx/its ban page; cleared by the next stored pair).
`previous_refresh` is the refresh token used to obtain the current pair: amoCRM keeps it valid until
the new one is first used, so it is the way back when the new pair was lost (a crash between
amoCRM's answer and our write).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import redis

from backend.security.crypto import Cipher
from backend.store import keys

OK = "ok"
NEEDS_RECONNECT = "needs_reconnect"


@dataclass
class TokenSet:
    access: str = field(repr=False)
    refresh: str = field(repr=False)
    expires_at: float
    refreshed_at: float
    previous_refresh: str = field(default="", repr=False)
    status: str = OK
    reason: str = ""
    busy: str = ""


class TokenStore:
    def __init__(self, client: redis.Redis, cipher: Cipher):
        self.client = client
        self.cipher = cipher

    @staticmethod
    def key(account_id: int) -> str:
        return keys.tokens(account_id)

    def get(self, account_id: int) -> TokenSet | None:
        raw = {k.decode(): v.decode() for k, v in self.client.hgetall(self.key(account_id)).items()}
        if not raw.get("access"):
            return None
        return TokenSet(
            access=self.cipher.decrypt(raw["access"]),
            refresh=self.cipher.decrypt(raw["refresh"]),
            expires_at=float(raw.get("expires_at", 0)),
            refreshed_at=float(raw.get("refreshed_at", 0)),
            previous_refresh=self.cipher.decrypt(raw["previous_refresh"])
            if raw.get("previous_refresh")
            else "",
            status=raw.get("status", OK),
            reason=raw.get("reason", ""),
            busy=raw.get("busy", ""),
        )

    def put(self, account_id: int, tokens: TokenSet) -> None:
        self.client.hset(
            self.key(account_id),
            mapping={
                "access": self.cipher.encrypt(tokens.access),
                "refresh": self.cipher.encrypt(tokens.refresh),
                "previous_refresh": self.cipher.encrypt(tokens.previous_refresh)
                if tokens.previous_refresh
                else "",
                "expires_at": tokens.expires_at,
                "refreshed_at": tokens.refreshed_at,
                "status": tokens.status,
                "reason": tokens.reason,
                "busy": "",
            },
        )

    def note_busy(self, account_id: int, reason: str) -> None:
        if self.client.exists(self.key(account_id)):
            self.client.hset(self.key(account_id), "busy", reason)

    def mark(self, account_id: int, status: str, reason: str = "") -> None:
        if self.client.exists(self.key(account_id)):
            self.client.hset(self.key(account_id), mapping={"status": status, "reason": reason})

    def delete(self, account_id: int) -> None:
        self.client.delete(self.key(account_id))

    def accounts(self) -> list[int]:
        return sorted(int(k.decode().rsplit(":", 1)[1]) for k in self.client.scan_iter(keys.tokens("*")))
