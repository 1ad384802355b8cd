"""HTTP Message Signatures (RFC 9421) between the add-on and the backend.

Every add-on call carries `Signature-Input`/`Signature` with `alg="hmac-sha256"`, `keyid` = connection
id, covering `@method`, `@path`, `@query` and `content-digest` (RFC 9530, sha-256 of the body), with
`created` and `nonce`. Verification is done by the `http-message-signatures` library (constant-time HMAC
compare, digest check); this module adds our policy on top: the exact covered components, the ±300 s
`created` window, and single use of each nonce (Redis SET NX, kept as long as the window lets a
request carrying it in: twice SIGNATURE_MAX_AGE_S and a minute). An unknown keyid and a wrong
signature get the same answer, so probing tells no one which connection ids exist.

`sign()` is the same thing from the client side, for tests, the demo and Python callers; the add-on's
JavaScript builds the identical signature base (addon/lib/signing.js, test vectors in tests/vectors/).
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import redis
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from backend.errors import AppError, Code
from backend.store import keys

COVERED = ("@method", "@path", "@query", "content-digest")
LABEL = "sig1"
NONCE_MARGIN_S = 60


def nonce_ttl_s(max_skew_s: int) -> int:
    """How long a nonce is remembered: until any request carrying it is outside the `created` window.
    A request may be created up to max_skew_s ahead and is accepted until max_skew_s after that."""
    return 2 * max_skew_s + NONCE_MARGIN_S


class SignatureRejected(AppError, status=401, code=Code.SIGNATURE_INVALID):
    pass


@dataclass
class Message:
    """The shape the library reads: an uppercase method, an absolute URL, and headers."""

    method: str
    url: str
    headers: dict[str, str]


class _Keys(HTTPSignatureKeyResolver):
    def __init__(self, lookup: Callable[[str], bytes | None]):
        self.lookup = lookup

    def resolve_public_key(self, key_id: str):
        return self.lookup(key_id)

    def resolve_private_key(self, key_id: str):
        return self.lookup(key_id)


def sign(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    key_id: str,
    secret: bytes,
    created: dt.datetime | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """Return `headers` plus Content-Digest, Signature-Input and Signature."""
    message = Message(method.upper(), url, dict(headers))
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.HMAC_SHA256, key_resolver=_Keys(lambda _: secret)
    )
    signer.sign(
        message,
        key_id=key_id,
        created=created or dt.datetime.now(dt.UTC),
        nonce=nonce or base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("="),
        label=LABEL,
        covered_component_ids=COVERED[:3],
        body=body,
    )
    return message.headers


def verify(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    secret_for: Callable[[str], bytes | None],
    redis_client: redis.Redis,
    max_skew_s: int = 300,
) -> str:
    """Check a request's signature; return its keyid (the connection id). Raise SignatureRejected."""
    if "signature-input" not in {k.lower() for k in headers}:
        raise SignatureRejected("This request is not signed. Open the add-on again to reconnect.")
    verifier = HTTPMessageVerifier(signature_algorithm=algorithms.HMAC_SHA256, key_resolver=_Keys(secret_for))
    # `created` may be up to max_skew_s away in either direction: the library rejects a future `created`
    # beyond its skew and a past one beyond skew + max_age.
    verifier.max_clock_skew = dt.timedelta(seconds=max_skew_s)
    message = Message(method.upper(), url, dict(headers))
    try:
        (result,) = verifier.verify(
            message,
            max_age=dt.timedelta(0),
            require_components=COVERED,
            body=body,
        )
    except (InvalidSignature, HTTPMessageSignaturesException, ValueError) as exc:
        raise SignatureRejected(f"The request signature is not valid ({_reason(exc)}).") from None
    key_id = str(result.parameters.get("keyid", ""))
    nonce = result.nonce
    if not nonce:
        raise SignatureRejected("The request signature has no nonce.")
    if not redis_client.set(keys.nonce(key_id, nonce), 1, nx=True, ex=nonce_ttl_s(max_skew_s)):
        raise SignatureRejected("This request was already received once (replayed nonce).")
    return key_id


def _reason(exc: Exception) -> str:
    text = str(exc)
    if "age exceeds" in text or "in the future" in text:
        return "its time stamp is too far from now; check the computer's clock"
    if "Content-Digest" in text:
        return "the body does not match its Content-Digest"
    if "Unable to resolve" in text:  # told apart, it would say which connection ids exist
        return "signature mismatch"
    if "was not covered" in text:
        return "it does not cover method, path, query and body"
    return "signature mismatch"
