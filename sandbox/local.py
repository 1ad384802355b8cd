"""The whole product on this machine, wired together: what `make sandbox` and the browser test run.

    product = LocalProduct(log_dir).start()      # Redis, both emulators, gunicorn web, 2 RQ workers
    spreadsheet_id = product.create_spreadsheet(rows)
    ...
    product.stop()                               # every process, in reverse order

Each piece is a real process on a free loopback port (sandbox/stack.py), and the backend is configured
for the emulators exactly as production is for Google and amoCRM — only URLs differ: the Sheets API
endpoint (calls without credentials act as the emulator's service account), the ID-token certificates of
the Sheets emulator's issuer, and amoCRM's base-URL template and authorize page. The amoCRM emulator
reads the same AMO_CLIENT_ID / AMO_CLIENT_SECRET / AMO_REDIRECT_URI, so its seeded integration is the
backend's. The spreadsheet belongs to a person (`USER`), not to the service account: the add-on's
Set up shares it, as in production.
"""

from __future__ import annotations

import csv
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from cryptography.fernet import Fernet

from sandbox.amocrm import seed
from sandbox.redis_server import free_ports
from sandbox.serve import Startable
from sandbox.sheets.auth import DEFAULT_ANONYMOUS_PRINCIPAL
from sandbox.sheets.client import SheetsSandbox
from sandbox.stack import Stack, wait_http

DATA = Path(__file__).resolve().parent / "data" / "leads.csv"
USER = "you@example.com"  # the person using the add-on; owns the spreadsheet
AUDIENCE = "sandbox-addon.apps.googleusercontent.com"  # the add-on's OAuth client id (ID-token audience)
SERVICE_ACCOUNT = DEFAULT_ANONYMOUS_PRINCIPAL
AMO_HOST = seed.DEFAULT_HOST


def backend_env(web: str, amo: str, sheets: str) -> dict[str, str]:
    """A complete backend configuration pointing at the emulators, with throwaway secrets."""
    return {
        "APP_ENV": "development",
        "LOG_LEVEL": "INFO",
        "PUBLIC_BASE_URL": web,
        "SECRET_KEY": "sandbox-" + Fernet.generate_key().decode(),
        "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "AMO_CLIENT_ID": seed.DEFAULT_CLIENT_ID,
        "AMO_CLIENT_SECRET": seed.DEFAULT_CLIENT_SECRET,
        "AMO_REDIRECT_URI": f"{web}/oauth/amocrm/callback",
        "AMO_AUTHORIZE_URL": f"{amo}/oauth",
        "AMO_BASE_URL_TEMPLATE": f"{amo}/{{host}}",
        "GOOGLE_OAUTH_CLIENT_IDS": AUDIENCE,
        "GOOGLE_CERTS_URL": f"{sheets}/oauth2/v1/certs",
        "SHEETS_API_ENDPOINT": sheets,
        "SHEETS_SERVICE_ACCOUNT_EMAIL": SERVICE_ACCOUNT,
        "OPS_TOKEN": "sandbox-ops-" + Fernet.generate_key().decode(),  # /readyz/details (worker count)
    }


def sample_rows(limit: int | None = None) -> list[list[str]]:
    """sandbox/data/leads.csv: the header row, then up to `limit` data rows."""
    with open(DATA, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows if limit is None else rows[: limit + 1]


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


@dataclass
class LocalProduct(Startable):
    log_dir: Path
    workers: int = 2
    stack: Stack | None = None
    urls: dict[str, str] = field(default_factory=dict)  # web, amo, sheets

    @property
    def web(self) -> str:
        return self.urls["web"]

    @property
    def amo(self) -> str:
        return self.urls["amo"]

    @property
    def sheets(self) -> str:
        return self.urls["sheets"]

    def start(self) -> LocalProduct:
        """Start everything (children in parallel), then wait until each answers and the workers listen."""
        web, amo, sheets = (f"http://127.0.0.1:{port}" for port in free_ports(3))
        self.stack = stack = Stack.create(backend_env(web, amo, sheets), self.log_dir)
        try:
            stack.start_redis()
            emulators = [
                (url, self._spawn_emulator(name, url)) for name, url in (("amocrm", amo), ("sheets", sheets))
            ]
            for i in range(1, self.workers + 1):
                stack.start_worker(f"worker-{i}")
            stack.start_web(_port(web))  # waits for /healthz; the others start meanwhile
            for url, child in emulators:
                wait_http(f"{url}/_sandbox/", child)
            self.urls = {"web": web, "amo": amo, "sheets": sheets}
            self._wait_for_workers()
            stack.check_alive()
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn_emulator(self, name: str, url: str):
        argv = [sys.executable, "-m", "sandbox", name, "--port", str(_port(url))]
        return self.stack.spawn(name, argv)  # type: ignore[union-attr]

    def _registered_workers(self) -> int:
        headers = {"Authorization": f"Bearer {self.stack.env['OPS_TOKEN']}"}  # type: ignore[union-attr]
        return requests.get(f"{self.web}/readyz/details", headers=headers, timeout=5).json()["checks"][
            "queue"
        ]["workers"]

    def _wait_for_workers(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while self._registered_workers() < self.workers:
            for child in self.stack.children if self.stack else []:
                if not child.alive():
                    raise RuntimeError(f"{child.name} exited; see {child.log_path}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the RQ workers did not register within {timeout_s:.0f} s")
            time.sleep(0.1)

    def create_spreadsheet(self, rows: list[list[str]], *, title: str = "Deals", tab: str = "Leads") -> str:
        """A spreadsheet owned by USER (typed-in values, as if imported), not yet shared with the backend."""
        return SheetsSandbox(self.sheets).create_spreadsheet(title, rows, sheet_title=tab, owner=USER)

    def stop(self) -> None:
        if self.stack is not None:
            self.stack.stop()
            self.stack = None
