"""Is this Google user an editor of that spreadsheet? Asked of Google Drive (API v3
`permissions.list`, as the sync's service account, which the sheet is shared with), before a verified
user may connect amoCRM, disconnect or rotate the sheet's key: a valid ID token proves who someone is,
not that they may still edit the sheet — a former editor's token is just as valid.

Editors are `owner`, `organizer`, `fileOrganizer` and `writer` (Drive's roles), given to the user, to
anyone (`type: anyone`) or to the user's domain (`type: domain`). A group permission cannot be
resolved without the Admin SDK: members of an editing group are not recognized here (the registered
owner still is, by the caller). Production needs the Drive API enabled for the project and the
`drive.metadata.readonly` scope; the sandbox serves the same call (sandbox/sheets/drive.py).
"""

from __future__ import annotations

import logging

from googleapiclient.errors import HttpError

from backend.errors import AppError, Code
from backend.sheets import drive_client

log = logging.getLogger(__name__)

SCOPES = ("https://www.googleapis.com/auth/drive.metadata.readonly",)
EDITOR_ROLES = {"owner", "organizer", "fileOrganizer", "writer"}
FIELDS = "nextPageToken,permissions(type,role,emailAddress,domain)"


class EditorsUnknown(AppError, status=503, code=Code.UNAVAILABLE):
    """Drive could not be asked (or refused the service account): nobody is let in on its word."""


def is_editor(sheets_endpoint: str, spreadsheet_id: str, email: str) -> bool:
    email = email.strip().lower()
    if not email:
        return False
    permissions = drive_client.service(sheets_endpoint).permissions()
    http = drive_client.authorized_http(sheets_endpoint, SCOPES)
    token = None
    for _ in range(50):  # 100 a page: 5,000 permissions is more than Drive lets a file have
        try:
            page = permissions.list(
                fileId=spreadsheet_id, fields=FIELDS, pageSize=100, pageToken=token, supportsAllDrives=True
            ).execute(http=http, num_retries=2)
        except HttpError as exc:
            log.warning("drive permissions of a spreadsheet: %s", exc.resp.status)
            if int(exc.resp.status) == 404:
                return False  # the service account cannot see the file: nobody is proven an editor
            raise EditorsUnknown(
                "Could not check with Google Drive who may edit this sheet; try again."
            ) from None
        for p in page.get("permissions", []):
            if p.get("role") not in EDITOR_ROLES:
                continue
            kind = p.get("type")
            if kind == "anyone":
                return True
            if kind == "user" and p.get("emailAddress", "").lower() == email:
                return True
            if kind == "domain" and p.get("domain", "").lower() == email.rsplit("@", 1)[-1]:
                return True
        token = page.get("nextPageToken")
        if not token:
            return False
    return False
