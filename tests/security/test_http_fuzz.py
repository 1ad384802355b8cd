"""Fuzzing the product over real HTTP (gunicorn, not a test client): amoCRM webhook bodies of any shape
and content type at a real account's webhook address, the OAuth connect pages with any query, and
anything at all at any path — never a 500. (/api/v1 is fuzzed from its description by schemathesis.)"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench import figures

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
COUNT = {"requests": 0, "5xx": 0}
BRACKET_KEYS = st.one_of(
    st.text(alphabet="abcdeilnorstu[]0123_", min_size=1, max_size=40),
    st.sampled_from(
        ["account[id]", "leads[update][0][id]", "leads[status][0][status_id]", "contacts[add][]"]
    ),
)


def _sent(response: requests.Response) -> int:
    COUNT["requests"] += 1
    COUNT["5xx"] += response.status_code >= 500
    figures.record("http_fuzz", dict(COUNT))
    return response.status_code


@pytest.fixture(scope="module")
def hook(two):
    amo = two.product.amo
    url = next(
        h["destination"] for h in amo.webhooks(two.a.host) if h["destination"].startswith(two.product.web_url)
    )
    return url, amo.account(two.a.host)["id"]


@FUZZ
@given(
    st.lists(st.tuples(BRACKET_KEYS, st.text(max_size=30)), max_size=30),
    st.booleans(),
    st.sampled_from(
        ["application/x-www-form-urlencoded", "application/json", "text/plain", "multipart/form-data"]
    ),
    st.binary(max_size=200),
)
def test_webhook_bodies_of_any_shape_are_never_a_500(hook, pairs, with_account, content_type, raw):
    url, account_id = hook
    body = urlencode(([("account[id]", str(account_id))] if with_account else []) + pairs).encode()
    for data in (body, raw):
        r = requests.post(url, data=data, headers={"Content-Type": content_type}, timeout=30)
        assert _sent(r) in (200, 400, 403, 413), r.text


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(["ticket", "code", "state", "referer", "client_id", "error", "platform", "x"]),
        st.text(max_size=60),
        max_size=6,
    ),
    st.sampled_from(["/oauth/amocrm/start", "/oauth/amocrm/callback", "/webhooks/amocrm/revoked"]),
)
def test_oauth_pages_with_any_query_are_never_a_500(two, query, path):
    r = requests.get(two.product.web_url + path, params=query, timeout=30)
    assert _sent(r) < 500, r.text


@FUZZ
@given(
    st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
    st.lists(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-.%~", min_size=1, max_size=12), max_size=5
    ),
    st.sampled_from(["", "/api/v1", "/api/v1/connections", "/webhooks/amocrm", "/oauth/amocrm"]),
    st.binary(max_size=100),
)
def test_any_path_and_method_is_never_a_500(two, method, parts, prefix, body):
    url = f"{two.product.web_url}{prefix}/" + "/".join(parts)
    r = requests.request(method, url, data=body, timeout=30)
    assert _sent(r) < 500, r.text
