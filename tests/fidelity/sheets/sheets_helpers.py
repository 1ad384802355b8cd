"""Small helpers shared by the Sheets fidelity tests (imported by name; pytest puts this folder on
sys.path)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import gspread.http_client
import gspread.urls
import pytest
from googleapiclient.errors import HttpError

GOOGLE_SHEETS = "https://sheets.googleapis.com"
SA = "sync@sandbox-project.iam.gserviceaccount.com"  # the emulator's default anonymous principal
ALICE = "alice@example.com"
BOB = "bob@example.com"


def point_gspread_at(monkeypatch: pytest.MonkeyPatch, base_url: str) -> None:
    """Patch only gspread's base-URL constants (gspread.urls, and the copies http_client imported)."""
    for module in (gspread.urls, gspread.http_client):
        for name, value in list(vars(module).items()):
            if name.isupper() and isinstance(value, str) and value.startswith(GOOGLE_SHEETS):
                monkeypatch.setattr(module, name, base_url + value[len(GOOGLE_SHEETS) :])


def api_error(call: Callable[[], Any]) -> tuple[int, dict]:
    """Run a google-api-python-client request that must fail; return (HTTP status, error object)."""
    with pytest.raises(HttpError) as caught:
        call()
    return caught.value.resp.status, json.loads(caught.value.content)["error"]


def tag_rows(svc, spreadsheet_id: str, sheet_id: int, tags: dict[int, str], key: str = "row") -> None:
    """Attach DOCUMENT metadata key=value to rows (0-based index → value) in one batchUpdate."""
    requests = [
        {
            "createDeveloperMetadata": {
                "developerMetadata": {
                    "metadataKey": key,
                    "metadataValue": value,
                    "visibility": "DOCUMENT",
                    "location": {
                        "dimensionRange": {
                            "sheetId": sheet_id,
                            "dimension": "ROWS",
                            "startIndex": i,
                            "endIndex": i + 1,
                        }
                    },
                }
            }
        }
        for i, value in tags.items()
    ]
    svc.spreadsheets().batchUpdate(spreadsheetId=spreadsheet_id, body={"requests": requests}).execute()


def tags_by_row(svc, spreadsheet_id: str, key: str = "row") -> dict[int, str]:
    """Row index → metadata value for ROW metadata with this key."""
    found = (
        svc.spreadsheets()
        .developerMetadata()
        .search(
            spreadsheetId=spreadsheet_id,
            body={"dataFilters": [{"developerMetadataLookup": {"metadataKey": key}}]},
        )
        .execute()
    )
    return {
        m["developerMetadata"]["location"]["dimensionRange"]["startIndex"]: m["developerMetadata"][
            "metadataValue"
        ]
        for m in found.get("matchedDeveloperMetadata", [])
    }


def values_of(svc, spreadsheet_id: str, range_: str = "Sheet1", **options: Any) -> list[list[Any]]:
    return (
        svc.spreadsheets()
        .values()
        .get(spreadsheetId=spreadsheet_id, range=range_, **options)
        .execute()
        .get("values", [])
    )
