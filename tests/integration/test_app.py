"""The app factory over HTTP: health probes against a real Redis, problem+json for every error."""

import pytest

from backend.app import create_app
from backend.settings import Settings
from sandbox.redis_server import RedisServer
from tests.conftest import base_env


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json == {"status": "ok"}


def test_readyz_answers_ready_and_shows_nothing_else(client):
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.json == {"status": "ready"}  # queue depths and workers only on /readyz/details


def test_readyz_is_503_when_redis_stops_mid_test():
    with RedisServer() as own:
        app = create_app(Settings.from_env(base_env(own.url)))
        client = app.test_client()
        assert client.get("/readyz").status_code == 200
        own.stop()
        r = client.get("/readyz")
        assert r.status_code == 503
        assert r.json == {"status": "unavailable"}
        assert client.get("/healthz").status_code == 200  # alive, just not ready
        own.start()
        assert client.get("/readyz").status_code == 200  # and recovers without a restart


def _assert_problem(r, status, code):
    assert r.status_code == status
    assert r.mimetype == "application/problem+json"
    body = r.json
    assert body["status"] == status and body["code"] == code
    assert body["detail"] and isinstance(body["detail"], str)
    return body


def test_404_is_problem_json(client):
    body = _assert_problem(client.get("/no/such/page"), 404, "not_found")
    assert "/no/such/page" in body["detail"]


def test_405_is_problem_json_with_allow_header(client):
    r = client.post("/healthz")
    _assert_problem(r, 405, "method_not_allowed")
    assert "GET" in r.headers["Allow"]


def test_413_is_problem_json(settings):
    app = create_app(settings.replace(max_request_bytes=1024))

    @app.post("/echo")
    def echo():
        from flask import request

        return {"n": len(request.get_data())}

    client = app.test_client()
    assert client.post("/echo", data=b"x" * 100).json == {"n": 100}
    _assert_problem(client.post("/echo", data=b"x" * 5000), 413, "payload_too_large")


def test_500_never_leaks_the_exception(settings, caplog):
    app = create_app(settings)

    @app.get("/boom")
    def boom():
        raise RuntimeError("database password is hunter2 at /srv/app.py line 12")

    r = app.test_client().get("/boom")
    body = _assert_problem(r, 500, "internal_error")
    text = r.get_data(as_text=True)
    assert "hunter2" not in text and "Traceback" not in text and "RuntimeError" not in text
    assert "try again" in body["detail"]
    assert any("unexpected error" in rec.getMessage() for rec in caplog.records)


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_json(client, path):
    assert client.get(path).mimetype == "application/json"
