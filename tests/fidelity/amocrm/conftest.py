"""Fixtures for the amoCRM emulator's fidelity suite (the emulator itself, `amo_server` and `amo`, lives
in tests/conftest.py): an authenticated API session and a real HTTP receiver for webhooks.

Fixtures: `amo_server` (session), `amo` (reset per test; a `sandbox.amocrm.testing.RunningAmo`),
`amo_api` (an `Api` with a Bearer token for acme.amocrm.ru), `amo_account` (the seeded account as the
admin API shows it), `receiver` (a real HTTP endpoint recording webhook deliveries and hooks).

Everything goes over real HTTP. Self-contained on purpose (only `sandbox.amocrm.testing` and
`sandbox.serve`), so the fixtures can move to tests/conftest.py for other suites.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests
from flask import Flask, request

from sandbox.amocrm.testing import RunningAmo
from sandbox.serve import ServerThread


class Api:
    """A Bearer-authenticated session on one account's `/api/v4`, paths relative to it."""

    def __init__(self, amo: RunningAmo, token: str, host: str) -> None:
        self.amo, self.host, self.token = amo, host, token
        self.base = amo.api(host)
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.headers["Authorization"] = f"Bearer {token}"

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base + path

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.session.get(self.url(path), timeout=10, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> requests.Response:
        return self.session.post(self.url(path), json=json, timeout=10, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> requests.Response:
        return self.session.patch(self.url(path), json=json, timeout=10, **kw)

    def delete(self, path: str, json: Any = None, **kw: Any) -> requests.Response:
        return self.session.delete(self.url(path), json=json, timeout=10, **kw)

    def create_leads(self, items: list[dict]) -> list[int]:
        resp = self.post("/leads", items)
        assert resp.status_code == 200, resp.text
        return [x["id"] for x in resp.json()["_embedded"]["leads"]]

    def create_contacts(self, items: list[dict]) -> list[int]:
        resp = self.post("/contacts", items)
        assert resp.status_code == 200, resp.text
        return [x["id"] for x in resp.json()["_embedded"]["contacts"]]


@pytest.fixture
def amo_api(amo: RunningAmo) -> Api:
    """`acme.amocrm.ru`'s API with a token obtained through the authorize page."""
    return Api(amo, amo.tokens()["access_token"], "acme.amocrm.ru")


@pytest.fixture
def amo_account(amo: RunningAmo) -> dict:
    """The seeded account as the admin API describes it (users, pipelines, custom fields)."""
    return amo.admin.account("acme.amocrm.ru")


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    form: list[tuple[str, str]]
    args: dict[str, str]
    at: float

    def get(self, key: str) -> str | None:
        return next((v for k, v in self.form if k == key), None)


@dataclass
class Receiver:
    """A real HTTP endpoint that records what it is sent and answers `status` after `delay` seconds."""

    url: str
    calls: list[Received] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, n: int, timeout: float = 5.0) -> list[Received]:
        wait_for(lambda: len(self.calls) >= n, timeout, f"{n} calls to the receiver")
        return list(self.calls)


@pytest.fixture(scope="session")
def _receivers() -> Iterator[tuple[str, dict[str, Receiver]]]:
    """One receiving server for the session (stopping a werkzeug server costs 0.5 s); each test gets
    its own path on it, so a late delivery from an earlier test cannot land in a later test's list."""
    app = Flask("receiver")
    active: dict[str, Receiver] = {}

    @app.route("/<path:path>", methods=["GET", "POST"])
    def hook(path: str):
        rec = active.get("/" + path)
        if rec is None:
            return "", 404
        raw = request.get_data(as_text=True)
        with rec.lock:
            rec.calls.append(
                Received(
                    request.method,
                    "/" + path,
                    dict(request.headers),
                    parse_qsl(raw, keep_blank_values=True),
                    request.args.to_dict(),
                    time.monotonic(),
                )
            )
        if rec.delay:
            time.sleep(rec.delay)
        return "", rec.status

    with ServerThread(app) as server:
        yield server.url, active


@pytest.fixture
def receiver(_receivers: tuple[str, dict[str, Receiver]]) -> Iterator[Receiver]:
    base, active = _receivers
    path = f"/amo/hook/{uuid.uuid4().hex}"
    rec = Receiver(url=base + path)
    active[path] = rec
    yield rec
    del active[path]


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)
