"""A Google API service built from the discovery document shipped with google-api-python-client: no
discovery fetch, no discovery cache. Its placeholder http is never used — every request is executed with
the caller's own authorized http (the Sheets client's, `drive_client.authorized_http`).

The document is used without its schemas: building a service renders each method's docstring, and
with the schemas that is the whole of a `Spreadsheet` pretty-printed per method — 55 MB a process for
text nothing reads. Requests do not depend on the schemas (paths, parameters and methods come from
the rest of the document; a body is sent as given), and a test builds every request the backend makes
both ways and compares them (tests/unit/sheets/test_discovery.py)."""

from __future__ import annotations

import json
from typing import Any

import httplib2
from googleapiclient.discovery import build_from_document
from googleapiclient.discovery_cache import get_static_doc

_ANY_OBJECT = {"type": "object"}


def without_schemas(document: dict[str, Any]) -> dict[str, Any]:
    """The document with every method's request and response an object of no named schema (a method
    with a response still answers JSON: googleapiclient reads a response-less method's answer raw)."""

    def strip(resource: dict[str, Any]) -> None:
        for method in resource.get("methods", {}).values():
            for part in ("request", "response"):
                if part in method:
                    method[part] = dict(_ANY_OBJECT)
            for parameter in method.get("parameters", {}).values():
                parameter.pop("$ref", None)
        for child in resource.get("resources", {}).values():
            strip(child)

    document = {**document, "schemas": {}}
    strip(document)
    return document


def offline_service(api: str, version: str, api_endpoint: str | None) -> Any:
    """`api_endpoint` replaces the API's base URL (the sandbox emulator's); None keeps Google's."""
    document = json.loads(get_static_doc(api, version))
    return build_from_document(
        without_schemas(document),
        http=httplib2.Http(),
        client_options={"api_endpoint": api_endpoint} if api_endpoint else None,
    )
