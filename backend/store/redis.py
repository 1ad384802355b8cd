"""The Redis connection and what the service needs of that Redis: no eviction, and persistence that keeps
every token rotation.

Owns: `connect()`, `persistence()` and `safety_warnings()`. The client has short timeouts, so a dead Redis
fails fast instead of hanging a request, and a few retries with backoff, so a Redis restart or failover —
seconds of refused connections, then "loading the dataset" — is waited out instead of crashing the RQ
worker that was watching its work horse.

What persistence is needed, and why: amoCRM refresh tokens rotate, and each new pair is written to Redis
before it is used (`amocrm/oauth.py`). With AOF (appendfsync everysec or always) a restart loses at most
the last second; amoCRM keeps the previous refresh token valid until its successor is first used, so a pair
lost in that second is recovered with the previous token (`TokenSet.previous_refresh`). RDB snapshots
alone (Memorystore for Redis basic/standard offers only those) lose every rotation since the snapshot, and
an account refreshed again since then must reconnect. docs/deploy.md chooses Memorystore for Valkey with
AOF. INFO is read everywhere; CONFIG GET (appendfsync, save) only where allowed — Memorystore disables
CONFIG, and then the check says what it could not read.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

# 0.1, 0.2, 0.4, 0.8, 1.6, then 2 s: about 9 s in all before an error reaches the caller.
RETRY_ATTEMPTS = 8


def connect(url: str, *, timeout_s: float = 5.0) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=min(timeout_s, 2.0),
        socket_timeout=timeout_s,
        health_check_interval=30,
        retry_on_timeout=False,
        retry=Retry(ExponentialBackoff(cap=2.0, base=0.1), RETRY_ATTEMPTS),
        retry_on_error=[redis.ConnectionError, redis.BusyLoadingError],
    )


@dataclass(frozen=True)
class Persistence:
    aof: bool  # INFO persistence: aof_enabled
    appendfsync: str | None  # CONFIG GET appendfsync; None where CONFIG is not allowed
    rdb_save: str | None  # CONFIG GET save ("" = no snapshots); None where CONFIG is not allowed

    @property
    def config_readable(self) -> bool:
        return self.appendfsync is not None

    @property
    def keeps_rotations(self) -> bool:
        """AOF that is synced at least every second: a restart loses no token rotation for good."""
        return self.aof and self.appendfsync != "no"

    def to_json(self) -> dict:
        return {
            "aof": self.aof,
            "appendfsync": self.appendfsync if self.config_readable else "unknown (CONFIG is disabled)",
            "rdb_save": self.rdb_save if self.config_readable else "unknown (CONFIG is disabled)",
            "keeps_token_rotations": self.keeps_rotations,
            "notes": self.notes(),
        }

    def notes(self) -> list[str]:
        out: list[str] = []
        if not self.config_readable:
            out.append(
                "CONFIG is disabled on this Redis (managed Redis such as Memorystore): appendfsync and the "
                f"snapshot schedule cannot be read; INFO says AOF is {'on' if self.aof else 'off'}."
            )
        if self.aof and self.appendfsync == "no":
            out.append("AOF is on with appendfsync no: a crash can lose the last ~30 s, token rotations too.")
        if not self.aof and self.rdb_save:
            out.append(
                "Only RDB snapshots: a restart loses every token rotation since the last snapshot, and an "
                "amoCRM account refreshed again since then must reconnect. Use AOF (docs/deploy.md)."
            )
        if not self.aof and self.rdb_save == "":
            out.append(
                "Redis has no persistence (AOF off and no RDB snapshots): a restart loses every queued job, "
                "token and sync ledger. Use AOF (docs/deploy.md)."
            )
        if not self.aof and self.rdb_save is None:
            out.append(
                "AOF is off and the snapshot schedule cannot be read: a restart may lose token rotations. "
                "Use AOF (docs/deploy.md)."
            )
        return out


def persistence(client: redis.Redis) -> Persistence:
    aof = bool(client.info("persistence").get("aof_enabled"))
    try:
        appendfsync = str(client.config_get("appendfsync").get("appendfsync", ""))
        save = str(client.config_get("save").get("save", "")).strip()
    except redis.ResponseError:  # CONFIG disabled (Memorystore: unknown command / NOPERM)
        return Persistence(aof, None, None)
    return Persistence(aof, appendfsync, save)


def safety_warnings(client: redis.Redis) -> list[str]:
    """Human warnings for settings that lose data in production; empty when all is well."""
    warnings: list[str] = []
    memory = client.info("memory")
    policy = memory.get("maxmemory_policy", "unknown")
    if policy != "noeviction":
        warnings.append(
            f"Redis maxmemory-policy is {policy!r}: under memory pressure Redis will evict queue entries, "
            "locks and tokens. Set maxmemory-policy to noeviction."
        )
    p = persistence(client)
    if not p.keeps_rotations:
        warnings.extend(p.notes())
    return warnings
