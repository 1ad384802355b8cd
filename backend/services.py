"""Process-wide services (settings, Redis) built once by the app factory or the worker bootstrap.

Owns: `Services` and `bootstrap()`. This is the only module-level mutable state in the service: web
processes set it in `create_app()`, workers in `backend.worker`, and job functions read it with
`current()` — so a job takes ids, not clients, and builds nothing at import time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import redis

from backend.logs import configure_logging
from backend.settings import Settings
from backend.store.redis import connect, safety_warnings

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    redis: redis.Redis


_current: Services | None = None


def bootstrap(settings: Settings | None = None, *, configure_logs: bool = True) -> Services:
    """Build the services for this process (and make them `current()`)."""
    global _current
    settings = settings or Settings.from_env()
    if configure_logs:
        configure_logging(settings.log_level, settings.secret_values())
    client = connect(settings.redis_url)
    if settings.is_production:
        try:
            for warning in safety_warnings(client):
                log.warning("redis: %s", warning)
        except redis.RedisError as exc:
            log.warning("redis: could not check its configuration at start: %s", exc)
    _current = Services(settings=settings, redis=client)
    return _current


def current() -> Services:
    if _current is None:
        return bootstrap()
    return _current
