"""The slice of Drive API v3 the backend uses: who may edit a spreadsheet (before a Google user may connect,
disconnect or rotate a sheet's key) and giving up its own access (on disconnect):

- `GET /drive/v3/about?fields=…`   the caller as a Drive user; `fields` is required, as on Drive
- `GET /drive/v3/files/{fileId}/permissions`   who has access (owner, writers, readers). As on Drive a
  Permission carries only `kind`, `id`, `type` and `role` unless `fields` asks for more (`emailAddress`,
  `domain`, …) — a client that forgets `fields=permissions(emailAddress,role,…)` sees no addresses here
  either; `pageSize` (1–100, default 100) and `pageToken` page the list
- `DELETE /drive/v3/files/{fileId}/permissions/{permissionId}`   204; 404 for an unknown file or
  permission; 403 to remove the owner's permission or for a caller who is not owner or writer

A user's permission id is the same on every file (Drive's `User.permissionId`): here a digest of the
e-mail. Removing a permission removes the e-mail from the spreadsheet's editors or viewers, so the
Sheets API answers 403 to that caller afterwards. Shapes follow the Drive v3 discovery document
shipped in google-api-python-client (`drive.v3.json`: about.get, permissions.list, permissions.delete).
Calls are not counted or charged to the Sheets quotas (Drive has its own).
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, current_app, jsonify, request

from sandbox.sheets import auth, fieldmask
from sandbox.sheets.errors import ApiError, bad_request, permission_denied
from sandbox.sheets.model import Spreadsheet

bp = Blueprint("sheets_drive", __name__, url_prefix="/drive/v3")

_DEFAULT_FIELDS = ("kind", "id", "type", "role")
_PARAMS = {
    "fields",
    "pageSize",
    "pageToken",
    "supportsAllDrives",
    "supportsTeamDrives",
    "useDomainAdminAccess",
    "includePermissionsForView",
    "alt",
    "prettyPrint",
    "key",
    "quotaUser",
}


def permission_id(email: str) -> str:
    return str(int(hashlib.sha256(email.lower().encode()).hexdigest()[:16], 16))


def _state():
    return current_app.extensions["sheets_sandbox"]


def _caller():
    st = _state()
    return auth.principal_of(request.headers.get("Authorization"), st.tokens, st.anonymous)


def _permission(email: str, role: str) -> dict:
    return {
        "kind": "drive#permission",
        "id": permission_id(email),
        "type": "user",
        "role": role,
        "emailAddress": email,
        "domain": email.rsplit("@", 1)[-1],
        "displayName": email.split("@", 1)[0],
        "deleted": False,
        "pendingOwner": False,
    }


def _permissions(ss: Spreadsheet) -> list[dict]:
    everyone = [_permission(ss.owner, "owner")]
    everyone += [_permission(e, "writer") for e in sorted(ss.editors) if e != ss.owner]
    everyone += [_permission(v, "reader") for v in sorted(ss.viewers - ss.editors) if v != ss.owner]
    return everyone


@bp.get("/about")
def about():
    if not request.args.get("fields"):
        raise bad_request("The 'fields' parameter is required for this method.")
    email = _caller().email
    user = {"kind": "drive#user", "displayName": email.split("@")[0], "me": True}
    return jsonify({"user": {**user, "emailAddress": email, "permissionId": permission_id(email)}})


@bp.get("/files/<file_id>/permissions")
def list_permissions(file_id: str):
    unknown = set(request.args) - _PARAMS
    if unknown:
        raise bad_request(f"Invalid parameter: {sorted(unknown)[0]}")
    st, caller = _state(), _caller()
    try:
        size = int(request.args.get("pageSize", "100"))
        start = int(request.args.get("pageToken", "0") or "0")
    except ValueError:
        raise bad_request("Invalid pageSize or pageToken.") from None
    if not 1 <= size <= 100 or start < 0:
        raise bad_request("pageSize must be between 1 and 100.")
    with st.lock:
        ss = st.spreadsheets.get(file_id)
        if ss is None or not ss.can_read(caller.email):
            raise ApiError(404, f"File not found: {file_id}.", "NOT_FOUND")
        everyone = _permissions(ss)
    page = everyone[start : start + size]
    result: dict = {"kind": "drive#permissionList", "permissions": page}
    if start + size < len(everyone):
        result["nextPageToken"] = str(start + size)
    mask = request.args.get("fields")
    if mask:
        return jsonify(fieldmask.apply(result, fieldmask.parse(mask)))
    result["permissions"] = [{k: p[k] for k in _DEFAULT_FIELDS} for p in page]
    return jsonify(result)


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
