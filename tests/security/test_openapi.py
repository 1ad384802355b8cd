"""`docs/openapi.yaml` is true: schemathesis generates requests from it (valid and invalid ones) and sends
them, signed like the add-on signs them, to the real gunicorn — no response may be a 500, and every
response must be one the description declares, with exactly the declared body. Also: every route the
app serves under /api/v1 is described, and nothing else is."""

from __future__ import annotations

import re
from pathlib import Path

import requests
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backend.app import create_app
from backend.security import signing
from backend.settings import Settings
from bench import figures

SPEC = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
schema = schemathesis.openapi.from_path(SPEC)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
SENT: dict[str, int] = {}  # operation -> requests sent (figures for docs/reliability.md)
STATUSES: dict[str, int] = {}


class Sign(requests.auth.AuthBase):
    """RFC 9421 as the add-on signs: keyid = the connection in the path (or the tenant's, for a path
    that names no connection)."""

    def __init__(self, key_id: str, secret: bytes):
        self.key_id, self.secret = key_id, secret

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        body = r.body or b""
        body = body.encode() if isinstance(body, str) else body
        r.headers.update(
            signing.sign(r.method, r.url, dict(r.headers), body, key_id=self.key_id, secret=self.secret)
        )
        return r


def test_every_route_under_api_v1_is_described_and_nothing_else(two):
    app = create_app(Settings.from_env(two.product.env))
    served = {
        (method.lower(), re.sub(r"<(\w+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    described = {
        (m, p)
        for p, ops in yaml.safe_load(SPEC.read_text())["paths"].items()
        for m in ops
        if m != "parameters"
    }
    assert served == described


@schema.parametrize()
@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_answers_as_described(two, case):
    tenant = two.a
    if "connection_id" in (case.path_parameters or {}):
        case.path_parameters["connection_id"] = tenant.connection_id
    session = requests.Session()
    session.auth = Sign(tenant.connection_id, tenant.secret)
    SENT[case.operation.label] = SENT.get(case.operation.label, 0) + 1
    try:
        response = case.call_and_validate(base_url=two.product.web_url, session=session, checks=CHECKS)
        STATUSES[str(response.status_code)] = STATUSES.get(str(response.status_code), 0) + 1
    except Exception:
        STATUSES["failed a check"] = STATUSES.get("failed a check", 0) + 1
        raise
    finally:
        by_status = dict(sorted(STATUSES.items()))
        figures.record(
            "schemathesis", {"requests": sum(SENT.values()), "operations": len(SENT), "by_status": by_status}
        )
