"""Tenants: connections (one sheet tab bound to one amoCRM account) and amoCRM accounts, in Redis.

Key names come from `store/keys.py`:
- `conn:{id}`                      hash: spreadsheet_id, sheet_id, sheet_title, account_id, mapping (JSON),
                                   secret (encrypted), created_by_sub, created_by_email, created_at, last_sync
- `conn-by-sheet:{spreadsheet}:{gid}` -> connection id (one connection per tab)
- `amo:account:{id}`               hash: host, name, current_user_id, webhook (active|disabled|missing),
                                   webhook_token (encrypted), blocked (reason), connected_at
- `amo:account-conns:{id}`         set of connection ids using the account
- `amo:webhook:{sha256(token)}`    -> account id (the webhook path token is looked up by hash only)

Every read takes an id the caller already proved it owns (a verified signature's keyid, a webhook
token); nothing here lists tenants to a client.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import redis

from backend.security.crypto import Cipher
from backend.store import keys

log = logging.getLogger(__name__)

# KEYS: conn hash, the account's set; ARGV: connection id, account id, the old account's set's name with
# the account left out (store/keys.py). The old account's set is derived from the hash inside the script,
# so a concurrent rebind cannot leave the connection in two sets.
_BIND = """
if redis.call('HEXISTS', KEYS[1], 'spreadsheet_id') == 0 then return 0 end
local old = redis.call('HGET', KEYS[1], 'account_id')
if old and old ~= '' and old ~= ARGV[2] then
  redis.call('SREM', ARGV[3] .. old, ARGV[1])
  redis.call('HDEL', KEYS[1], 'mapping')
end
redis.call('HSET', KEYS[1], 'account_id', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
return 1
"""

# KEYS: conn hash, the account's set; ARGV: connection id. Re-checked inside: a connection created or
# completed since it was read is left alone.
_DROP_GHOST = """
if redis.call('HEXISTS', KEYS[1], 'spreadsheet_id') == 1 then return 0 end
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1])
return 1
"""


_SET_IF_EXISTS = """
if redis.call('HEXISTS', KEYS[1], 'spreadsheet_id') == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""


def new_connection_id() -> str:
    return "c_" + secrets.token_urlsafe(12)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Connection:
    id: str
    spreadsheet_id: str
    sheet_id: int
    sheet_title: str = ""
    account_id: int | None = None
    mapping: dict | None = None
    created_by_sub: str = ""
    created_by_email: str = ""
    created_at: float = 0.0
    last_sync: dict | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Account:
    id: int
    host: str
    name: str = ""
    current_user_id: int | None = None
    webhook: str = "missing"  # active | disabled | missing
    blocked: str = ""
    connected_at: float = 0.0


