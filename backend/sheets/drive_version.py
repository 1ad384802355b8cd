"""A spreadsheet's Drive `version`: the cheap answer to "did anything change since I last read it?".

Drive API v3 `files.get(fileId, fields="version,modifiedTime")` reads only the file's metadata; the
File schema says `version` is "a monotonically increasing version number for the file. This reflects
every change made to the file on the server" (drive.v3.json, shipped with google-api-python-client).
It spends the Drive API's quota, not the Sheets API's 60 reads a minute, and the service account may
read the metadata of any file shared with it (scope `drive.metadata.readonly`; the Drive API must be
enabled in the project, docs/deploy.md).

Nothing here retries and every failure answers None: the caller then reads the sheet, as it would
without this check — a lost answer costs one Sheets read, never a missed change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import google.auth.exceptions
import httplib2
from googleapiclient.errors import HttpError

from backend.sheets import drive_client

log = logging.getLogger(__name__)

SCOPES = ("https://www.googleapis.com/auth/drive.metadata.readonly",)
TIMEOUT_S = 10


@dataclass(frozen=True)
class FileVersion:
    version: str
    modified_time: str


def file_version(endpoint: str, spreadsheet_id: str) -> FileVersion | None:
    """The file's version now, or None when Drive cannot tell (`endpoint`: the emulator's root, or "")."""
    try:
        http = drive_client.authorized_http(endpoint, SCOPES, timeout_s=TIMEOUT_S)
        request = (
            drive_client.service(endpoint)
            .files()
            .get(fileId=spreadsheet_id, fields="version,modifiedTime", supportsAllDrives=True)
        )
        got = request.execute(http=http, num_retries=0)
    except HttpError as exc:
        log.warning("drive: no version for a spreadsheet (HTTP %s); the sheet will be read", exc.resp.status)
        return None
    except (OSError, httplib2.HttpLib2Error, google.auth.exceptions.GoogleAuthError) as exc:
        log.warning("drive: no version for a spreadsheet (%s); the sheet will be read", type(exc).__name__)
        return None
    if not got.get("version"):
        return None
    return FileVersion(str(got["version"]), str(got.get("modifiedTime", "")))
