"""Redis locks: one sync at a time per connection, one token refresh at a time per amoCRM account.

A thin layer over redis-py's Lock (a Lua-checked token, so only the holder can release it), with names
in one place and a clear error when a lock cannot be had in time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import redis
from redis.exceptions import LockError

from backend.errors import AppError


class LockTimeout(AppError):
    status = 409


def connection_lock_name(connection_id: str) -> str:
    return f"lock:connection:{connection_id}"


def account_lock_name(account_id: int | str) -> str:
    return f"lock:amo-refresh:{account_id}"


@contextlib.contextmanager
def hold(
    client: redis.Redis, name: str, *, ttl_s: float = 600, wait_s: float = 30
) -> Iterator[redis.lock.Lock]:
    """Hold lock `name` for the block. `ttl_s` bounds how long a crashed holder keeps it."""
    lock = client.lock(name, timeout=ttl_s, blocking_timeout=wait_s, thread_local=False)
    if not lock.acquire():
        raise LockTimeout(f"{name} is busy; another process has held it for more than {wait_s:.0f} s")
    try:
        yield lock
    finally:
        with contextlib.suppress(LockError):  # expired while we worked: nothing left to release
            lock.release()
