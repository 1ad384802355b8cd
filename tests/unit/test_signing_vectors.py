"""The shared RFC 9421 vectors (tests/vectors/signing.json): the backend signs exactly these and accepts them.

The add-on's JavaScript is held to the same file by tests/addon/signing.test.js. The expected values were
computed from each vector's literal `signature_base` with a plain HMAC-SHA256, not with our own code.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
from pathlib import Path

import pytest
import requests
from http_message_signatures import HTTPSignatureKeyResolver
from requests_http_signature import HTTPSignatureAuth, algorithms

from backend.security import signing

VECTOR_FILE = Path(__file__).parent.parent / "vectors" / "signing.json"
VECTORS = json.loads(VECTOR_FILE.read_text("utf-8"))["vectors"]
IDS = [v["name"] for v in VECTORS]


def secret(vector) -> bytes:
    return base64.b64decode(vector["secret_base64"])


def with_expected(vector) -> dict[str, str]:
    return vector["headers"] | vector["expected"]


def skew_to_reach(vector) -> int:
    # The vectors carry fixed past `created` times; widen the ±window just enough to reach them.
    return int(time.time()) - vector["created"] + 60


def test_the_vectors_cover_what_they_must():
    assert any("?" in v["url"] and v["method"] == "POST" for v in VECTORS)
    assert any("?" not in v["url"] for v in VECTORS)
    assert any(v["method"] == "GET" and v["body"] == "" for v in VECTORS)
    assert any(not v["body"].isascii() for v in VECTORS)


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_the_expected_values_follow_from_the_literal_signature_base(vector):
    body = vector["body"].encode()
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert vector["expected"]["Content-Digest"] == f"sha-256=:{digest}:"
    assert f'"content-digest": sha-256=:{digest}:' in vector["signature_base"]
    mac = hmac.new(secret(vector), vector["signature_base"].encode(), hashlib.sha256).digest()
    assert vector["expected"]["Signature"] == f"sig1=:{base64.b64encode(mac).decode()}:"


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_the_backend_signs_exactly_the_vector(vector):
    headers = signing.sign(
        vector["method"],
        vector["url"],
        vector["headers"],
        vector["body"].encode(),
        key_id=vector["key_id"],
        secret=secret(vector),
        created=dt.datetime.fromtimestamp(vector["created"], dt.UTC),
        nonce=vector["nonce"],
    )
    assert {k: headers[k] for k in vector["expected"]} == vector["expected"]


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_the_backend_accepts_the_vector_once(vector, redis_client):
    def verify():
        return signing.verify(
            vector["method"],
            vector["url"],
            with_expected(vector),
            vector["body"].encode(),
            secret_for={vector["key_id"]: secret(vector)}.get,
            redis_client=redis_client,
            max_skew_s=skew_to_reach(vector),
        )

    assert verify() == vector["key_id"]
    with pytest.raises(signing.SignatureRejected, match="replayed"):
        verify()


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_a_changed_byte_of_the_body_is_refused(vector, redis_client):
    with pytest.raises(signing.SignatureRejected):
        signing.verify(
            vector["method"],
            vector["url"],
            with_expected(vector),
            (vector["body"] + " ").encode(),
            secret_for={vector["key_id"]: secret(vector)}.get,
            redis_client=redis_client,
            max_skew_s=skew_to_reach(vector),
        )


class _Key(HTTPSignatureKeyResolver):
    def __init__(self, key: bytes):
        self.key = key

    def resolve_public_key(self, key_id: str):
        return self.key


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_requests_http_signature_verifies_the_vector(vector):
    request = requests.Request(
        vector["method"], vector["url"], data=vector["body"].encode(), headers=with_expected(vector)
    ).prepare()
    # requests re-quotes URLs (%2D becomes -); a verifier sees the target as it was sent.
    request.url = vector["url"]
    result = HTTPSignatureAuth.verify(
        request,
        require_components=signing.COVERED,
        signature_algorithm=algorithms.HMAC_SHA256,
        key_resolver=_Key(secret(vector)),
        max_age=None,
    )
    assert result.parameters["keyid"] == vector["key_id"]
    assert result.nonce == vector["nonce"]
