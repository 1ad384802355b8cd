"""Every refusal over HTTP: unsigned, bad signature, stale timestamp, replayed nonce, another
connection's secret, missing ID token — all 401/403, and none changes state."""

import datetime as dt

import pytest
import requests

from backend.security import signing


@pytest.fixture
def two(sync_backend):
    a, sa = sync_backend.tenants.create("1AAAAAAAAAAAAAAAAAAAA", 0, "A", "sub-a", "a@example.com")
    b, sb = sync_backend.tenants.create("1BBBBBBBBBBBBBBBBBBBB", 0, "B", "sub-b", "b@example.com")
    sync_backend.tenants.set_fields(b.id, mapping={"columns": [], "pipeline_id": 1})
    return sync_backend, (a.id, sa), (b.id, sb)


def send(
    backend,
    method,
    connection_id,
    path="",
    body=None,
    *,
    key_id=None,
    secret=b"",
    headers=None,
    created=None,
    nonce=None,
    sign=True,
):
    url = f"{backend.url}/api/v1/connections/{connection_id}{path}"
    data = b"" if body is None else requests.models.complexjson.dumps(body).encode()
    h = {"Content-Type": "application/json"} if body is not None else {}
    if sign:
        h = signing.sign(
            method, url, h, data, key_id=key_id or connection_id, secret=secret, created=created, nonce=nonce
        )
    h.update(headers or {})
    return requests.request(method, url, data=data, headers=h, timeout=15)


def unchanged(backend, b_id) -> None:
    conn = backend.tenants.get(b_id)
    assert conn is not None and conn.mapping == {"columns": [], "pipeline_id": 1}
    assert not backend.services.redis.exists(f"edits:{b_id}")


def test_the_owner_is_let_in(two):
    backend, (a, sa), _ = two
    r = send(backend, "GET", a, secret=sa)
    assert r.status_code == 200 and r.json()["connection_id"] == a


WRITES = [
    ("GET", "", None),
    ("PUT", "/mapping", {"columns": [], "pipeline_id": 2}),
    ("POST", "/edits", {"rows": [{"key": "k1", "edited_at": 1}]}),
    ("DELETE", "", None),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_unsigned_requests_are_refused(two, method, path, body):
    backend, _, (b, _sb) = two
    r = send(backend, method, b, path, body, sign=False)
    assert r.status_code == 401 and r.json()["code"] == "signature_invalid"
    unchanged(backend, b)


def test_a_wrong_secret_is_refused(two):
    backend, _, (b, _sb) = two
    r = send(backend, "PUT", b, "/mapping", {"columns": [], "pipeline_id": 2}, secret=b"x" * 32)
    assert r.status_code == 401 and "not valid" in r.json()["detail"]
    unchanged(backend, b)


@pytest.mark.parametrize("minutes", [-10, 10])
def test_a_stale_or_future_timestamp_is_refused(two, minutes):
    backend, _, (b, sb) = two
    created = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)
    r = send(
        backend, "POST", b, "/edits", {"rows": [{"key": "k1", "edited_at": 1}]}, secret=sb, created=created
    )
    assert r.status_code == 401 and "too far from now" in r.json()["detail"]
    unchanged(backend, b)


def test_a_replayed_request_is_refused(two):
    backend, _, (b, sb) = two
    url = f"{backend.url}/api/v1/connections/{b}/edits"
    data = b'{"rows": [{"key": "k1", "edited_at": 1795478400000}]}'
    headers = signing.sign("POST", url, {"Content-Type": "application/json"}, data, key_id=b, secret=sb)
    first = requests.post(url, data=data, headers=headers, timeout=15)
    assert first.status_code == 202
    backend.services.redis.delete(f"edits:{b}")
    replay = requests.post(url, data=data, headers=headers, timeout=15)
    assert replay.status_code == 401 and "replayed" in replay.json()["detail"]
    assert not backend.services.redis.exists(f"edits:{b}")


def test_connection_a_cannot_use_its_secret_on_b(two):
    backend, (a, sa), (b, _sb) = two
    # signed correctly by A (keyid A), sent to B's URL
    r = send(backend, "PUT", b, "/mapping", {"columns": [], "pipeline_id": 2}, key_id=a, secret=sa)
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    # claiming to be B while holding only A's secret
    r = send(backend, "GET", b, key_id=b, secret=sa)
    assert r.status_code == 401
    unchanged(backend, b)


def test_ownership_changes_need_the_google_id_token_too(two):
    backend, _, (b, sb) = two
    for method, path in (("DELETE", ""), ("POST", "/connect-ticket")):
        r = send(backend, method, b, path, secret=sb)
        assert r.status_code == 401 and r.json()["code"] == "id_token_invalid", (method, path)
    unchanged(backend, b)


def test_a_tampered_body_is_refused(two):
    backend, _, (b, sb) = two
    url = f"{backend.url}/api/v1/connections/{b}/edits"
    headers = signing.sign(
        "POST", url, {"Content-Type": "application/json"}, b'{"rows": []}', key_id=b, secret=sb
    )
    r = requests.post(url, data=b'{"rows": [{"key": "k9", "edited_at": 1}]}', headers=headers, timeout=15)
    assert r.status_code == 401 and "Content-Digest" in r.json()["detail"]
    unchanged(backend, b)


def test_another_tenants_job_id_is_not_found(two):
    backend, (a, sa), (b, sb) = two
    backend.tenants.set_fields(a, mapping={"columns": [], "pipeline_id": 1})
    from backend import queues
    from backend.sync import jobs

    job = queues.enqueue(
        backend.services.redis, queues.SYNC, jobs.full_sync, b, meta={"connection_id": b, "kind": "sync"}
    )
    r = send(backend, "GET", a, f"/jobs/{job.id}", secret=sa)
    assert r.status_code == 404
    assert send(backend, "GET", b, f"/jobs/{job.id}", secret=sb).status_code == 200
