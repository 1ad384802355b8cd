"""Fuzzing request signature verification (RFC 9421) against a real Redis (nonces):
- whatever arrives in the signature headers, verification refuses with SignatureRejected, nothing else;
- a correctly signed request of any method, path, query and body is accepted exactly once, and any one
  change to it — a body byte, the path, the query, the method, a header's value — is refused."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.security import signing

SECRET = b"fuzzing-secret-0123456789abcdef!"
OTHER = b"another-secret-0123456789abcdef!"
BASE = "https://sync.example.com/api/v1/connections/"


def secret_for(key_id: str) -> bytes | None:
    return {"c_fuzz": SECRET, "c_other": OTHER}.get(key_id)


HEADER_VALUE = st.one_of(
    st.text(max_size=200),
    st.from_regex(
        r'sig1=\("@method" "@path"( "@query")?( "content-digest")?\)(;[a-z]+=("[^"]*"|\d+))*', fullmatch=True
    ),
    st.from_regex(r"sig1=:[A-Za-z0-9+/=]{0,60}:", fullmatch=True),
    st.from_regex(r"sha-(256|512)=:[A-Za-z0-9+/=]{0,60}:", fullmatch=True),
)
PATH = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_/", min_size=1, max_size=30)
QUERY = st.one_of(
    st.just(""),
    st.lists(st.sampled_from(["a", "b=1", "&", "=", "%2F", "%20", "x%3Dy", "0"]), max_size=6).map(
        lambda parts: "?" + "".join(parts)
    ),
)
METHOD = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"])
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(["Signature-Input", "Signature", "Content-Digest", "signature-input", "X-Other"]),
        HEADER_VALUE,
    ),
    METHOD,
    PATH,
    st.binary(max_size=100),
)
def test_any_headers_are_refused_cleanly(redis_client, headers, method, path, body):
    try:
        signing.verify(method, BASE + path, headers, body, secret_for=secret_for, redis_client=redis_client)
    except signing.SignatureRejected as exc:
        assert exc.status == 401
    else:
        raise AssertionError("an unsigned or garbled request was accepted")


def _mutations(method, url, headers, body):
    yield method, url, headers, body + b"x"
    if body:
        flipped = bytes([body[0] ^ 1]) + body[1:]
        yield method, url, headers, flipped
    yield method, url.replace("/connections/", "/connection/"), headers, body
    yield method, url + ("&z=1" if "?" in url else "?z=1"), headers, body
    yield ("POST" if method != "POST" else "PUT"), url, headers, body
    for name in ("Signature", "Signature-Input", "Content-Digest"):
        value = headers[name]
        i = len(value) // 2
        changed = value[:i] + ("A" if value[i] != "A" else "B") + value[i + 1 :]
        yield method, url, {**headers, name: changed}, body
    yield method, url, {k: v for k, v in headers.items() if k != "Content-Digest"}, body


@FUZZ
@given(METHOD, PATH, QUERY, st.binary(max_size=200))
def test_a_signed_request_is_accepted_once_and_any_change_is_refused(redis_client, method, path, query, body):
    url = f"{BASE}c_fuzz/{path}{query}"
    headers = signing.sign(method, url, {}, body, key_id="c_fuzz", secret=SECRET)
    for m, u, h, b in _mutations(method, url, headers, body):
        try:
            signing.verify(m, u, h, b, secret_for=secret_for, redis_client=redis_client)
        except signing.SignatureRejected:
            continue
        raise AssertionError(f"a changed request was accepted: {m} {u} {h} {b!r}")
    assert (
        signing.verify(method, url, headers, body, secret_for=secret_for, redis_client=redis_client)
        == "c_fuzz"
    )
    try:
        signing.verify(method, url, headers, body, secret_for=secret_for, redis_client=redis_client)
    except signing.SignatureRejected as exc:
        assert "replayed" in exc.detail
    else:
        raise AssertionError("a replayed request was accepted")
