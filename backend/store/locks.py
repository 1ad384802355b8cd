"""Redis locks: one sync at a time per connection, one token refresh at a time per amoCRM account.

A thin layer over redis-py's Lock (a Lua-checked token, so only the holder can release it), with names
in one place and a clear error when a lock cannot be had in time.

A held lock is renewed by a watchdog thread every third of its TTL, so the TTL only bounds how long a
*crashed* holder (kill -9, a lost machine) keeps it — seconds, not the length of the longest run. A
holder that finds its lock gone (it was frozen for longer than the TTL) logs it loudly.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator

import redis
from redis.exceptions import LockError, RedisError

from backend.errors import AppError
from backend.store import keys

log = logging.getLogger(__name__)


class LockTimeout(AppError, status=409):
    pass


# A crashed run's lock keeps the connection's next run waiting this long at most (a killed worker's retry
# resumes after ~30 s anyway); the watchdog renews it every 10 s, which no holder misses short of freezing.
CONNECTION_LOCK_TTL_S = 30


def connection_lock_name(connection_id: str) -> str:
    return keys.connection_lock(connection_id)


def account_lock_name(account_id: int | str) -> str:
    return keys.refresh_lock(account_id)


def _renew(lock: redis.lock.Lock, every_s: float, stop: threading.Event) -> None:
    while not stop.wait(every_s):
        try:
            lock.reacquire()
        except LockError:
            log.error("lock %s: lost while held (frozen for longer than its TTL?)", lock.name)
            return
        except RedisError as exc:  # Redis restarting: try again next round, the TTL still runs
            log.warning("lock %s: could not renew (%s)", lock.name, type(exc).__name__)


@contextlib.contextmanager
def hold(
    client: redis.Redis, name: str, *, ttl_s: float = 60, wait_s: float = 30
) -> Iterator[redis.lock.Lock]:
    """Hold lock `name` for the block, renewed while held. `ttl_s` bounds how long a crashed holder
    keeps it."""
    lock = client.lock(name, timeout=ttl_s, blocking_timeout=wait_s, thread_local=False)
    if not lock.acquire():
        raise LockTimeout(f"{name} is busy; another process has held it for more than {wait_s:.0f} s")
    stop = threading.Event()
    watchdog = threading.Thread(target=_renew, args=(lock, ttl_s / 3, stop), name="lock-renew", daemon=True)
    watchdog.start()
    try:
        yield lock
    finally:
        stop.set()
        watchdog.join(timeout=5)
        with contextlib.suppress(LockError, RedisError):  # expired, or Redis gone: nothing to release
            lock.release()
