"""A local stand-in for Google's ID-token issuer (what `ScriptApp.getIdentityToken()` returns).

Owns one RSA key (made with `cryptography`), its self-signed x509 certificate and the endpoints a
verifier fetches, in Google's two formats:

- `GET /oauth2/v1/certs` → `{kid: "-----BEGIN CERTIFICATE-----…"}` (what google-auth's
  `id_token.verify_token(…, certs_url=…)` and `verify_oauth2_token` read by default)
- `GET /oauth2/v3/certs` → a JWK set `{"keys": [{"kid", "kty": "RSA", "alg": "RS256", "use": "sig",
  "n", "e"}]}`

Tokens are RS256 JWTs signed with google-auth's own signer (`google.auth.crypt.RSASigner`,
`google.auth.jwt.encode`), with `kid` in the header and Google's claims: iss https://accounts.google.com,
aud, azp, sub, email, email_verified, iat, exp. `iat` is the emulator's virtual now (or `issued_at`), and
`exp` = iat + expires_in, so token lifetimes follow the virtual clock.

Which clock decides is the *verifier's*: google-auth compares iat/exp with the clock of the process that
verifies (`google.auth._helpers.utcnow`). A verifier on real time therefore (a) does not see a token
expire when only the emulator's clock is advanced and (b) calls a token minted after an advance "used
too early". Either run the verifier on the emulator's clock (as the fidelity tests do), or mint with
`issued_at=time.time()` (and `expires_in` ≤ 0 for an already-expired token).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from flask import Blueprint, current_app, jsonify
from google.auth import crypt, jwt

from sandbox.clock import Clock

ISSUER = "https://accounts.google.com"


def _b64url_uint(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def stable_sub(email: str) -> str:
    """A 21-digit numeric subject derived from the e-mail, shaped like Google's `sub`."""
    return "1" + str(int(hashlib.sha256(email.lower().encode()).hexdigest(), 16))[:20]


class IdTokenIssuer:
    def __init__(self, clock: Clock, private_key_pem: bytes | None = None):
        self.clock = clock
        if private_key_pem:
            key = serialization.load_pem_private_key(private_key_pem, password=None)
            assert isinstance(key, rsa.RSAPrivateKey)
            self._key = key
        else:
            self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public_der = self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.kid = hashlib.sha1(public_der).hexdigest()  # noqa: S324 — a key id, not a security hash
        self._certificate_pem = self._self_signed_certificate()
        self._signer = crypt.RSASigner.from_string(self.private_key_pem(), key_id=self.kid)

    def private_key_pem(self) -> bytes:
        return self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def _self_signed_certificate(self) -> str:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sandbox.accounts.google.com")])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .sign(self._key, hashes.SHA256())
        )
        return cert.public_bytes(serialization.Encoding.PEM).decode()

    def certs_v1(self) -> dict[str, str]:
        return {self.kid: self._certificate_pem}

    def certs_v3(self) -> dict[str, Any]:
        numbers = self._key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kid": self.kid,
                    "kty": "RSA",
                    "alg": "RS256",
                    "use": "sig",
                    "n": _b64url_uint(numbers.n),
                    "e": _b64url_uint(numbers.e),
                }
            ]
        }

    def mint(
        self,
        *,
        email: str,
        aud: str,
        sub: str | None = None,
        expires_in: float = 3600,
        issued_at: float | None = None,
        email_verified: bool = True,
        extra: dict[str, Any] | None = None,
    ) -> tuple[str, dict[str, Any]]:
        """Sign an ID token; returns (token, claims)."""
        iat = int(self.clock.now() if issued_at is None else issued_at)
        exp = int(iat + expires_in)
        if expires_in <= 0:
            iat = exp - 3600  # an already-expired token still had iat < exp, like a real stale one
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "azp": aud,
            "aud": aud,
            "sub": sub or stable_sub(email),
            "email": email,
            "email_verified": email_verified,
            "iat": iat,
            "exp": exp,
        }
        if extra:
            claims.update(extra)
        token = jwt.encode(self._signer, claims)
        return token.decode() if isinstance(token, bytes) else token, claims


bp = Blueprint("sheets_identity", __name__)


def _issuer() -> IdTokenIssuer:
    return current_app.extensions["sheets_sandbox"].issuer


@bp.get("/oauth2/v1/certs")
def certs_v1():
    return jsonify(_issuer().certs_v1())


@bp.get("/oauth2/v3/certs")
def certs_v3():
    return jsonify(_issuer().certs_v3())
