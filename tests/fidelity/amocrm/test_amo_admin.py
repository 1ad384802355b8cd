"""The sandbox around the emulator: counters, the HTML board, persistence, the CLI banner, admin-made
accounts."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from sandbox.amocrm import cli, seed
from sandbox.amocrm.client import SandboxError
from sandbox.amocrm.state import State
from sandbox.amocrm.testing import running_amocrm


def test_counters_count_api_and_token_calls_per_endpoint_and_account_but_not_admin_calls(amo, amo_api):
    amo.admin.reset_counters()
    (lead_id,) = amo_api.create_leads([{"name": "a"}])
    amo_api.get("/leads")
    amo_api.get(f"/leads/{lead_id}")
    amo_api.get("/contacts/custom_fields")
    amo.admin.leads("acme.amocrm.ru")  # admin: not counted
    amo.tokens()  # one /oauth2 call; the authorize page is not an API call
    counters = amo.admin.counters()
    assert counters["by_endpoint"] == {
        "POST /api/v4/leads": 1,
        "GET /api/v4/leads": 1,
        "GET /api/v4/leads/{id}": 1,
        "GET /api/v4/contacts/custom_fields": 1,
        "POST /oauth2/access_token": 1,
    }
    assert counters["total"] == 5 and counters["by_account"] == {"acme.amocrm.ru": 5}
    assert counters["by_status"] == {"200": 5}
    amo.admin.reset_counters()
    assert amo.admin.counters()["total"] == 0


def test_the_board_shows_pipelines_as_columns_and_leads_as_cards(amo, amo_api, amo_account):
    (lead_id,) = amo_api.create_leads([{"name": "Big deal", "price": 777}])
    page = requests.get(f"{amo.url}/_sandbox/view/acme.amocrm.ru", timeout=10)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    pipeline = amo_account["pipelines"][0]
    for status in pipeline["statuses"]:
        assert f'data-status-id="{status["id"]}"' in page.text
    assert f'data-lead-id="{lead_id}"' in page.text and "Big deal" in page.text and "777" in page.text
    assert "acme.amocrm.ru" in requests.get(f"{amo.url}/_sandbox/view/", timeout=10).text


def test_admin_creates_kommo_accounts_users_and_fields(amo):
    created = amo.admin.create_account("beta.kommo.com", "Beta")
    assert created["subdomain"] == "beta" and len(created["users"]) == 2
    user = amo.admin.create_user("beta.kommo.com", "Third")
    field = amo.admin.create_custom_field("beta.kommo.com", "contacts", "Telegram", "text", code="TG")
    beta = amo.session("beta.kommo.com")
    base = amo.api("beta.kommo.com")
    assert beta.get(f"{base}/users").json()["_total_items"] == 3
    assert beta.get(f"{base}/users/{user['id']}").json()["name"] == "Third"
    codes = [
        f["code"] for f in beta.get(f"{base}/contacts/custom_fields").json()["_embedded"]["custom_fields"]
    ]
    assert "TG" in codes and field["code"] == "TG"
    pipelines = beta.get(f"{base}/leads/pipelines").json()["_embedded"]["pipelines"]
    names = {s["id"]: s["name"] for s in pipelines[0]["_embedded"]["statuses"]}
    assert names[142] == "Closed - won" and names[143] == "Closed - lost"
    assert beta.get(f"{base}/account").json()["subdomain"] == "beta"


def test_state_persists_to_json_and_loads_back(tmp_path):
    path = tmp_path / "amo.json"
    with running_amocrm(state_file=path) as amo:
        amo.admin.set_faults(rps=1000)
        token = amo.tokens()["access_token"]
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {token}"
        resp = s.post(amo.api() + "/leads", json=[{"name": "kept", "price": 5}], timeout=10)
        lead_id = resp.json()["_embedded"]["leads"][0]["id"]
        amo.admin.advance(100)
    state = State.load(path)  # saved on close
    assert state.accounts["acme.amocrm.ru"].leads[lead_id]["name"] == "kept" and state.clock_offset >= 100
    with running_amocrm(state=state, state_file=path) as amo:
        lead = requests.get(
            f"{amo.api()}/leads/{lead_id}", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert lead.status_code == 200 and lead.json()["price"] == 5  # tokens survive a restart too
        assert amo.admin.save() == str(path)


def test_cli_builds_from_flags_and_environment(monkeypatch, tmp_path):
    parser = argparse.ArgumentParser()
    monkeypatch.setenv("AMO_CLIENT_ID", "env-client")
    monkeypatch.setenv("AMO_CLIENT_SECRET", "env-secret")
    cli.add_arguments(parser)
    args = parser.parse_args(
        ["--redirect-uri", "https://app.example.com/cb", "--state", str(tmp_path / "s.json")]
    )
    service = cli.build(args)
    try:
        banner = service.banner("http://127.0.0.1:8801")
        assert "env-client" in banner and "env-secret" in banner and "https://app.example.com/cb" in banner
        assert "http://127.0.0.1:8801/acme.amocrm.ru/api/v4" in banner and "7 req/s" in banner
        integration = service.app.extensions["amocrm"].state.integrations["env-client"]
        assert integration.redirect_uri == "https://app.example.com/cb"
    finally:
        service.close()
    assert (tmp_path / "s.json").exists()
    defaults = cli.build(_defaults(monkeypatch))
    try:
        assert seed.DEFAULT_CLIENT_ID in defaults.banner("http://x")
    finally:
        defaults.close()


def _defaults(monkeypatch) -> argparse.Namespace:
    for name in ("AMO_CLIENT_ID", "AMO_CLIENT_SECRET", "AMO_REDIRECT_URI"):
        monkeypatch.delenv(name, raising=False)
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args([])


def test_admin_index_lists_its_endpoints(amo):
    endpoints = requests.get(f"{amo.url}/_sandbox/", timeout=10).json()["endpoints"]
    assert "POST /_sandbox/clock/advance" in endpoints and "POST /_sandbox/faults" in endpoints


def test_long_lived_tokens_have_no_refresh_and_expire(amo):
    token = amo.admin.long_lived_token(seed.DEFAULT_CLIENT_ID, "acme.amocrm.ru", ttl=2 * 86400)
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(amo.api() + "/account", headers=headers, timeout=10).status_code == 200
    amo.admin.advance(2 * 86400)
    assert requests.get(amo.api() + "/account", headers=headers, timeout=10).status_code == 401


def test_the_command_line_serves_the_default_account(tmp_path):
    """What a stranger does: start it, read the banner, open the authorize page; SIGTERM saves state.
    (`python -m sandbox.amocrm`: `python -m sandbox amocrm` also needs every other emulator's package.)"""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMO_")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[3])
    state = tmp_path / "state.json"
    cmd = [sys.executable, "-m", "sandbox.amocrm", "--port", str(port), "--state", str(state)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    try:
        banner = [proc.stdout.readline() for _ in range(4)]
        assert f"http://127.0.0.1:{port}" in banner[0]
        assert f"http://127.0.0.1:{port}/acme.amocrm.ru/api/v4" in "".join(banner)
        page = requests.get(f"http://127.0.0.1:{port}/oauth?client_id={seed.DEFAULT_CLIENT_ID}", timeout=10)
        assert page.status_code == 200 and "acme.amocrm.ru" in page.text
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
    assert proc.returncode == 0 and "acme.amocrm.ru" in State.load(state).accounts


def test_bad_knobs_are_refused_by_the_admin_api(amo):
    with pytest.raises(SandboxError, match="400"):
        amo.admin.set_faults(rps="fast")
    with pytest.raises(SandboxError, match="unknown knobs"):
        amo.admin.set_faults(colour="red")
    with pytest.raises(SandboxError, match="400"):
        amo.admin.force(status=418)
    assert amo.admin.faults()["rps"] == 1000.0


def test_a_bare_account_still_takes_leads(amo):
    amo.admin.create_account("bare.amocrm.ru", seed=False)
    session = amo.session("bare.amocrm.ru")
    resp = session.post(amo.api("bare.amocrm.ru") + "/leads", json=[{"name": "x"}], timeout=10)
    assert resp.status_code == 200
    assert session.get(amo.api("bare.amocrm.ru") + "/leads/custom_fields", timeout=10).status_code == 204


def test_forced_responses_no_call_took_can_be_dropped(amo, amo_api):
    amo.admin.force(status=503, count=3)
    assert amo_api.get("/leads").status_code == 503
    amo.admin.clear_forced()  # the two 503s left would fail whatever test comes next
    assert amo_api.get("/leads").status_code in (200, 204)
    assert amo.admin.faults()["rps"] == 1000.0  # the other knobs stay as they were
