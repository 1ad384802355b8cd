"""What we read from amoCRM's access tokens without verifying them: `exp` (when to refresh) and
`account_id` (which account a fresh grant is for). The shape is amoCRM's: an RS256 JWT with header
`typ, alg, jti` and the claims listed in /work/shared/reference/amocrm-api.md §1.4 (a real token's
claim structure; the PHP library and KRU read `exp` the same way)."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import crypt
from google.auth import jwt as google_jwt

from backend.amocrm.oauth import jwt_claims, token_set

CLAIMS = {
    "aud": "11111111-2222-3333-4444-555555555555",
    "jti": "0b0c6a3c4f",
    "iat": 1_767_000_000,
    "nbf": 1_767_000_000,
    "exp": 1_767_086_400,
    "sub": "8123456",
    "grant_type": "",
    "account_id": 31234567,
    "base_domain": "amocrm.ru",
    "version": 2,
    "scopes": ["crm", "files", "files_delete", "notifications", "push_notifications"],
    "hash_uuid": "6f1c2d3e-aaaa-bbbb-cccc-0123456789ab",
    "api_domain": "api-b.amocrm.ru",
}


@pytest.fixture(scope="module")
def amo_token() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    signer = crypt.RSASigner.from_string(pem, key_id=None)
    return google_jwt.encode(signer, CLAIMS, header={"typ": "JWT", "jti": CLAIMS["jti"]}).decode()


def test_an_amocrm_access_token_s_claims_are_read_without_its_key(amo_token):
    assert jwt_claims(amo_token) == CLAIMS


def test_the_expiry_comes_from_the_token_not_expires_in(amo_token):
    data = {"access_token": amo_token, "refresh_token": "def50200abc", "expires_in": 60}
    tokens = token_set(data, now=1_767_000_000.0)
    assert tokens.expires_at == CLAIMS["exp"] and tokens.access == amo_token


@pytest.mark.parametrize(
    "token",
    [
        "",
        "opaque-long-lived-token",
        "a.b",
        "a.b.c",
        "e30.bm90IGpzb24.c2ln",  # a payload that is not JSON
        "e30.WzFd.c2ln",  # a payload that is JSON but not an object
        "e30.e30.c2ln.more",
    ],
)
def test_anything_that_is_not_a_jwt_has_no_claims_and_expires_in_counts(token):
    assert jwt_claims(token) == {}
    data = {"access_token": token, "refresh_token": "def50200abc", "expires_in": 60}
    assert token_set(data, now=1000.0).expires_at == 1060.0


def test_a_token_without_exp_falls_back_to_expires_in():
    body = base64.urlsafe_b64encode(json.dumps({"account_id": 5}).encode()).rstrip(b"=").decode()
    token = f"e30.{body}.c2ln"
    assert jwt_claims(token) == {"account_id": 5}
    assert token_set({"access_token": token, "refresh_token": "r"}, now=0.0).expires_at == 86400.0
