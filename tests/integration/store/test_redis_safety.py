"""The production start-up check: a Redis that may evict keys or lose them on restart is reported."""

import logging

from backend.app import create_app
from backend.settings import Settings
from backend.store.redis import connect, persistence, safety_warnings
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


def test_aof_keeps_token_rotations_and_rdb_alone_does_not():
    with RedisServer(appendonly=True) as srv:
        p = persistence(connect(srv.url))
        assert p.aof and p.appendfsync == "everysec" and p.keeps_rotations and p.notes() == []
    with RedisServer() as srv:
        client = connect(srv.url)
        client.config_set("save", "3600 1")  # snapshots only, as Memorystore for Redis offers
        p = persistence(client)
        assert not p.keeps_rotations
        assert any("every token rotation since the last snapshot" in n for n in p.notes())
        assert any("reconnect" in w for w in safety_warnings(client))


def test_where_config_is_disabled_the_check_says_what_it_could_not_read():
    with RedisServer(appendonly=True) as srv:
        admin = connect(srv.url)
        # what Memorystore does: every command but CONFIG
        admin.acl_setuser(
            "app", enabled=True, passwords=["+pw"], keys=["*"], channels=["*"], commands=["+@all", "-config"]
        )
        client = connect(srv.url.replace("redis://", "redis://app:pw@"))
        p = persistence(client)
        assert p.aof and not p.config_readable and p.keeps_rotations
        assert any("CONFIG is disabled" in n and "AOF is on" in n for n in p.notes())
        env = base_env(srv.url.replace("redis://", "redis://app:pw@")) | {"OPS_TOKEN": "ops-" + "x" * 30}
        app = create_app(Settings.from_env(env))
        http = app.test_client()
        assert http.get("/readyz").json == {"status": "ready"}
        assert http.get("/readyz/details").status_code == 404  # no token: nothing to see
        assert http.get("/readyz/details", headers={"Authorization": "Bearer wrong"}).status_code == 404
        r = http.get("/readyz/details", headers={"Authorization": "Bearer ops-" + "x" * 30})
        assert r.status_code == 200
        checks = r.json["checks"]
        assert set(checks["queue"]["depth"]) == {"edits", "webhooks", "sync", "default"}
        assert checks["persistence"]["appendfsync"].startswith("unknown (CONFIG is disabled)")
        assert any("CONFIG is disabled" in n for n in checks["persistence"]["notes"])
