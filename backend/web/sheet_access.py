"""The Sheets API as web requests use it: never waiting on the quota every tenant shares, and the
mapping screen's sheet metadata (tab title, size, header row, tagged columns: 3 reads) cached.

A web thread that slept on the shared Sheets limiter held a gunicorn thread for as long as the quota
was booked ahead — one tenant looping on its own mapping could leave no thread for anyone's state
call or webhook. Here a request gets a slot now (from its connection's share of the minute and from
the shared quota) or a 429 with Retry-After, and the metadata is read at most once per `INFO_TTL_S`
per connection; saving a mapping (which tags columns) forgets it.
"""

from __future__ import annotations

import json

from backend.services import Services
from backend.sheets.client import SheetsClient
from backend.sheets.layout import SheetInfo, sheet_info
from backend.store import keys
from backend.store.connections import Connection
from backend.sync.run import sheets_client

INFO_TTL_S = 30


def web_sheets(svc: Services, share: str) -> SheetsClient:
    """A Sheets client for one web request, spending `share`'s slice of the quota (a connection id)."""
    return sheets_client(svc, web_share=share)


def _key(conn: Connection) -> str:
    return keys.sheet_info(conn.id, conn.spreadsheet_id, conn.sheet_id)


def cached_info(svc: Services, conn: Connection) -> SheetInfo:
    raw = svc.redis.get(_key(conn))
    if raw:
        data = json.loads(raw)
        ids = {int(k): v for k, v in data["ids_by_index"].items()}
        return SheetInfo(data["title"], data["column_count"], data["headers"], ids)
    return fresh_info(svc, conn)


def fresh_info(svc: Services, conn: Connection) -> SheetInfo:
    info = sheet_info(web_sheets(svc, conn.id), conn.spreadsheet_id, conn.sheet_id)
    data = {
        "title": info.title,
        "column_count": info.column_count,
        "headers": info.headers,
        "ids_by_index": {str(k): v for k, v in info.ids_by_index.items()},
    }
    svc.redis.set(_key(conn), json.dumps(data, ensure_ascii=False), ex=INFO_TTL_S)
    return info


def forget(svc: Services, conn: Connection) -> None:
    svc.redis.delete(_key(conn))
