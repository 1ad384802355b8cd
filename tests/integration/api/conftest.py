"""The add-on API over real HTTP, with the Sheets emulator (sharing, developer metadata, ID tokens) and
the amoCRM emulator behind the backend. Reuses the sync suite's stack fixtures."""

from __future__ import annotations

import time

import pytest
import requests

from tests.integration.sync.conftest import PERSON, SERVICE_ACCOUNT, make_stack, sheets, sync_backend

ADDON_AUD = "test-addon.apps.googleusercontent.com"  # GOOGLE_OAUTH_CLIENT_IDS of the test settings


@pytest.fixture
def id_token(sheets):
    def mint(
        email: str = PERSON,
        sub: str = "sub-person",
        aud: str = ADDON_AUD,
        expires_in: float = 3600,
        issued_at=None,
    ):
        # issued on the real clock: the backend verifies against it (the emulator's clock may run ahead)
        return sheets.admin.mint_id_token(email, sub, aud, expires_in, issued_at=issued_at or time.time())

    return mint


def post(backend, path: str, body: dict, token: str | None) -> requests.Response:
    headers = {"X-Google-Id-Token": token} if token else {}
    return requests.post(f"{backend.url}/api/v1{path}", json=body, headers=headers, timeout=15)


def write_challenge_as(sheets, spreadsheet_id: str, email: str, key: str, value: str) -> None:
    """What the add-on does in the user's document: spreadsheet-level DOCUMENT metadata, as that user."""
    svc = sheets.service(sheets.admin.mint_access_token(email))
    body = {
        "requests": [
            {
                "createDeveloperMetadata": {
                    "developerMetadata": {
                        "metadataKey": key,
                        "metadataValue": value,
                        "visibility": "DOCUMENT",
                        "location": {"spreadsheet": True},
                    }
                }
            }
        ]
    }
    svc.spreadsheets().batchUpdate(spreadsheetId=spreadsheet_id, body=body).execute()


__all__ = ["SERVICE_ACCOUNT", "make_stack", "sheets", "sync_backend"]
