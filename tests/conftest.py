"""Shared fixtures: a real redis-server for the session (flushed around each test), test settings.

No fakes: Redis is a real server process (sandbox.redis_server), the emulators are the real sandbox
apps over HTTP.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from cryptography.fernet import Fernet

from backend.settings import Settings
from sandbox.amocrm.testing import RunningAmo, start_amocrm
from sandbox.redis_server import RedisServer
from sandbox.sheets.testing import SheetsEmulator

ROOT = Path(__file__).resolve().parent.parent

# A complete, valid test configuration; tests override single variables.
FERNET_KEY = Fernet.generate_key().decode()


def base_env(redis_url: str) -> dict[str, str]:
    return {
        "APP_ENV": "test",
        "LOG_LEVEL": "INFO",
        "PUBLIC_BASE_URL": "http://127.0.0.1:8080",
        "SECRET_KEY": "test-secret-key-0123456789-abcdefghijklmnop",
        "TOKEN_ENCRYPTION_KEYS": FERNET_KEY,
        "REDIS_URL": redis_url,
        "AMO_CLIENT_ID": "11111111-2222-3333-4444-555555555555",
        "AMO_CLIENT_SECRET": "amo-client-secret-for-tests-0123456789",
        "AMO_REDIRECT_URI": "http://127.0.0.1:8080/oauth/amocrm/callback",
        "GOOGLE_OAUTH_CLIENT_IDS": "test-addon.apps.googleusercontent.com",
        "SHEETS_SERVICE_ACCOUNT_EMAIL": "sync@test-project.iam.gserviceaccount.com",
    }


@pytest.fixture(scope="session")
def redis_server():
    with RedisServer() as server:
        yield server


@pytest.fixture
def redis_url(redis_server) -> str:
    return redis_server.url


@pytest.fixture
def redis_client(redis_server):
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    yield client
    client.flushall()
    client.close()


@pytest.fixture
def env(redis_client, redis_server) -> dict[str, str]:
    return base_env(redis_server.url)


@pytest.fixture
def settings(env) -> Settings:
    return Settings.from_env(env)


@pytest.fixture
def app(settings):
    from backend.app import create_app

    return create_app(settings)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def subprocess_env(env) -> dict[str, str]:
    """Environment for a child process (worker, gunicorn) that runs this checkout's code."""
    child = {k: v for k, v in os.environ.items() if not k.startswith(("AMO_", "GOOGLE_", "SHEETS_"))}
    child.update(env)
    child["PYTHONPATH"] = str(ROOT)
    child["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    return child


@pytest.fixture(scope="session")
def amo_server() -> Iterator[RunningAmo]:
    """The amoCRM emulator, in-process on a free loopback port, for the whole session."""
    amo = start_amocrm()
    yield amo
    amo.stop()


@pytest.fixture
def amo(amo_server: RunningAmo) -> RunningAmo:
    """The emulator, freshly reset: default seed, clock at real time, 1000 req/s."""
    amo_server.reset()
    return amo_server


@pytest.fixture(scope="session")
def sheets_emulator() -> Iterator[SheetsEmulator]:
    """The Sheets API emulator and Google ID-token issuer, in-process, for the whole session."""
    with SheetsEmulator() as emulator:
        yield emulator
