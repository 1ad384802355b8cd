"""Logging: JSON lines on stdout, with secrets struck out before anything is written.

Owns: `configure_logging()`, the JSON formatter (python-json-logger's, with our field names), the
redaction rules, and the per-job/per-request log context (connection id, job id) that every line
carries. Cloud Logging parses the `severity` and
`message` fields. Redaction runs inside the formatter, so no handler can bypass it, and covers the
message, its arguments, `extra` fields and exception tracebacks.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any

import pythonjsonlogger.json

REDACTED = "[redacted]"

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("log_context", default=None)

# Field names whose values are never logged, whatever they hold.
_SECRET_KEY_RE = re.compile(
    r"(token|secret|password|passwd|authorization|signature|cookie|api[_-]?key|client_secret|"
    r"refresh|access|ticket|nonce|fernet|private)",
    re.IGNORECASE,
)

# Patterns that look like credentials inside free text.
_TEXT_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization: Bearer xxx / Basic xxx
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + REDACTED),
    # JWTs (ID tokens, amoCRM access tokens)
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), REDACTED),
    # Fernet tokens (encrypted secrets at rest)
    (re.compile(r"\bgAAAAA[A-Za-z0-9_=-]{20,}"), REDACTED),
    # amoCRM refresh tokens and authorization codes start with def502
    (re.compile(r"\bdef50200[0-9a-f]{16,}"), REDACTED),
    # RFC 9421 signature values: sig1=:base64:
    (re.compile(r"(\bsig[\w-]*=):[A-Za-z0-9+/=]+:"), r"\1:" + REDACTED + ":"),
    # key=value and "key": "value" pairs whose key names a secret (query strings, JSON bodies, headers)
    (
        re.compile(
            r"(?i)(\"?\b(?:access_token|refresh_token|id_token|client_secret|secret|password|token|"
            r"ticket|signature|api_key|authorization|x-refresh-token)\"?\s*[=:]\s*\"?)([^\"&\s,;}]{4,})"
        ),
        r"\1" + REDACTED,
    ),
    # OAuth codes and state in query strings (?code=…&state=…)
    (re.compile(r"([?&](?:code|state|ticket|signature)=)[^&\s\"']{4,}"), r"\1" + REDACTED),
    # the amoCRM webhook path carries the per-account secret token
    (re.compile(r"(/webhooks/amocrm/)[^/\s?\"']+"), r"\1" + REDACTED),
)


class Redactor:
    """Strikes secrets out of text and structures: known secret values, then credential patterns."""

    def __init__(self, secret_values: Iterable[str] = ()):
        # Longest first, so a value that contains another is struck whole.
        self._values = sorted({v for v in secret_values if v and len(v) >= 6}, key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self._values:
            if secret in value:
                value = value.replace(secret, REDACTED)
        for pattern, repl in _TEXT_PATTERNS:
            value = pattern.sub(repl, value)
        return value

    def value(self, key: str, value: Any) -> Any:
        if isinstance(value, (str, bytes)) and _SECRET_KEY_RE.search(key) and value:
            return REDACTED
        return self.any(value)

    def any(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, bytes):
            return self.text(value.decode("utf-8", "replace"))
        if isinstance(value, dict):
            return {k: self.value(str(k), v) for k, v in value.items()}
        if isinstance(value, (list, tuple, set)):
            return [self.any(v) for v in value]
        if value is None or isinstance(value, (int, float, bool)):
            return value
        return self.text(str(value))


def _timestamp(record: logging.LogRecord) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"


class JsonFormatter(pythonjsonlogger.json.JsonFormatter):
    """python-json-logger's formatter with Cloud Logging's field names (`severity`, `message`), the log
    context, and every field passed through the Redactor just before it is serialized."""

    def __init__(self, redactor: Redactor | None = None):
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "severity", "name": "logger", "exc_info": "exception"},
            json_default=str,
            json_ensure_ascii=False,
        )
        self.redactor = redactor or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        # A dict message stays text (the library would spread it into fields), and a message whose
        # arguments do not fit its format is still written rather than dropped.
        try:
            fits = not isinstance(record.msg, dict) and isinstance(record.getMessage(), str)
        except (TypeError, ValueError):
            fits = False
        if not fits:
            record = logging.makeLogRecord({**record.__dict__, "msg": _message(record), "args": ()})
        return super().format(record)

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict) -> None:
        log_data["time"] = _timestamp(record)
        super().add_fields(log_data, record, message_dict)
        for key, value in (_context.get() or {}).items():
            log_data.setdefault(key, value)  # a field given with `extra=` wins over the context

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {key: self.redactor.value(key, value) for key, value in log_data.items()}


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except (TypeError, ValueError):
        return f"{record.msg} {record.args!r}"


def configure_logging(level: str = "INFO", secret_values: Iterable[str] = (), stream: Any = None) -> None:
    """Route every logger (ours, gunicorn's, rq's, werkzeug's) to one redacting JSON handler."""
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter(Redactor(secret_values)))
    handler._sheets_amo_sync = True  # type: ignore[attr-defined]  # ours: replaced on reconfigure
    root = logging.getLogger()
    for old in list(root.handlers):
        # Replace our previous handler and any plain stream handler (basicConfig, gunicorn); keep
        # others, e.g. pytest's capture, which only records.
        if getattr(old, "_sheets_amo_sync", False) or type(old) is logging.StreamHandler:
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("gunicorn.error", "gunicorn.access", "rq.worker", "rq.queue", "werkzeug"):
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.propagate = True
    # urllib3 logs full URLs (with query strings) at DEBUG; keep it quiet unless asked.
    logging.getLogger("urllib3").setLevel(max(logging.WARNING, logging.getLevelName(level)))


@contextlib.contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add fields (connection_id, job_id, …) to every log line written inside the block."""
    token = _context.set({**(_context.get() or {}), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)
