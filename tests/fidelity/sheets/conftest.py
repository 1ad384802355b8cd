"""Fixtures for the Sheets emulator's fidelity suite: one emulator per session on a real loopback port,
reset before every test, driven by clients we did not write (google-api-python-client, gspread).
"""

from __future__ import annotations

import gspread
import pytest
from google.auth.credentials import AnonymousCredentials
from google.oauth2.credentials import Credentials
from sheets_helpers import point_gspread_at

from sandbox.sheets.client import SheetsSandbox
from sandbox.sheets.testing import SheetsEmulator


@pytest.fixture(scope="session")
def _session_service(sheets_emulator):
    return sheets_emulator.service()  # building the client once keeps the suite fast


@pytest.fixture
def sheets(sheets_emulator) -> SheetsEmulator:
    sheets_emulator.admin.reset()
    return sheets_emulator


@pytest.fixture
def admin(sheets) -> SheetsSandbox:
    return sheets.admin


@pytest.fixture
def svc(sheets, _session_service):
    """google-api-python-client, static discovery, anonymous credentials: acts as the service account."""
    return _session_service


@pytest.fixture
def gc(sheets, monkeypatch) -> gspread.Client:
    """gspread 6 pointed at the emulator, anonymous (the service account)."""
    point_gspread_at(monkeypatch, sheets.url)
    return gspread.Client(auth=AnonymousCredentials())


@pytest.fixture
def gspread_as(sheets, monkeypatch):
    """gspread acting as another user: gspread_as("alice@example.com")."""
    point_gspread_at(monkeypatch, sheets.url)

    def make(email: str) -> gspread.Client:
        return gspread.Client(auth=Credentials(sheets.admin.mint_access_token(email)))

    return make


@pytest.fixture
def people_sheet(admin) -> str:
    """A small contacts sheet, the shape the product syncs."""
    return admin.create_spreadsheet(
        "Contacts",
        [
            ["name", "email", "budget"],
            ["Ann", "ann@example.com", "100"],
            ["Bob", "bob@example.com", "200"],
            ["Cid", "cid@example.com", "300"],
        ],
    )
