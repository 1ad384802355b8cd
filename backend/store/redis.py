"""The Redis connection and the production safety check.

Owns: `connect()` and `safety_warnings()`. The client has short timeouts, so a dead Redis fails fast
instead of hanging a request, and a few retries with backoff, so a Redis restart or failover — seconds
of refused connections, then "loading the dataset" — is waited out instead of crashing the RQ worker
that was watching its work horse. The check: Redis must not evict keys (it holds locks, tokens and the
queue) and should persist. Uses INFO rather than CONFIG GET because Memorystore disables CONFIG.
"""

from __future__ import annotations

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
    aof = bool(client.info("persistence").get("aof_enabled"))
    if not aof and not _rdb_configured(client):
        warnings.append(
            "Redis has no persistence (AOF off and no RDB snapshots): a restart loses every queued job, "
            "token and sync ledger. Enable appendonly yes (Memorystore: persistence mode AOF)."
        )
    return warnings


def _rdb_configured(client: redis.Redis) -> bool:
    try:
        save = client.config_get("save").get("save", "")
    except redis.ResponseError:  # CONFIG is disabled (Memorystore); assume the managed default
        return True
    return bool(str(save).strip())
