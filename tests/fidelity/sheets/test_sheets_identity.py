"""ID tokens minted by the emulator pass (and fail) google-auth's real verification code path.

Which clock decides: the verifier's. google-auth checks `iat`/`exp` against `google.auth._helpers.utcnow`
of the process that verifies; the emulator stamps tokens with its virtual clock. So each test says which
clock its verifier runs on: `verifier_on_virtual_clock` makes google-auth read the emulator's time (how
a backend integration test wired to the sandbox clock behaves); the real-clock tests mint with
`issued_at=time.time()`.
"""

from __future__ import annotations

import datetime
import time

import google.auth._helpers
import pytest
import requests
from google.auth.exceptions import InvalidValue
from google.auth.transport.requests import Request
from google.oauth2 import id_token

AUDIENCE = "1234567890-addon.apps.googleusercontent.com"


@pytest.fixture
def verifier_on_virtual_clock(admin, monkeypatch):
    """google-auth reads the emulator's virtual clock instead of the real one."""

    def virtual_utcnow() -> datetime.datetime:
        return datetime.datetime.fromtimestamp(admin.now(), datetime.UTC).replace(tzinfo=None)

    monkeypatch.setattr(google.auth._helpers, "utcnow", virtual_utcnow)


def verify(admin, token, audience=AUDIENCE, certs_url=None):
    return id_token.verify_token(token, Request(), audience=audience, certs_url=certs_url or admin.certs_url)


def test_a_minted_token_verifies_with_the_right_audience(admin, verifier_on_virtual_clock):
    token = admin.mint_id_token("ann@example.com", sub="110169484474386276334", aud=AUDIENCE)
    claims = verify(admin, token)
    assert claims["iss"] == "https://accounts.google.com"
    assert claims["aud"] == claims["azp"] == AUDIENCE
    assert claims["sub"] == "110169484474386276334"
    assert claims["email"] == "ann@example.com" and claims["email_verified"] is True
    assert claims["exp"] - claims["iat"] == 3600


def test_a_wrong_audience_is_rejected(admin, verifier_on_virtual_clock):
    token = admin.mint_id_token("ann@example.com", aud=AUDIENCE)
    with pytest.raises(InvalidValue, match="Token has wrong audience"):
        verify(admin, token, audience="someone-else.apps.googleusercontent.com")


def test_advancing_the_clock_past_exp_expires_the_token(admin, verifier_on_virtual_clock):
    token = admin.mint_id_token("ann@example.com", aud=AUDIENCE, expires_in=3600)
    admin.advance(3599)
    assert verify(admin, token)["email"] == "ann@example.com"
    admin.advance(2)
    with pytest.raises(InvalidValue, match="Token expired"):
        verify(admin, token)


def test_the_subject_defaults_to_a_stable_google_like_number(admin, verifier_on_virtual_clock):
    sub_1 = verify(admin, admin.mint_id_token("ann@example.com", aud=AUDIENCE))["sub"]
    sub_2 = verify(admin, admin.mint_id_token("ann@example.com", aud=AUDIENCE))["sub"]
    assert sub_1 == sub_2 and sub_1.isdigit() and len(sub_1) == 21


def test_extra_claims_are_carried(admin, verifier_on_virtual_clock):
    token = admin.mint_id_token("ann@corp.example", aud=AUDIENCE, hd="corp.example")
    assert verify(admin, token)["hd"] == "corp.example"


def test_a_tampered_token_is_rejected(admin, verifier_on_virtual_clock):
    header, _, signature = admin.mint_id_token("ann@example.com", aud=AUDIENCE).split(".")
    forged = admin.mint_id_token("mallory@example.com", aud=AUDIENCE).split(".")[1]
    with pytest.raises(ValueError, match="signature"):
        verify(admin, f"{header}.{forged}.{signature}")


def test_real_clock_verifier_accepts_a_token_issued_now(admin):
    token = admin.mint_id_token("ann@example.com", aud=AUDIENCE, issued_at=time.time())
    assert verify(admin, token)["email"] == "ann@example.com"


def test_real_clock_verifier_rejects_a_token_whose_exp_is_past(admin):
    token = admin.mint_id_token("ann@example.com", aud=AUDIENCE, issued_at=time.time(), expires_in=-60)
    with pytest.raises(InvalidValue, match="Token expired"):
        verify(admin, token)


def test_real_clock_verifier_does_not_follow_the_emulator_clock(admin):
    real_token = admin.mint_id_token("ann@example.com", aud=AUDIENCE, issued_at=time.time())
    admin.advance(7200)
    assert verify(admin, real_token)  # advancing the emulator's clock does not expire it for google-auth
    virtual_token = admin.mint_id_token("ann@example.com", aud=AUDIENCE)  # stamped two hours ahead
    with pytest.raises(InvalidValue, match="Token used too early"):
        verify(admin, virtual_token)


def test_the_jwk_form_of_the_certs_also_verifies(admin):
    # The JWK path of verify_token goes through PyJWT, which reads the real clock.
    token = admin.mint_id_token("ann@example.com", aud=AUDIENCE, issued_at=time.time())
    assert verify(admin, token, certs_url=admin.jwks_url)["email"] == "ann@example.com"


def test_certs_are_served_as_google_serves_them(sheets):
    v1 = requests.get(f"{sheets.url}/oauth2/v1/certs", timeout=5).json()
    [(kid, pem)] = v1.items()
    assert len(kid) == 40 and pem.startswith("-----BEGIN CERTIFICATE-----")
    v3 = requests.get(f"{sheets.url}/oauth2/v3/certs", timeout=5).json()
    [key] = v3["keys"]
    assert (key["kid"], key["alg"], key["kty"], key["use"]) == (kid, "RS256", "RSA", "sig")
