"""The production start-up check: a Redis that may evict keys or lose them on restart is reported."""

import logging

from backend.app import create_app
from backend.settings import Settings
from backend.store.redis import connect, safety_warnings
from sandbox.redis_server import RedisServer
from tests.conftest import base_env


def test_a_safe_redis_raises_no_warning():
    with RedisServer(appendonly=True) as srv:
        assert safety_warnings(connect(srv.url)) == []


def test_eviction_and_no_persistence_are_both_reported_at_start(caplog):
    with RedisServer() as srv:  # started with --save "" and appendonly off
        client = connect(srv.url)
        client.config_set("maxmemory-policy", "allkeys-lru")
        warnings = safety_warnings(client)
        assert any("allkeys-lru" in w and "noeviction" in w for w in warnings)
        assert any("no persistence" in w for w in warnings)
        env = base_env(srv.url) | {"APP_ENV": "production", "PUBLIC_BASE_URL": "https://sync.example.com"}
        with caplog.at_level(logging.WARNING):
            create_app(Settings.from_env(env))
        logged = [r.getMessage() for r in caplog.records if r.name == "backend.services"]
        assert any("noeviction" in m for m in logged) and any("persistence" in m for m in logged)
