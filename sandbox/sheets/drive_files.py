"""Drive API v3 `files.get` for a spreadsheet's metadata: `version` and `modifiedTime`, what the backend
asks before reading a sheet ("did anything change since I last read it?").

- `GET /drive/v3/files/{fileId}?fields=…`  a `drive#file`; without `fields` Drive's default selection
  (kind, id, name, mimeType); 404 "File not found" for an unknown file or one the caller cannot open.

Drive's `version` is "a monotonically increasing version number for the file. This reflects every change
made to the file on the server" (the File schema in the Drive v3 discovery document shipped with
google-api-python-client, `drive.v3.json`). Here a change is anything that alters the spreadsheet's
saved state (cells, metadata, sheets, sharing, the UI edit log), whoever made it: API writes, people in
the UI, the add-on's Apps Script. The version is worked out when asked — a digest of that state compared
with the one seen last — so no writer needs to know about it; `modifiedTime` is then the time the change
was first seen, which is never earlier than the change. Drive's own quota is separate from the Sheets
API's, so these calls are not counted with the Sheets calls.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading

from flask import Blueprint, current_app, jsonify, request

from sandbox.sheets import auth, fieldmask
from sandbox.sheets.errors import ApiError

bp = Blueprint("sheets_drive_files", __name__, url_prefix="/drive/v3")

DEFAULT_FIELDS = "kind,id,name,mimeType"
MIME = "application/vnd.google-apps.spreadsheet"


class Versions:
    """fileId -> (digest, version, modifiedTime) as last seen; one per emulator app."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: dict[str, tuple[str, int, float]] = {}

    def of(self, file_id: str, digest: str, now: float, created: float) -> tuple[int, float]:
        with self.lock:
            old = self.seen.get(file_id)
            if old is None:
                entry = (digest, 1, created)
            elif old[0] != digest:
                entry = (digest, old[1] + 1, max(now, old[2]))
            else:
                entry = old
            self.seen[file_id] = entry
            return entry[1], entry[2]


def _rfc3339(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@bp.get("/files/<file_id>")
def get_file(file_id: str):
    st = current_app.extensions["sheets_sandbox"]
    versions = current_app.extensions.setdefault("sheets_drive_versions", Versions())
    caller = auth.principal_of(request.headers.get("Authorization"), st.tokens, st.anonymous)
    mask = fieldmask.parse(request.args.get("fields") or DEFAULT_FIELDS)
    with st.lock:
        ss = st.spreadsheets.get(file_id)
        if ss is None or not ss.can_read(caller.email):
            raise ApiError(404, f"File not found: {file_id}.")
        state = ss.to_json()
        now = st.clock.now()
    digest = hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()
    version, modified = versions.of(file_id, digest, now, now)
    body = {
        "kind": "drive#file",
        "id": file_id,
        "name": state["title"],
        "mimeType": MIME,
        "version": str(version),
        "modifiedTime": _rfc3339(modified),
    }
    return jsonify(fieldmask.apply(body, mask))


@bp.errorhandler(ApiError)
def drive_error(error: ApiError):
    return jsonify(error.body()), error.code
