"""Shared fixtures: a real redis-server for the session (flushed around each test), test settings.

No fakes: Redis is a real server process (sandbox.redis_server), the emulators are the real sandbox
apps over HTTP.
"""

from __future__ import annotations

import json
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
from tests.model import stats as integrity_stats

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


# --- running in parallel: `make test` runs two pytest-xdist workers (`-n 2 --dist loadfile`) ---------------

# The longest units start first (measured with --durations), so the two workers end at about the same time.
LONGEST_FIRST = (
    "tests/model/test_end_to_end_check.py",
    "tests/faults/test_faults.py",
    "tests/security",
    "tests/integration/api/test_undo_killed.py",
    "tests/model/test_planner_check.py",
)


def work_unit(nodeid: str) -> str:
    """What one worker runs whole: a module (its module-scoped product starts once), or the security suite,
    whose tests share one session product that the log scan, run last, must have seen all of. Each shard
    of the end-to-end checker is a unit of its own: a worker per shard, each with its own product."""
    path = nodeid.split("::", 1)[0]
    if path == "tests/model/test_end_to_end_check.py":
        return nodeid
    return "tests/security" if path.startswith("tests/security/") else path


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class ByWorkUnit(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    config.option.loadscopereorder = False  # keep the order below: the longest first
    return ByWorkUnit(config, log)


def pytest_collection_modifyitems(config, items) -> None:
    """The longest work units first; tests marked `after_everything` (the log scan) last."""
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    order = {}
    for index, item in enumerate(items):
        if not item.nodeid.endswith(item.name):  # schemathesis (4.32, on pytest 9) leaves the operation out
            item._id = item.parent.id.child(item.name)
        last = bool(item.get_closest_marker("after_everything"))
        path = item.nodeid.split("::", 1)[0]  # the end-to-end checker's shards rank as their module
        order[item.nodeid] = (rank.get(work_unit(item.nodeid), rank.get(path, len(rank))), last, index)
    if len(order) < len(items):  # pytest-xdist runs one test per id: the others would be lost silently
        raise pytest.UsageError("two tests have one id; give each its own")
    items.sort(key=lambda item: order[item.nodeid])


# --- the sync checker's report (tests/model), summed over pytest-xdist workers ------------------------------


def pytest_sessionfinish(session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker hands its checker figures to the controller
        workeroutput["integrity"] = integrity_stats.dump()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    integrity_stats.merge(getattr(node, "workeroutput", {}).get("integrity", {}))


def pytest_terminal_summary(terminalreporter, config) -> None:
    """Write and print bench/results/integrity.json from the checker runs of this session."""
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: the controller reports
        return
    if not any(lv.sequences for lv in integrity_stats.LEVELS.values()):
        return
    if os.environ.get("INTEGRITY_STRICT"):  # a shrinking session: its counts are not a checker run
        data = {name: lv.to_json() for name, lv in integrity_stats.LEVELS.items()}
    else:
        data = integrity_stats.write()
    tr = terminalreporter
    tr.section("sync integrity (bench/results/integrity.json)")
    tr.write_line(json.dumps(data, ensure_ascii=False))
    for name, lv in integrity_stats.LEVELS.items():
        for invariant, steps in sorted(lv.examples.items()):
            tr.write_line(f"{name}: shortest sequence seen breaking {invariant}:")
            for step in steps:
                tr.write_line(f"    {step}")
