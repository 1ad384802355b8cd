"""The sandbox page in headless Debian Chromium, driven by Playwright's Python API.

`product`: the whole product as real processes (sandbox/local.py: Redis, both emulators, the backend
under gunicorn, two RQ workers). `site`: a spreadsheet of sample rows with one known bad row, and the
sandbox page (sandbox/web/) served from this process. `browser`: Chromium from Debian
(/usr/bin/chromium, installed by `make browser`) with a fresh profile and the flags from the machine
notes that keep it off the network. Screenshots go to test-artifacts/e2e/ (git-ignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox.interactive import page_config
from sandbox.local import LocalProduct, sample_rows
from sandbox.serve import ServerThread
from sandbox.web.app import create_app

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BAD_ROW = 8  # sheet row (header = 1) whose e-mail the test breaks
BAD_EMAIL = "anna@@example.com"


@dataclass
class Site:
    url: str
    spreadsheet_id: str
    product: LocalProduct
    rows: list[list[str]]  # as created, header first


@pytest.fixture(scope="module")
def product(tmp_path_factory) -> Iterator[LocalProduct]:
    with LocalProduct(tmp_path_factory.mktemp("e2e-logs")) as p:
        yield p


@pytest.fixture(scope="module")
def site(product: LocalProduct) -> Iterator[Site]:
    rows = sample_rows(30)
    bad = rows[BAD_ROW - 1]
    bad[2:6] = ["+7 912 555-01-08", BAD_EMAIL, "15000", ""]  # phone, e-mail, budget, status: known values
    spreadsheet_id = product.create_spreadsheet(rows)
    server = ServerThread(create_app(page_config(product, spreadsheet_id))).start()
    yield Site(f"{server.url}/", spreadsheet_id, product, rows)
    server.stop()


@pytest.fixture
def browser(tmp_path):
    """(context, page, page_errors): a fresh Chromium profile per test."""
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    expect.set_options(timeout=20_000)  # jobs run in worker processes on a shared 2-core machine
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": 1400, "height": 900},
        )
        context.set_default_timeout(20_000)
        page = context.pages[0] if context.pages else context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            yield context, page, errors
        finally:
            context.close()