class Tenants:
    def __init__(self, client: redis.Redis, cipher: Cipher):
        self.client = client
        self.cipher = cipher

    # --- connections ---------------------------------------------------------------------------------

    def find_by_sheet(self, spreadsheet_id: str, sheet_id: int) -> str | None:
        raw = self.client.get(keys.connection_by_sheet(spreadsheet_id, sheet_id))
        return raw.decode() if raw else None

    def create(
        self, spreadsheet_id: str, sheet_id: int, sheet_title: str, sub: str, email: str
    ) -> tuple[Connection, bytes]:
        """A new connection and its signing secret (returned once, stored encrypted)."""
        conn = Connection(
            new_connection_id(), spreadsheet_id, sheet_id, sheet_title, None, None, sub, email, time.time()
        )
        secret = secrets.token_bytes(32)
        if not self.client.set(keys.connection_by_sheet(spreadsheet_id, sheet_id), conn.id, nx=True):
            raise ValueError("this sheet already has a connection")
        self.client.hset(
            keys.connection(conn.id),
            mapping={
                "spreadsheet_id": spreadsheet_id,
                "sheet_id": sheet_id,
                "sheet_title": sheet_title,
                "secret": self.cipher.encrypt(secret.hex()),
                "created_by_sub": sub,
                "created_by_email": email,
                "created_at": conn.created_at,
            },
        )
        return conn, secret

    def rotate_secret(self, connection_id: str) -> bytes | None:
        """A new signing secret for the connection (the old one stops opening it at once); None if the
        connection is gone."""
        secret = secrets.token_bytes(32)
        done = self.client.eval(
            _SET_IF_EXISTS, 1, keys.connection(connection_id), "secret", self.cipher.encrypt(secret.hex())
        )
        return secret if done else None

    def get(self, connection_id: str) -> Connection | None:
        raw = {k.decode(): v.decode() for k, v in self.client.hgetall(keys.connection(connection_id)).items()}
        if not raw.get("spreadsheet_id") or not raw.get("sheet_id"):
            return None  # gone, or a half hash (only account_id) that a racing bind once left
        return Connection(
            id=connection_id,
            spreadsheet_id=raw["spreadsheet_id"],
            sheet_id=int(raw["sheet_id"]),
            sheet_title=raw.get("sheet_title", ""),
            account_id=int(raw["account_id"]) if raw.get("account_id") else None,
            mapping=json.loads(raw["mapping"]) if raw.get("mapping") else None,
            created_by_sub=raw.get("created_by_sub", ""),
            created_by_email=raw.get("created_by_email", ""),
            created_at=float(raw.get("created_at", 0)),
            last_sync=json.loads(raw["last_sync"]) if raw.get("last_sync") else None,
        )

    def secret(self, connection_id: str) -> bytes | None:
        raw = self.client.hget(keys.connection(connection_id), "secret")
        return bytes.fromhex(self.cipher.decrypt(raw.decode())) if raw else None

    def set_fields(self, connection_id: str, **fields: Any) -> None:
        encoded = {
            k: json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v
            for k, v in fields.items()
        }
        self.client.hset(
            keys.connection(connection_id), mapping={k: ("" if v is None else v) for k, v in encoded.items()}
        )

    def bind_account(self, connection_id: str, account_id: int) -> bool:
        """Bind the connection to the account — only if it still exists (one script, atomic): an OAuth
        flow finished after its sheet was disconnected must not leave a half connection listed for the
        account. Returns whether it was bound."""
        return bool(
            self.client.eval(
                _BIND,
                2,
                keys.connection(connection_id),
                keys.account_connections(account_id),
                connection_id,
                account_id,
                keys.account_connections(""),
            )
        )

    def unbind_account(self, connection_id: str) -> int | None:
        conn = self.get(connection_id)
        if not conn or not conn.account_id:
            return None
        pipe = self.client.pipeline()
        pipe.srem(keys.account_connections(conn.account_id), connection_id)
        pipe.hdel(keys.connection(connection_id), "account_id")
        pipe.execute()
        return conn.account_id

    def delete(self, connection_id: str) -> None:
        conn = self.get(connection_id)
        if conn is None:  # gone, or half: drop whatever is left of it
            raw = self.client.hget(keys.connection(connection_id), "account_id")
            if raw:
                self.client.srem(keys.account_connections(raw.decode()), connection_id)
            self.client.delete(keys.connection(connection_id))
            return
        self.unbind_account(connection_id)
        self.client.delete(
            keys.connection(connection_id), keys.connection_by_sheet(conn.spreadsheet_id, conn.sheet_id)
        )

    def connections_of(self, account_id: int) -> list[str]:
        return sorted(m.decode() for m in self.client.smembers(keys.account_connections(account_id)))

    def live_connections_of(self, account_id: int) -> list[str]:
        """The account's connections that can be read; a listed one that cannot (deleted, or a half hash
        left by an older version) is dropped from the account's set and its half hash removed, so one
        broken entry never stops the others' sync."""
        live = []
        for cid in self.connections_of(account_id):
            try:
                readable = self.get(cid) is not None
            except (ValueError, TypeError):  # a field that does not parse: skipped, kept for a person to see
                log.error("connection %s: stored fields do not parse; skipped by its account's sync", cid)
                continue
            if readable:
                live.append(cid)
                continue
            self.client.eval(_DROP_GHOST, 2, keys.connection(cid), keys.account_connections(account_id), cid)
        return live

    # --- accounts ------------------------------------------------------------------------------------

    def put_account(self, account: Account) -> None:
        self.client.hset(
            keys.account(account.id),
            mapping={
                "host": account.host,
                "name": account.name,
                "current_user_id": account.current_user_id or "",
                "webhook": account.webhook,
                "blocked": account.blocked,
                "connected_at": account.connected_at,
            },
        )

    def account(self, account_id: int) -> Account | None:
        raw = {k.decode(): v.decode() for k, v in self.client.hgetall(keys.account(account_id)).items()}
        if not raw.get("host"):
            return None
        return Account(
            id=account_id,
            host=raw["host"],
            name=raw.get("name", ""),
            current_user_id=int(raw["current_user_id"]) if raw.get("current_user_id") else None,
            webhook=raw.get("webhook", "missing"),
            blocked=raw.get("blocked", ""),
            connected_at=float(raw.get("connected_at", 0)),
        )

    def set_account_fields(self, account_id: int, **fields: Any) -> None:
        self.client.hset(
            keys.account(account_id), mapping={k: ("" if v is None else v) for k, v in fields.items()}
        )

    def webhook_token(self, account_id: int) -> str:
        """The account's webhook path token, created on first use (stored encrypted, looked up by hash)."""
        raw = self.client.hget(keys.account(account_id), "webhook_token")
        if raw:
            return self.cipher.decrypt(raw.decode())
        token = secrets.token_urlsafe(24)
        self.client.hset(keys.account(account_id), "webhook_token", self.cipher.encrypt(token))
        self.client.set(keys.webhook(token_hash(token)), account_id)
        return token

    def account_for_webhook(self, token: str) -> int | None:
        raw = self.client.get(keys.webhook(token_hash(token)))
        return int(raw) if raw else None
