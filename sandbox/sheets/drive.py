"""The slice of Drive API v3 the backend uses to give up its own access to a spreadsheet (on disconnect):

- `GET /drive/v3/about?fields=…`   the caller as a Drive user; `fields` is required, as on Drive
- `GET /drive/v3/files/{fileId}/permissions`   who has access (owner, writers, readers)
- `DELETE /drive/v3/files/{fileId}/permissions/{permissionId}`   204; 404 for an unknown file or
  permission; 403 to remove the owner's permission or for a caller who is not owner or writer

A user's permission id is the same on every file (Drive's `User.permissionId`): here a digest of the
e-mail. Removing a permission removes the e-mail from the spreadsheet's editors or viewers, so the
Sheets API answers 403 to that caller afterwards. Shapes follow the Drive v3 discovery document
shipped in google-api-python-client (`drive.v3.json`: about.get, permissions.list, permissions.delete).
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, current_app, jsonify, request

from sandbox.sheets import auth
from sandbox.sheets.errors import ApiError, bad_request, permission_denied
from sandbox.sheets.model import Spreadsheet

bp = Blueprint("sheets_drive", __name__, url_prefix="/drive/v3")


def permission_id(email: str) -> str:
    return str(int(hashlib.sha256(email.lower().encode()).hexdigest()[:16], 16))


def _state():
    return current_app.extensions["sheets_sandbox"]


def _caller():
    st = _state()
    return auth.principal_of(request.headers.get("Authorization"), st.tokens, st.anonymous)


def _permissions(ss: Spreadsheet) -> list[dict]:
    people = [(ss.owner, "owner")] + [(e, "writer") for e in sorted(ss.editors)]
    people += [(e, "reader") for e in sorted(ss.viewers)]
    return [
        {"kind": "drive#permission", "id": permission_id(e), "type": "user", "role": r, "emailAddress": e}
        for e, r in people
    ]


@bp.get("/about")
def about():
    if not request.args.get("fields"):
        raise bad_request("The 'fields' parameter is required for this method.")
    email = _caller().email
    user = {"kind": "drive#user", "displayName": email.split("@")[0], "me": True}
    return jsonify({"user": {**user, "emailAddress": email, "permissionId": permission_id(email)}})


@bp.get("/files/<file_id>/permissions")
def list_permissions(file_id: str):
    st, caller = _state(), _caller()
    with st.lock:
        ss = st.spreadsheets.get(file_id)
        if ss is None or not ss.can_read(caller.email):
            raise ApiError(404, f"File not found: {file_id}.")
        return jsonify({"kind": "drive#permissionList", "permissions": _permissions(ss)})


@bp.delete("/files/<file_id>/permissions/<perm_id>")
def delete_permission(file_id: str, perm_id: str):
    st, caller = _state(), _caller()
    with st.lock:
        ss = st.spreadsheets.get(file_id)
        if ss is None or not ss.can_read(caller.email):
            raise ApiError(404, f"File not found: {file_id}.")
        target = next((p for p in _permissions(ss) if p["id"] == perm_id), None)
        if target is None:
            raise ApiError(404, f"Permission not found: {perm_id}.")
        own = target["emailAddress"] == caller.email
        if target["role"] == "owner" or not (own or ss.can_write(caller.email)):
            raise permission_denied()
        ss.editors.discard(target["emailAddress"])
        ss.viewers.discard(target["emailAddress"])
    return Response(status=204)


@bp.errorhandler(ApiError)
def drive_error(error: ApiError):
    return jsonify(error.body()), error.code
