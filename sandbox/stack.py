"""Start and stop real processes on this machine: Redis, gunicorn web, RQ workers, anything `spawn`ed
(the emulators: see sandbox/local.py, which wires the whole product). Used by `make demo`,
`make sandbox` and end-to-end tests.

Every child runs in its own process group and is stopped (TERM, then KILL) in reverse start order, so
nothing is left running when the stack exits — even after an error.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from backend.__main__ import GUNICORN_ARGV
from sandbox.redis_server import RedisServer, free_port

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    log_path: Path

    def alive(self) -> bool:
        return self.process.poll() is None


@dataclass
class Stack:
    env: dict[str, str]
    log_dir: Path
    redis: RedisServer | None = None
    children: list[Child] = field(default_factory=list)

    @classmethod
    def create(cls, env: dict[str, str], log_dir: Path) -> Stack:
        log_dir.mkdir(parents=True, exist_ok=True)
        base = {k: v for k, v in os.environ.items()}
        base.update(env)
        base["PYTHONPATH"] = str(ROOT)
        base["PATH"] = os.path.dirname(sys.executable) + os.pathsep + base.get("PATH", "")
        return cls(env=base, log_dir=log_dir)

    def start_redis(self, *, appendonly: bool = False) -> str:
        self.redis = RedisServer(appendonly=appendonly).start()
        self.env["REDIS_URL"] = self.redis.url
        return self.redis.url

    def spawn(self, name: str, argv: list[str], extra_env: dict[str, str] | None = None) -> Child:
        log_path = self.log_dir / f"{name}.log"
        log_file = open(log_path, "ab")
        process = subprocess.Popen(
            argv,
            env={**self.env, **(extra_env or {})},
            cwd=ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log_file.close()
        child = Child(name, process, log_path)
        self.children.append(child)
        return child

    def start_web(self, port: int | None = None, workers: int = 2) -> str:
        port = port or free_port()
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        self.spawn(
            "web", [gunicorn, *GUNICORN_ARGV[1:]], {"PORT": str(port), "WEB_CONCURRENCY": str(workers)}
        )
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/healthz", self.children[-1])
        return url

    def start_worker(self, name: str) -> Child:
        return self.spawn(name, [sys.executable, "-m", "backend", "worker", "--name", name])

    def check_alive(self) -> None:
        """Raise if a child has exited. Called once a stack is up: a server that lost its port to another
        process exits, while the winner answers on its URL and would pass every readiness check."""
        for child in self.children:
            if not child.alive():
                code = child.process.returncode
                raise RuntimeError(f"{child.name} exited with {code}; see {child.log_path}")

    def stop(self) -> None:
        for child in reversed(self.children):
            _stop_group(child.process)
        self.children.clear()
        if self.redis:
            self.redis.close()
            self.redis = None

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def wait_http(url: str, child: Child | None = None, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            pass
        if child is not None and not child.alive():
            raise RuntimeError(f"{child.name} exited with {child.process.returncode}; see {child.log_path}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout_s:.0f} s")
        time.sleep(0.1)


def _stop_group(process: subprocess.Popen, timeout_s: float = 15.0) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass
