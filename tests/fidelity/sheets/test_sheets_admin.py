"""The /_sandbox/ admin API: setup, read-back, acting as a person, CORS, persistence, view, CLI."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sheets_helpers import ALICE, BOB, SA, tag_rows, tags_by_row, values_of

from sandbox.redis_server import free_port
from sandbox.serve import ServerThread
from sandbox.sheets import cli
from sandbox.sheets.client import SheetsSandbox, SheetsSandboxError

ROOT = Path(__file__).resolve().parents[3]


def test_create_from_csv_parses_like_an_import(admin):
    sid = admin.create_spreadsheet("CSV", csv='name,budget,since\n"Smith, Ann",1200,2024-01-15\n')
    assert admin.values(sid) == [["name", "budget", "since"], ["Smith, Ann", 1200, 45306]]


def test_create_raw_keeps_strings(admin):
    sid = admin.create_spreadsheet("Raw", [["007", "TRUE"]], value_input_option="RAW")
    assert admin.values(sid) == [["007", "TRUE"]]


def test_read_back_whole_spreadsheet(svc, admin):
    sid = admin.create_spreadsheet(
        "Whole",
        sheets=[{"title": "Leads", "rows": [["a"]]}, {"title": "Log", "rows": [["b"]], "rowCount": 5}],
        owner=ALICE,
        editors=[SA],
        viewers=[BOB],
    )
    tag_rows(svc, sid, 0, {0: "header"})
    whole = admin.spreadsheet(sid)
    assert (whole["owner"], whole["editors"], whole["viewers"]) == (ALICE, [SA], [BOB])
    assert [(s["title"], s["rowCount"], s["values"]) for s in whole["sheets"]] == [
        ("Leads", 1000, [["a"]]),
        ("Log", 5, [["b"]]),
    ]
    [meta] = whole["developerMetadata"]
    assert meta["metadataValue"] == "header" and meta["project"] == "sandbox-project"
    assert admin.values(sid, sheet="Log") == [["b"]]


def test_person_edits_are_parsed_as_typed_and_logged(admin, people_sheet):
    admin.edit_cells(people_sheet, "Sheet1!C2", [["1,500"]], user=SA)
    assert admin.values(people_sheet)[1][2] == 1500
    [entry] = admin.edits(people_sheet)
    assert (entry["action"], entry["changeType"], entry["user"], entry["range"]) == (
        "edit_cells",
        "EDIT",
        SA,
        "Sheet1!C2",
    )


def test_person_inserts_and_deletes_rows_moving_metadata(svc, admin, people_sheet):
    tag_rows(svc, people_sheet, 0, {1: "Ann", 2: "Bob", 3: "Cid"})
    admin.insert_rows(people_sheet, row=2, count=2)
    assert tags_by_row(svc, people_sheet) == {3: "Ann", 4: "Bob", 5: "Cid"}
    admin.delete_rows(people_sheet, row=4)  # Ann's row
    assert tags_by_row(svc, people_sheet) == {3: "Bob", 4: "Cid"}
    assert [r[0] if r else "" for r in values_of(svc, people_sheet)] == ["name", "", "", "Bob", "Cid"]
    assert [e["changeType"] for e in admin.edits(people_sheet)] == ["INSERT_ROW", "REMOVE_ROW"]


def test_person_sorts_with_a_header_row(svc, admin, people_sheet):
    tag_rows(svc, people_sheet, 0, {1: "Ann"})
    admin.sort(people_sheet, "Sheet1!A1:C4", "C", ascending=False, header=True)
    assert [r[0] for r in values_of(svc, people_sheet)] == ["name", "Cid", "Bob", "Ann"]
    assert tags_by_row(svc, people_sheet) == {1: "Ann"}  # row metadata stays on its row


def test_person_moves_rows_and_columns(svc, admin, people_sheet):
    tag_rows(svc, people_sheet, 0, {3: "Cid"})
    admin.move_rows(people_sheet, row=4, count=1, before=2)
    assert [r[0] for r in values_of(svc, people_sheet)] == ["name", "Cid", "Ann", "Bob"]
    assert tags_by_row(svc, people_sheet) == {1: "Cid"}
    admin.move_columns(people_sheet, "C", 1, "A")
    assert values_of(svc, people_sheet)[0] == ["budget", "name", "email"]


def test_person_renames_a_header(admin, people_sheet):
    admin.rename_header(people_sheet, "email", "E-mail")
    assert admin.values(people_sheet)[0] == ["name", "E-mail", "budget"]


def test_person_must_be_an_editor(admin, people_sheet):
    with pytest.raises(SheetsSandboxError) as caught:
        admin.insert_rows(people_sheet, row=2, user="stranger@example.com")
    assert caught.value.status == 403


def test_share_and_unshare(svc, admin):
    sid = admin.create_spreadsheet("Alice's", [["x"]], owner=ALICE)
    admin.share(sid, SA)
    assert values_of(svc, sid) == [["x"]]
    admin.unshare(sid, SA)
    assert admin.spreadsheet(sid)["editors"] == []


def test_cors_is_off_by_default_and_permissive_when_on(sheets, admin, people_sheet):
    url = f"{sheets.url}/v4/spreadsheets/{people_sheet}/values/A1"
    origin = {"Origin": "http://127.0.0.1:5173"}
    assert "Access-Control-Allow-Origin" not in requests.get(url, headers=origin, timeout=5).headers
    admin.set_cors(True)
    preflight = requests.options(
        url, headers={**origin, "Access-Control-Request-Headers": "authorization,content-type"}, timeout=5
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:5173"
    assert preflight.headers["Access-Control-Allow-Headers"] == "authorization,content-type"
    got = requests.get(url, headers=origin, timeout=5)
    assert got.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:5173"
    assert admin.counters() == {"spreadsheets.values.get": 2}  # preflights are not API calls
    admin.set_cors(False)


def test_html_view_shows_values_and_metadata(sheets, svc, admin, people_sheet):
    tag_rows(svc, people_sheet, 0, {2: "bob-lead"})
    page = requests.get(f"{sheets.url}/_sandbox/view/{people_sheet}", timeout=5)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert "bob@example.com" in page.text and "row = bob-lead" in page.text
    assert people_sheet in requests.get(f"{sheets.url}/", timeout=5).text


def test_state_file_round_trip(tmp_path):
    state_file = tmp_path / "sheets.json"
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    args = parser.parse_args(["--state", str(state_file)])
    service = cli.build(args)
    with ServerThread(service.app) as server:
        admin = SheetsSandbox(server.url)
        sid = admin.create_spreadsheet("Kept", [["kept", 1]])
        token = admin.mint_id_token("ann@example.com", issued_at=time.time())
    service.close()
    again = cli.build(args)
    with ServerThread(again.app) as server:
        admin = SheetsSandbox(server.url)
        assert admin.values(sid) == [["kept", 1]]
        from google.auth.transport.requests import Request
        from google.oauth2 import id_token

        claims = id_token.verify_token(
            token, Request(), audience="sandbox-addon.apps.googleusercontent.com", certs_url=admin.certs_url
        )
        assert claims["email"] == "ann@example.com"  # the signing key survived the restart


def test_the_sandbox_dispatcher_serves_google_api_python_client():
    """`python -m sandbox sheets`, in a child process. The dispatcher builds a sub-command for every
    emulator it knows; the table is narrowed to `sheets` so this runs before sandbox/amocrm exists."""
    port = free_port()
    run = (
        "import sys, sandbox.__main__ as m; m.EMULATORS = {'sheets': 8802}; "
        f"sys.exit(m.main(['sheets', '--port', '{port}']))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", run],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        banner = process.stdout.readline()
        assert f"api_endpoint=http://127.0.0.1:{port}/" in banner
        admin = SheetsSandbox(f"http://127.0.0.1:{port}")
        sid = admin.create_spreadsheet("CLI", [["up"]])
        from google.auth.credentials import AnonymousCredentials
        from googleapiclient.discovery import build

        service = build(
            "sheets",
            "v4",
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": f"http://127.0.0.1:{port}/"},
            static_discovery=True,
            cache_discovery=False,
        )
        assert values_of(service, sid) == [["up"]]
    finally:
        process.terminate()
        process.wait(timeout=10)
