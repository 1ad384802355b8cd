"""An edit costs no Sheets API call (issue 15), end to end over real processes: the real add-on (addon/,
in Node over the gas doubles: sandbox/addon_driver.js) on a spreadsheet of the Sheets emulator, the
backend's web app on a loopback port, an RQ worker subprocess, the amoCRM emulator. A person types; the
edit reaches amoCRM planned from the values the add-on sent, and the lead id, link and status are in the
row when the trigger returns — written by the add-on itself. The Sheets emulator counts 0 API calls."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from flask import Flask

from backend.app import create_app
from backend.settings import Settings
from sandbox import local
from sandbox.demo_flows import Flows
from sandbox.redis_server import free_port
from sandbox.serve import ServerThread
from tests.integration.amocrm.conftest import backend_env
from tests.integration.sync.conftest import SERVICE_ACCOUNT

HEADERS = ["Имя", "Телефон", "Email", "Бюджет", "Статус"]
ROWS = [
    ["Иван Петров", "8 912 000-00-01", "ivan@x.ru", "100", ""],
    ["Olga Smirnova", "8 912 000-00-02", "olga@x.ru", "200", ""],
]


@pytest.fixture
def product(amo, sheets, redis_client, redis_server, subprocess_env) -> Iterator[Flows]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = backend_env(
        redis_server.url,
        amo,
        url,
        SHEETS_API_ENDPOINT=sheets.url,
        GOOGLE_CERTS_URL=sheets.admin.certs_url,
        GOOGLE_OAUTH_CLIENT_IDS=local.AUDIENCE,
        SHEETS_SERVICE_ACCOUNT_EMAIL=SERVICE_ACCOUNT,
        SHEETS_READS_PER_MINUTE="100000",
        SHEETS_WRITES_PER_MINUTE="100000",
    )
    settings = Settings.from_env(env)
    amo.admin.update_integration(settings.amo_client_id, redirect_uri=settings.amo_redirect_uri)
    app: Flask = create_app(settings)
    server = ServerThread(app, port=port).start()
    worker = subprocess.Popen(
        [sys.executable, "-m", "backend", "worker", "--name", "cost-e2e"],
        env={**subprocess_env, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    flows = Flows(url, amo.url, sheets.url, redis_server.url)
    try:
        flows.create_spreadsheet(HEADERS, ROWS)
        flows.register()
        flows.connect_amocrm()
        flows.accept_suggested_mapping()
        result, _ = flows.full_sync()
        assert result["leads_created"] == 2
        flows.addon.call("turnOnAutoSync")
        yield flows
    finally:
        flows.close()
        worker.terminate()
        worker.wait(timeout=30)
        server.stop()


def test_an_edit_reaches_amocrm_and_its_row_with_no_sheets_call(product):
    ivan = product.records()[0]
    lead_id = int(ivan["amo_lead_id"])
    product.reset_counters()
    product.addon.person_types(ivan["_row"], HEADERS.index("Бюджет") + 1, [[250]])
    assert product.lead(lead_id)["price"] == 250  # applied before the trigger returned
    assert product.sheets.counters() == {}  # the Sheets API was not called at all
    assert product.records()[0]["amo_sync_status"].startswith("✓ ")


def test_a_new_row_gets_its_lead_id_and_link_from_the_answer_with_no_sheets_call(product):
    end = len(product.grid()) + 1
    product.reset_counters()
    product.addon.person_types(end, 1, [["Анна Новая", "8 912 000-00-09", "anna@x.ru", "700", "переговоры"]])
    row = product.records()[end - 2]
    assert row["amo_lead_id"], row  # in the row when the trigger returned: the add-on wrote it
    lead = product.lead(int(row["amo_lead_id"]))
    assert lead["price"] == 700
    assert row["amo_link"].endswith(f"/leads/detail/{lead['id']}")
    assert row["amo_sync_status"].startswith("✓ ")
    assert lead["status_id"] == product.stage("Переговоры")["id"]
    assert product.sheets.counters() == {}
