"""Redaction: tokens, secrets, signatures and Authorization headers never reach a log line."""

import io
import json
import logging

import pytest

from backend.logs import REDACTED, configure_logging, log_context


@pytest.fixture
def log_stream():
    stream = io.StringIO()
    configure_logging("DEBUG", secret_values=["amo-client-secret-value-123"], stream=stream)
    yield stream
    configure_logging("INFO")


def lines(stream):
    return [json.loads(line) for line in stream.getvalue().splitlines()]


JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMiLCJleHAiOjE3MDAwMDAwMDB9.c2lnbmF0dXJlLWJ5dGVz"


@pytest.mark.parametrize(
    ("message", "secret"),
    [
        ("calling amo with Authorization: Bearer abcdef0123456789", "abcdef0123456789"),
        (f"got token {JWT}", JWT),
        (
            'refresh response {"access_token": "AT-1234567890", "refresh_token": "def50200aa"}',
            "AT-1234567890",
        ),
        ("refresh with def50200a1b2c3d4e5f60718293a4b5c6d7e8f9", "def50200a1b2c3d4e5f60718293a4b5c6d7e8f9"),
        (
            "Signature: sig1=:K2qGT5srn2OGbOIDzQ6kYT+ruaycnDAAUpKv+ePFfD0=:",
            "K2qGT5srn2OGbOIDzQ6kYT+ruaycnDAAUpKv+ePFfD0=",
        ),
        ("GET /oauth/amocrm/callback?code=abc123def456&state=st-0987654321", "abc123def456"),
        ("GET /oauth/amocrm/callback?code=abc123def456&state=st-0987654321", "st-0987654321"),
        ("POST /webhooks/amocrm/wh_7f3a9c2e11b4 200", "wh_7f3a9c2e11b4"),
        ("client secret is amo-client-secret-value-123 oops", "amo-client-secret-value-123"),
        (
            "stored gAAAAABlZ1234567890abcdefghijklmnopqrstuvwxyz",
            "gAAAAABlZ1234567890abcdefghijklmnopqrstuvwxyz",
        ),
    ],
)
def test_secret_in_message_is_struck_out(log_stream, message, secret):
    logging.getLogger("test").info(message)
    (entry,) = lines(log_stream)
    assert secret not in log_stream.getvalue()
    assert REDACTED in entry["message"]


def test_secret_in_arguments_extra_and_traceback_is_struck_out(log_stream):
    log = logging.getLogger("test")
    log.info(
        "exchanging %s", "Bearer zzzzzzzzzzzzzzzz", extra={"refresh_token": "r-tok-777777", "account": 42}
    )
    try:
        raise RuntimeError(f"upstream said {JWT}")
    except RuntimeError:
        log.exception("boom")
    out = log_stream.getvalue()
    assert "zzzzzzzzzzzzzzzz" not in out and "r-tok-777777" not in out and JWT not in out
    first, second = lines(log_stream)
    assert first["account"] == 42 and first["refresh_token"] == REDACTED
    assert "RuntimeError" in second["exception"]


def test_headers_dict_in_extra_is_redacted(log_stream):
    logging.getLogger("test").warning(
        "request",
        extra={
            "headers": {"Authorization": "Bearer qqqqqqqqqqqq", "Signature-Input": "sig1=()", "Accept": "x"}
        },
    )
    (entry,) = lines(log_stream)
    assert entry["headers"]["Authorization"] == REDACTED
    assert entry["headers"]["Accept"] == "x"
    assert entry["severity"] == "WARNING"


def test_log_context_adds_connection_and_job_ids(log_stream):
    with log_context(connection_id="c-1", job_id="j-9"):
        logging.getLogger("test").info("inside")
    logging.getLogger("test").info("outside")
    inside, outside = lines(log_stream)
    assert inside["connection_id"] == "c-1" and inside["job_id"] == "j-9"
    assert "connection_id" not in outside


def test_ordinary_text_is_left_alone(log_stream):
    logging.getLogger("test").info("connection c-1: planned 3 updates, status code 200 for lead 17")
    (entry,) = lines(log_stream)
    assert entry["message"] == "connection c-1: planned 3 updates, status code 200 for lead 17"


def test_every_line_has_cloud_logging_s_fields_and_a_utc_time(log_stream):
    logging.getLogger("backend.test").error("plain")
    (entry,) = lines(log_stream)
    assert list(entry)[:4] == ["time", "severity", "logger", "message"]
    assert entry["severity"] == "ERROR" and entry["logger"] == "backend.test"
    assert entry["time"].endswith("Z") and len(entry["time"]) == len("2026-01-01T00:00:00.000Z")


def test_a_dict_message_stays_one_redacted_text(log_stream):
    logging.getLogger("test").info({"account": 42, "note": "Bearer wwwwwwwwwwww"})
    (entry,) = lines(log_stream)
    assert entry["message"] == "{'account': 42, 'note': 'Bearer [redacted]'}" and "account" not in entry


def test_a_stack_on_request_is_redacted_too(log_stream):
    def caller_with_a_token(token=JWT):
        logging.getLogger("test").info("where am I", stack_info=True)

    caller_with_a_token()
    (entry,) = lines(log_stream)
    assert "caller_with_a_token" in entry["stack_info"] and JWT not in log_stream.getvalue()


def test_a_context_field_yields_to_the_same_field_given_with_extra(log_stream):
    with log_context(job_id="from-context", connection_id="c-2"):
        logging.getLogger("test").info("x", extra={"job_id": "from-extra"})
    (entry,) = lines(log_stream)
    assert entry["job_id"] == "from-extra" and entry["connection_id"] == "c-2"
