"""The whole backend against both emulators and a real Redis: a spreadsheet in the Sheets emulator, an
account in the amoCRM emulator, a connection set up through the real OAuth pages and the mapping API,
and RQ workers running the jobs (in-process `SimpleWorker`s in burst mode, or worker subprocesses)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from flask import Flask
from rq import SimpleWorker

from backend import queues
from backend.app import create_app
from backend.security import signing
from backend.settings import Settings
from sandbox.amocrm.testing import RunningAmo
from sandbox.redis_server import free_port
from sandbox.serve import ServerThread
from sandbox.sheets.testing import SheetsEmulator
from tests.integration.amocrm.conftest import HOST, Backend, backend_env, connect_flow

PERSON = "manager@example.com"  # the sheet's owner: a person, not the service account
SERVICE_ACCOUNT = "sync@sandbox-project.iam.gserviceaccount.com"


@dataclass
class Stack:
    backend: Backend
    sheets: SheetsEmulator
    spreadsheet_id: str
    connection_id: str
    secret: bytes

    @property
    def amo(self) -> RunningAmo:
        return self.backend.amo

    @property
    def redis(self):
        return self.backend.services.redis

    # --- the add-on's side -------------------------------------------------------------------------

    def call(self, method: str, path: str, body: Any = None) -> requests.Response:
        url = f"{self.backend.url}/api/v1/connections/{self.connection_id}{path}"
        data = b"" if body is None else requests.models.complexjson.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if body is not None else {}
        headers = signing.sign(method, url, headers, data, key_id=self.connection_id, secret=self.secret)
        return requests.request(method, url, data=data, headers=headers, timeout=30)

    def send_edits(self, keys: list[str], at: float | None = None) -> requests.Response:
        at_ms = int((at or time.time()) * 1000)
        r = self.call("POST", "/edits", {"rows": [{"key": k, "edited_at": at_ms} for k in keys]})
        assert r.status_code == 202, r.text
        return r

    def sync(self, *, confirm: bool = False, preview: bool = False) -> dict:
        r = self.call(
            "POST", "/sync/preview" if preview else "/sync", None if preview else {"confirm": confirm}
        )
        assert r.status_code == 202, r.text
        self.work()
        job = self.call("GET", f"/jobs/{r.json()['job_id']}")
        assert job.status_code == 200, job.text
        return job.json()

    def work(self) -> None:
        """Run every queued job to the end (RQ's own worker, in this process)."""
        worker = SimpleWorker([queues.queue(q, self.redis) for q in queues.ALL], connection=self.redis)
        worker.work(burst=True, logging_level="WARNING")

    def settle(self) -> None:
        """Let amoCRM deliver its webhooks, then run the jobs they caused; until nothing moves."""
        for _ in range(5):
            self.amo.admin.drain_webhooks()
            if not any(queues.queue(q, self.redis).count for q in queues.ALL):
                return
            self.work()

    # --- looking at both sides ---------------------------------------------------------------------

    def grid(self) -> list[list]:
        return self.sheets.admin.values(self.spreadsheet_id)

    def column(self, header: str) -> list:
        grid = self.grid()
        i = grid[0].index(header)
        return [(row[i] if i < len(row) else "") for row in grid[1:]]

    def row_of(self, key: str) -> dict[str, Any]:
        grid = self.grid()
        k = grid[0].index("amo_sync_id")
        for row in grid[1:]:
            if k < len(row) and row[k] == key:
                return dict(zip(grid[0], row + [""] * (len(grid[0]) - len(row)), strict=True))
        raise KeyError(key)

    def leads(self) -> list[dict]:
        return [x for x in self.amo.admin.leads(HOST) if not x.get("is_deleted")]

    def contacts(self) -> list[dict]:
        return [x for x in self.amo.admin.contacts(HOST) if not x.get("is_deleted")]

    def edit(self, a1: str, values: list[list]) -> None:
        self.sheets.admin.edit_cells(self.spreadsheet_id, a1, values, user=PERSON)


@pytest.fixture
def sheets(sheets_emulator) -> SheetsEmulator:
    sheets_emulator.admin.reset()
    sheets_emulator.admin.set_quotas(
        read_per_user=100000, read_per_project=100000, write_per_user=100000, write_per_project=100000
    )
    return sheets_emulator


@pytest.fixture
def sync_backend(amo: RunningAmo, sheets: SheetsEmulator, redis_client, redis_server) -> Iterator[Backend]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = backend_env(
        redis_server.url,
        amo,
        url,
        SHEETS_API_ENDPOINT=sheets.url,
        GOOGLE_CERTS_URL=sheets.admin.certs_url,
        SHEETS_SERVICE_ACCOUNT_EMAIL=SERVICE_ACCOUNT,
        SHEETS_READS_PER_MINUTE="100000",
        SHEETS_WRITES_PER_MINUTE="100000",
    )
    settings = Settings.from_env(env)
    amo.admin.update_integration(settings.amo_client_id, redirect_uri=settings.amo_redirect_uri)
    app: Flask = create_app(settings)
    server = ServerThread(app, port=port).start()
    backend = Backend(url, app, settings, amo)
    backend.env = env  # for worker subprocesses
    yield backend
    server.stop()


@pytest.fixture
def make_stack(sync_backend: Backend, sheets: SheetsEmulator):
    """make_stack(rows, headers=…, suggest=True) -> a Stack with the sheet connected and mapped."""

    def make(
        rows: list[list], headers: list[str], *, mapping: dict | None = None, title: str = "Leads"
    ) -> Stack:
        spreadsheet_id = sheets.admin.create_spreadsheet(
            "Sales", [headers, *rows], sheet_title=title, owner=PERSON, editors=[SERVICE_ACCOUNT]
        )
        conn, secret = sync_backend.tenants.create(spreadsheet_id, 0, title, "sub-1", PERSON)
        assert connect_flow(sync_backend, conn.id)[0].status == 200
        stack = Stack(sync_backend, sheets, spreadsheet_id, conn.id, secret)
        if mapping is None:
            suggested = stack.call("POST", "/mapping/suggest")
            assert suggested.status_code == 200, suggested.text
            mapping = suggested.json()["mapping"]
        saved = stack.call("PUT", "/mapping", mapping)
        assert saved.status_code == 200, saved.text
        return stack

    return make
