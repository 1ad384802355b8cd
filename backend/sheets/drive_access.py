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

import google.auth
import google.auth.exceptions
import google_auth_httplib2
import httplib2
from google.auth.credentials import AnonymousCredentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

log = logging.getLogger(__name__)

SCOPES = ["https://www.googleapis.com/auth/drive"]

REMOVED = "removed"  # the service account can no longer open the spreadsheet
NOT_SHARED = "not_shared"  # it had no access of its own (already removed, or never shared)
KEPT = "kept"  # Drive refused (it owns the file, or a domain policy): the person removes it by hand


def remove_own_access(endpoint: str, spreadsheet_id: str) -> str:
    """REMOVED, NOT_SHARED or KEPT; `endpoint` is the Sheets emulator's root in the sandbox, else ""."""
    if endpoint:  # the sandbox emulator: anonymous calls act as the service account
        credentials = AnonymousCredentials()
    else:
        try:
            credentials, _ = google.auth.default(scopes=SCOPES)
        except google.auth.exceptions.GoogleAuthError as exc:
            log.warning(
                "drive: no credentials to remove the service account's access (%s)", type(exc).__name__
            )
            return KEPT
    http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=10))
    drive = build(
        "drive",
        "v3",
        http=http,
        # an api_endpoint replaces Drive's whole base URL (https://www.googleapis.com/drive/v3/)
        client_options={"api_endpoint": endpoint.rstrip("/") + "/drive/v3/"} if endpoint else None,
        static_discovery=True,
        cache_discovery=False,
    )
    try:
        me = drive.about().get(fields="user(permissionId)").execute()
        permission_id = me["user"]["permissionId"]
        drive.permissions().delete(
            fileId=spreadsheet_id, permissionId=permission_id, supportsAllDrives=True
        ).execute()
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
