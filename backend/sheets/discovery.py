"""A Google API service built from the discovery document shipped with google-api-python-client: no
discovery fetch, no discovery cache. Its placeholder http is never used — every request is executed with
the caller's own authorized http (the Sheets client's, `drive_client.authorized_http`)."""

from __future__ import annotations

from typing import Any

import httplib2
from googleapiclient.discovery import build


def offline_service(api: str, version: str, api_endpoint: str | None) -> Any:
    """`api_endpoint` replaces the API's base URL (the sandbox emulator's); None keeps Google's."""
    return build(
        api,
        version,
        http=httplib2.Http(),
        client_options={"api_endpoint": api_endpoint} if api_endpoint else None,
        static_discovery=True,
        cache_discovery=False,
    )
