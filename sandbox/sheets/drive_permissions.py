"""Drive API v3 `permissions.list` for the emulator's spreadsheets: who may edit a file, as the backend
asks before it lets a Google user connect, disconnect or rotate a sheet's key.

`GET /drive/v3/files/{fileId}/permissions` (path, parameters and the `PermissionList`/`Permission`
shapes from Google's discovery document `drive.v3.json`, bundled with google-api-python-client):
the owner is `role: owner`, editors `writer`, viewers `reader`, each `type: user`. As on Drive, a caller
who cannot see the file gets 404 "File not found", and a Permission carries only `kind`, `id`, `type`
and `role` unless `fields` asks for more (`emailAddress`, `domain`, …) — a client that forgets
`fields=permissions(emailAddress,role,…)` sees no addresses here either. `pageSize` (1–100, default
100) and `pageToken` page the list. Registered by `app.py`; calls are not counted or charged to the
Sheets quotas (Drive has its own).
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, jsonify, request

from sandbox.sheets import auth, fieldmask
from sandbox.sheets.errors import ApiError, bad_request

bp = Blueprint("sheets_drive_permissions", __name__)

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


def _permission(email: str, role: str) -> dict:
    return {
        "kind": "drive#permission",
        "id": str(int(hashlib.sha256(email.encode()).hexdigest()[:15], 16)),  # stable per user
        "type": "user",
        "role": role,
        "emailAddress": email,
        "domain": email.rsplit("@", 1)[-1],
        "displayName": email.split("@", 1)[0],
        "deleted": False,
        "pendingOwner": False,
    }


@bp.get("/drive/v3/files/<file_id>/permissions")
def list_permissions(file_id: str):
    from sandbox.sheets.api import sheets_state

    unknown = set(request.args) - _PARAMS
    if unknown:
        raise bad_request(f"Invalid parameter: {sorted(unknown)[0]}")
    st = sheets_state()
    principal = auth.principal_of(request.headers.get("Authorization"), st.tokens, st.anonymous)
    try:
        size = int(request.args.get("pageSize", "100"))
        start = int(request.args.get("pageToken", "0") or "0")
    except ValueError:
        raise bad_request("Invalid pageSize or pageToken.") from None
    if not 1 <= size <= 100 or start < 0:
        raise bad_request("pageSize must be between 1 and 100.")
    with st.lock:
        ss = st.spreadsheets.get(file_id)
        if ss is None or not ss.can_read(principal.email):
            raise ApiError(404, f"File not found: {file_id}.", "NOT_FOUND")
        everyone = [_permission(ss.owner, "owner")]
        everyone += [_permission(e, "writer") for e in sorted(ss.editors) if e != ss.owner]
        everyone += [_permission(v, "reader") for v in sorted(ss.viewers - ss.editors) if v != ss.owner]
    page = everyone[start : start + size]
    result: dict = {"kind": "drive#permissionList", "permissions": page}
    if start + size < len(everyone):
        result["nextPageToken"] = str(start + size)
    mask = request.args.get("fields")
    if mask:
        return jsonify(fieldmask.apply(result, fieldmask.parse(mask)))
    result["permissions"] = [{k: p[k] for k in _DEFAULT_FIELDS} for p in page]
    return jsonify(result)


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    return jsonify(error.body()), error.code
