"""The sandbox page's server (sandbox/web/app.py) without a browser: what it serves and what its proxy
lets through — only the backend's add-on API and the Sheets emulator's /_sandbox/ API."""

from __future__ import annotations

import html as html_lib
import json
import re

import pytest

from sandbox.web.app import GAS_FILES, PageConfig, create_app


@pytest.fixture
def page(sheets_emulator):
    config = PageConfig(
        backend="http://127.0.0.1:9",  # nothing listens: the proxy must say so, not hang
        sheets=sheets_emulator.url,
        amo="http://127.0.0.1:8801",
        amo_host="acme.amocrm.ru",
        spreadsheet_id="1abcDEFghiJKLmnoPQRstuVWXyz",
        user="you@example.com",
        audience="sandbox-addon.apps.googleusercontent.com",
    )
    return create_app(config).test_client()


def test_the_page_carries_its_settings_and_loads_every_double(page):
    html = page.get("/").get_data(as_text=True)
    for name in GAS_FILES:
        assert f'<script src="/gas/{name}"></script>' in html
        assert page.get(f"/gas/{name}").status_code == 200
    assert page.get("/gas/node.js").status_code == 404  # the Node loader is not for browsers
    config = json.loads(html_lib.unescape(re.search(r'data-config="([^"]*)"', html).group(1)))
    assert config["amoBoard"] == "http://127.0.0.1:8801/_sandbox/view/acme.amocrm.ru?refresh=5"


def test_the_project_is_the_add_on_as_clasp_pushes_it(page):
    project = page.get("/project.json").get_json()
    assert project["manifest"]["runtimeVersion"] == "V8"
    names = [s["name"] for s in project["scripts"]]
    assert "addon/Server.js" in names and "addon/lib/signing.js" in names
    assert set(project["html"]) >= {"addon/Sidebar", "addon/SidebarCss", "addon/SidebarJs"}


def test_the_proxy_reaches_only_the_add_on_api_and_the_sheets_sandbox(page, sheets_emulator):
    assert page.get("/proxy/sheets/_sandbox/").get_json()["service"] == "Google Sheets API v4 sandbox"
    assert page.get("/proxy/sheets/v4/spreadsheets/x").status_code == 404  # the service account's door
    assert page.get("/proxy/backend/healthz").status_code == 404
    assert page.get("/proxy/elsewhere/anything").status_code == 404
    down = page.post("/proxy/backend/api/v1/register", data=b"{}")
    assert down.status_code == 502 and b"backend unreachable" in down.data
