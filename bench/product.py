"""The whole product as real processes on this machine, for benchmarks and fault cases.

`Product` starts, in this order: a real Redis (AOF on when asked), the amoCRM emulator and the Sheets
emulator (each `python -m sandbox …` in its own process, real limits unless told otherwise), the web
service under gunicorn (the Dockerfile's command) and RQ worker processes. Every child is in its own
process group and is stopped when the product stops (`sandbox.stack.Stack`), so nothing is left behind.

    with Product.start(log_dir, Limits()) as p:
        tenant = Tenant.create(p, rows, headers)        # bench/tenant.py
        p.kill_worker("worker-1"); p.start_worker("worker-2")
        p.restart_redis()

Counts of API calls are read from the emulators' own counters (`p.amo.counters()`,
`p.sheets.counters()`), never from the backend's clients.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import redis
from cryptography.fernet import Fernet

from backend.store.redis import connect
from sandbox.amocrm import seed
from sandbox.amocrm.client import AmoSandbox
from sandbox.redis_server import free_ports
from sandbox.sheets.auth import DEFAULT_ANONYMOUS_PRINCIPAL
from sandbox.sheets.client import SheetsSandbox
from sandbox.stack import Child, Stack, wait_http

SERVICE_ACCOUNT = DEFAULT_ANONYMOUS_PRINCIPAL  # who the backend is to the Sheets emulator
ADDON_CLIENT_ID = "sandbox-addon.apps.googleusercontent.com"  # the emulator's default ID-token audience


@dataclass(frozen=True)
class Limits:
    """What the emulators enforce and what the backend is configured to respect."""

    amo_rps: float = 7.0  # amoCRM's real limit, per account
    sheets_reads_per_minute: int = 60  # Google's defaults, per user (the service account)
    sheets_writes_per_minute: int = 60
    sheets_per_project_factor: int = 5  # Google: 300 per project = 5 x the per-user 60
    amo_timeout_s: float = 15.0  # the backend's HTTP timeout towards amoCRM


@dataclass
class Product:
    stack: Stack
    limits: Limits
    web_url: str = ""
    amo_url: str = ""
    sheets_url: str = ""
    workers: dict[str, Child] = field(default_factory=dict)
    tenants: list = field(default_factory=list)  # every bench.tenant.Tenant set up on this product
    web_processes: int = 2
    _redis: redis.Redis | None = None

    # --- start and stop ------------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        log_dir: Path,
        limits: Limits | None = None,
        *,
        workers: int = 1,
        web_processes: int = 2,
        appendonly: bool = False,
        env: dict[str, str] | None = None,
    ) -> Product:
        limits = limits or Limits()
        web_port, amo_port, sheets_port = free_ports(3)
        web = f"http://127.0.0.1:{web_port}"
        amo = f"http://127.0.0.1:{amo_port}"
        sheets = f"http://127.0.0.1:{sheets_port}"
        stack = Stack.create(_backend_env(web, amo, sheets, limits) | (env or {}), log_dir)
        product = cls(stack, limits, web, amo, sheets, web_processes=web_processes)
        try:
            stack.start_redis(appendonly=appendonly)
            product._start_emulators(amo_port, sheets_port)
            stack.start_web(port=web_port, workers=web_processes)
            for i in range(1, workers + 1):
                product.start_worker(f"worker-{i}")
            stack.check_alive()
        except BaseException:
            product.stop()
            raise
        return product

    def _start_emulators(self, amo_port: int, sheets_port: int) -> None:
        py = sys.executable
        lim = self.limits
        amo = self.stack.spawn(
            "amocrm",
            [py, "-m", "sandbox", "amocrm", "--port", str(amo_port), "--rps", str(lim.amo_rps)],
        )
        project = lim.sheets_per_project_factor
        sheets = self.stack.spawn(
            "sheets",
            [
                *(py, "-m", "sandbox", "sheets", "--port", str(sheets_port)),
                *("--read-per-user", str(lim.sheets_reads_per_minute)),
                *("--write-per-user", str(lim.sheets_writes_per_minute)),
                *("--read-per-project", str(lim.sheets_reads_per_minute * project)),
                *("--write-per-project", str(lim.sheets_writes_per_minute * project)),
            ],
        )
        wait_http(f"{self.amo_url}/_sandbox/", amo)
        wait_http(f"{self.sheets_url}/_sandbox/quotas", sheets)

    def stop(self) -> None:
        if self._redis is not None:
            self._redis.close()
            self._redis = None
        self.stack.stop()

    def __enter__(self) -> Product:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- the parts -----------------------------------------------------------------------------------

    @property
    def env(self) -> dict[str, str]:
        return self.stack.env

    @property
    def log_dir(self) -> Path:
        return self.stack.log_dir

    @property
    def amo(self) -> AmoSandbox:
        return AmoSandbox(self.amo_url, timeout=60)

    @property
    def sheets(self) -> SheetsSandbox:
        return SheetsSandbox(self.sheets_url, timeout=60)

    @property
    def redis(self) -> redis.Redis:
        if self._redis is None:
            self._redis = connect(self.env["REDIS_URL"])
        return self._redis

    def pids(self) -> dict[str, list[int]]:
        """Role -> pids of the live processes (web: the gunicorn master; workers by name)."""
        out: dict[str, list[int]] = {}
        for child in self.stack.children:
            if child.alive():
                role = "worker" if child.name in self.workers else child.name
                out.setdefault(role, []).append(child.process.pid)
        return out

    # --- faults on the processes ---------------------------------------------------------------------

    def start_worker(self, name: str, queues: str = "") -> Child:
        """An RQ worker process (`python -m backend worker`), on every queue unless `queues` names some."""
        argv = [sys.executable, "-m", "backend", "worker", "--name", name]
        child = self.stack.spawn(name, argv + (["--queues", queues] if queues else []))
        self.workers[name] = child
        deadline = time.monotonic() + 60
        while not self.redis.exists(f"rq:worker:{name}"):  # registered: it takes jobs from now on
            if not child.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"worker {name} did not start; see {child.log_path}")
            time.sleep(0.05)
        return child

    def stop_worker(self, name: str) -> None:
        """A warm shutdown (SIGTERM: RQ finishes the current job first), as a deploy does."""
        child = self.workers.pop(name)
        if child.alive():
            os.killpg(child.process.pid, signal.SIGTERM)
        child.process.wait(timeout=120)

    def kill_worker(self, name: str) -> list[int]:
        """kill -9 the worker and every process under it, as a lost machine would. RQ's work horse is
        in a session of its own (RQ calls setsid), so the worker's process group does not reach it: the
        tree is walked instead. Returns the pids killed."""
        child = self.workers.pop(name)
        try:
            tree = [child.process.pid, *(p.pid for p in psutil.Process(child.process.pid).children(True))]
        except psutil.NoSuchProcess:
            tree = []
        for pid in tree:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        child.process.wait()
        return tree

    def reconfigure(self, env: dict[str, str]) -> None:
        """Restart the web service (on its port) and every worker with `env` changed — what a deploy
        with new settings does. Every process stops first, so none keeps the old settings meanwhile."""
        self.stack.env.update(env)
        names = list(self.workers)
        for name in names:
            self.stop_worker(name)
        web = next(c for c in self.stack.children if c.name == "web")
        os.killpg(web.process.pid, signal.SIGTERM)
        web.process.wait(timeout=60)
        self.stack.children.remove(web)
        self.stack.start_web(port=int(self.web_url.rsplit(":", 1)[1]), workers=self.web_processes)
        for name in names:
            self.start_worker(name)

    def restart_redis(self) -> None:
        """Stop Redis and start it again on the same port and data directory (AOF brings data back)."""
        assert self.stack.redis is not None
        self.stack.redis.restart()


def _backend_env(web: str, amo: str, sheets: str, limits: Limits) -> dict[str, str]:
    """A complete configuration for web and workers, pointed at the emulators, with throwaway secrets."""
    return {
        "APP_ENV": "development",
        "LOG_LEVEL": "INFO",
        "PUBLIC_BASE_URL": web,
        "SECRET_KEY": "bench-" + Fernet.generate_key().decode(),
        "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "AMO_CLIENT_ID": seed.DEFAULT_CLIENT_ID,
        "AMO_CLIENT_SECRET": seed.DEFAULT_CLIENT_SECRET,
        "AMO_REDIRECT_URI": f"{web}/oauth/amocrm/callback",
        "AMO_BASE_URL_TEMPLATE": f"{amo}/{{host}}",
        "AMO_AUTHORIZE_URL": f"{amo}/oauth",
        "AMO_RATE_LIMIT_RPS": str(limits.amo_rps),
        "AMO_HTTP_TIMEOUT_S": str(limits.amo_timeout_s),
        "GOOGLE_OAUTH_CLIENT_IDS": ADDON_CLIENT_ID,
        "GOOGLE_CERTS_URL": f"{sheets}/oauth2/v1/certs",
        "SHEETS_API_ENDPOINT": f"{sheets}/",
        "SHEETS_SERVICE_ACCOUNT_EMAIL": SERVICE_ACCOUNT,
        "SHEETS_READS_PER_MINUTE": str(limits.sheets_reads_per_minute),
        "SHEETS_WRITES_PER_MINUTE": str(limits.sheets_writes_per_minute),
    }
