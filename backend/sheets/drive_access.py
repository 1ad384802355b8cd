"""The service account gives up its own access to a spreadsheet (on disconnect), through the Drive API.

`about.get(fields=user/permissionId)` names the service account's permission id (Drive shows one id per
user on every file), then `permissions.delete(fileId, permissionId)` removes it. Both need the
`drive.file` or `drive` scope (Drive API v3 reference, permissions.delete: "Requires one of the following
OAuth scopes: …/auth/drive, …/auth/drive.file"), and the Drive API enabled in the project
(docs/deploy.md). Nothing here retries: a failure is reported to the person, who can remove the share
from the spreadsheet's Share dialog instead.
"""

from __future__ import annotations

import logging

import google.auth.exceptions
import httplib2
from googleapiclient.errors import HttpError

from backend.sheets import drive_client

log = logging.getLogger(__name__)

SCOPES = ("https://www.googleapis.com/auth/drive",)

REMOVED = "removed"  # the service account can no longer open the spreadsheet
NOT_SHARED = "not_shared"  # it had no access of its own (already removed, or never shared)
KEPT = "kept"  # Drive refused (it owns the file, or a domain policy): the person removes it by hand


def remove_own_access(endpoint: str, spreadsheet_id: str) -> str:
    """REMOVED, NOT_SHARED or KEPT; `endpoint` is the Sheets emulator's root in the sandbox, else ""."""
    try:
        http = drive_client.authorized_http(endpoint, SCOPES, timeout_s=10)
    except google.auth.exceptions.GoogleAuthError as exc:
        log.warning("drive: no credentials to remove the service account's access (%s)", type(exc).__name__)
        return KEPT
    drive = drive_client.service(endpoint)
    try:
        me = drive.about().get(fields="user(permissionId)").execute(http=http)
        permission_id = me["user"]["permissionId"]
        drive.permissions().delete(
            fileId=spreadsheet_id, permissionId=permission_id, supportsAllDrives=True
        ).execute(http=http)
    except HttpError as exc:
        status = exc.resp.status
        if status == 404:
            return NOT_SHARED
        log.warning("drive: could not remove the service account's access (HTTP %s)", status)
        return KEPT
    except (OSError, httplib2.HttpLib2Error, google.auth.exceptions.GoogleAuthError) as exc:
        log.warning("drive: could not remove the service account's access (%s)", type(exc).__name__)
        return KEPT
    log.info("drive: the service account's access to a spreadsheet was removed")
    return REMOVED
