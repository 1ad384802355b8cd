"""Every environment variable the service reads, typed and validated in one place.

Owns: the table of variables (`VARS`), parsing, and the single start-up error that lists every
missing or invalid variable with how to fix it. Imports nothing from the rest of `backend`.

`docs/configuration.md` and `.env.example` are checked against `VARS` by a test, so add a variable here
first and the test tells you what else to update.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ENVIRONMENTS = ("production", "development", "test")


class ConfigError(Exception):
    """The configuration is unusable; the message lists every problem at once."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"Invalid configuration ({len(problems)} problem{'s' if len(problems) != 1 else ''}):\n{lines}\n"
            "Set these environment variables (see .env.example and docs/configuration.md)."
        )


# --- parsers: each returns the typed value or raises ValueError with a human reason -------------------


def _str(raw: str) -> str:
    return raw.strip()


def _url(raw: str) -> str:
    value = raw.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{raw!r} is not an http(s) URL, e.g. https://sync.example.com")
    return value


def _int(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError(f"{raw!r} is not a whole number") from None
        if not low <= value <= high:
            raise ValueError(f"{value} is outside {low}..{high}")
        return value

    return parse


def _float(low: float, high: float) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError(f"{raw!r} is not a number") from None
        if not low <= value <= high:
            raise ValueError(f"{value} is outside {low}..{high}")
        return value

    return parse


def _csv(raw: str) -> tuple[str, ...]:
    items = tuple(p.strip() for p in raw.split(",") if p.strip())
    if not items:
        raise ValueError("expected a comma-separated list with at least one item")
    return items


def _domains(raw: str) -> tuple[str, ...]:
    items = tuple(d.lower().lstrip(".") for d in _csv(raw))
    for d in items:
        if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", d):
            raise ValueError(f"{d!r} is not a domain name like amocrm.ru")
    return items


def _fernet_keys(raw: str) -> tuple[str, ...]:
    from cryptography.fernet import Fernet

    keys = _csv(raw)
    for i, key in enumerate(keys, 1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            raise ValueError(
                f"key #{i} is not a Fernet key (32 url-safe base64-encoded bytes); generate one with "
                "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
            ) from None
    return keys


def _secret_key(raw: str) -> str:
    value = raw.strip()
    if len(value) < 32:
        raise ValueError(
            f"is {len(value)} characters; use at least 32 random characters, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    return value


def _region(raw: str) -> str:
    import phonenumbers

    value = raw.strip().upper()
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{raw!r} is not a phone region code such as RU, KZ, US")
    return value


def _base_url_template(raw: str) -> str:
    value = raw.strip().rstrip("/")
    if "{host}" not in value:
        raise ValueError("must contain {host}, e.g. https://{host}")
    _url(value.replace("{host}", "example.amocrm.ru"))
    return value


def _choice(*options: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in options:
            raise ValueError(f"{raw!r} is not one of {', '.join(options)}")
        return value

    return parse


def _log_level(raw: str) -> str:
    value = raw.strip().upper()
    if value not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError(f"{raw!r} is not one of DEBUG, INFO, WARNING, ERROR")
    return value


def _email(raw: str) -> str:
    value = raw.strip()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise ValueError(f"{raw!r} is not an e-mail address")
    return value


def _redis_url(raw: str) -> str:
    value = raw.strip()
    if urlsplit(value).scheme not in ("redis", "rediss", "unix"):
        raise ValueError(f"{raw!r} is not a redis://, rediss:// or unix:// URL")
    return value


# --- the table -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Var:
    """One environment variable: where it lands, how it parses, and what to tell a person about it."""

    name: str
    attr: str
    parse: Callable[[str], Any]
    help: str
    default: str | None = None  # the raw default; None means required
    secret: bool = False  # its value is redacted from logs
    required_in: tuple[str, ...] = ENVIRONMENTS  # where a missing value is an error
    group: str = "general"


VARS: tuple[Var, ...] = (
    Var("APP_ENV", "app_env", _choice(*ENVIRONMENTS), "production, development or test", "production"),
    Var("LOG_LEVEL", "log_level", _log_level, "DEBUG, INFO, WARNING or ERROR", "INFO"),
    Var(
        "PUBLIC_BASE_URL",
        "public_base_url",
        _url,
        "The URL users and amoCRM reach this service at, e.g. https://sync-abc123-ew.a.run.app",
    ),
    Var(
        "SECRET_KEY",
        "secret_key",
        _secret_key,
        "Signs connect tickets and OAuth state; 32+ random characters",
        secret=True,
    ),
    Var(
        "TOKEN_ENCRYPTION_KEYS",
        "token_encryption_keys",
        _fernet_keys,
        "Comma-separated Fernet keys; the first encrypts, all decrypt (rotate by prepending a new key)",
        secret=True,
    ),
    Var(
        "REDIS_URL",
        "redis_url",
        _redis_url,
        "Redis for queue, locks and state, e.g. redis://10.0.0.3:6379/0 (Memorystore)",
        group="redis",
    ),
    Var("AMO_CLIENT_ID", "amo_client_id", _str, "amoCRM integration ID (UUID)", group="amocrm"),
    Var(
        "AMO_CLIENT_SECRET",
        "amo_client_secret",
        _str,
        "amoCRM integration secret key",
        secret=True,
        group="amocrm",
    ),
    Var(
        "AMO_REDIRECT_URI",
        "amo_redirect_uri",
        _url,
        "Redirect URI registered in the integration: {PUBLIC_BASE_URL}/oauth/amocrm/callback",
        group="amocrm",
    ),
    Var(
        "AMO_AUTHORIZE_URL",
        "amo_authorize_url",
        _url,
        "amoCRM authorize page (https://www.kommo.com/oauth for Kommo)",
        "https://www.amocrm.ru/oauth",
        group="amocrm",
    ),
    Var(
        "KOMMO_CLIENT_ID",
        "kommo_client_id",
        _str,
        "A second integration, made in Kommo, for *.kommo.com and legacy *.amocrm.com accounts; "
        "unset: AMO_CLIENT_ID serves every domain",
        "",
        group="amocrm",
    ),
    Var(
        "KOMMO_CLIENT_SECRET",
        "kommo_client_secret",
        _str,
        "The Kommo integration's secret key (required with KOMMO_CLIENT_ID)",
        "",
        secret=True,
        group="amocrm",
    ),
    Var(
        "KOMMO_AUTHORIZE_URL",
        "kommo_authorize_url",
        _url,
        "Kommo's authorize page, used with KOMMO_CLIENT_ID",
        "https://www.kommo.com/oauth",
        group="amocrm",
    ),
    Var(
        "AMO_BASE_URL_TEMPLATE",
        "amo_base_url_template",
        _base_url_template,
        "How an account host becomes a base URL; the sandbox uses http://127.0.0.1:8801/{host}",
        "https://{host}",
        group="amocrm",
    ),
    Var(
        "AMO_ALLOWED_DOMAINS",
        "amo_allowed_domains",
        _domains,
        "Account hosts the OAuth referer may name (anything else is refused: no SSRF); amocrm.com: "
        "legacy hosts of Kommo accounts",
        "amocrm.ru,kommo.com,amocrm.com",
        group="amocrm",
    ),
    Var(
        "AMO_RATE_LIMIT_RPS",
        "amo_rate_limit_rps",
        _float(0.1, 1000),
        "Requests per second per amoCRM account, shared by every process (amoCRM allows 7)",
        "7",
        group="amocrm",
    ),
    Var(
        "AMO_HTTP_TIMEOUT_S",
        "amo_http_timeout_s",
        _float(0.5, 120),
        "Timeout of one amoCRM HTTP call in seconds",
        "15",
        group="amocrm",
    ),
    Var(
        "GOOGLE_OAUTH_CLIENT_IDS",
        "google_oauth_client_ids",
        _csv,
        "The add-on's OAuth client id(s): the audience of ScriptApp.getIdentityToken()",
        group="google",
    ),
    Var(
        "GOOGLE_CERTS_URL",
        "google_certs_url",
        _url,
        "Where Google's ID-token signing certificates are published",
        "https://www.googleapis.com/oauth2/v1/certs",
        group="google",
    ),
    Var(
        "GOOGLE_ID_TOKEN_ISSUERS",
        "google_id_token_issuers",
        _csv,
        "Accepted `iss` values of add-on ID tokens",
        "accounts.google.com,https://accounts.google.com",
        group="google",
    ),
    Var(
        "SHEETS_API_ENDPOINT",
        "sheets_api_endpoint",
        _url,
        "Sheets API base URL; set only for the sandbox emulator (then anonymous credentials are used)",
        "",
        group="google",
    ),
    Var(
        "SHEETS_SERVICE_ACCOUNT_EMAIL",
        "sheets_service_account_email",
        _email,
        "The service account the add-on shares spreadsheets with (the Cloud Run runtime identity)",
        group="google",
    ),
    Var(
        "SHEETS_READS_PER_MINUTE",
        "sheets_reads_per_minute",
        _int(1, 100000),
        "Sheets API read quota of the service account per minute (Google default 60)",
        "60",
        group="google",
    ),
    Var(
        "SHEETS_WRITES_PER_MINUTE",
        "sheets_writes_per_minute",
        _int(1, 100000),
        "Sheets API write quota of the service account per minute (Google default 60)",
        "60",
        group="google",
    ),
    Var(
        "DEFAULT_PHONE_REGION",
        "default_phone_region",
        _region,
        "Region for phone numbers written without a country code (8 912… in RU)",
        "RU",
        group="sync",
    ),
    Var(
        "BLAST_RADIUS_SHARE",
        "blast_radius_share",
        _float(0.0, 1.0),
        "A sync that would change more than this share of rows waits for confirmation",
        "0.2",
        group="sync",
    ),
    Var(
        "RECONCILE_FULL_READ_S",
        "reconcile_full_read_s",
        _int(900, 30 * 24 * 3600),
        "A scheduled reconcile skips reading a sheet whose Drive version did not move, but reads it in "
        "full at least this often, in seconds (the safety net)",
        str(24 * 3600),
        group="sync",
    ),
    Var(
        "SIGNATURE_MAX_AGE_S",
        "signature_max_age_s",
        _int(10, 3600),
        "How far a signed request's `created` may be from now, in seconds",
        "300",
        group="security",
    ),
    Var(
        "MAX_REQUEST_BYTES",
        "max_request_bytes",
        _int(1024, 64 * 1024 * 1024),
        "Largest request body accepted (413 beyond)",
        str(2 * 1024 * 1024),
        group="security",
    ),
    Var(
        "OPS_TOKEN",
        "ops_token",
        _str,
        "Bearer token for GET /readyz/details (queue depths, workers, Redis persistence); unset: disabled",
        "",
        secret=True,
        group="security",
    ),
    Var(
        "WEBHOOK_MAX_BYTES",
        "webhook_max_bytes",
        _int(1024, 16 * 1024 * 1024),
        "Largest amoCRM webhook body accepted (413 beyond)",
        str(512 * 1024),
        group="security",
    ),
)


@dataclass(frozen=True)
class Settings:
    """The validated configuration. Build it with `Settings.from_env()`; never mutate it."""

    app_env: str
    log_level: str
    public_base_url: str
    secret_key: str = field(repr=False)
    token_encryption_keys: tuple[str, ...] = field(repr=False)
    redis_url: str = field(repr=False)
    amo_client_id: str
    amo_client_secret: str = field(repr=False)
    amo_redirect_uri: str
    amo_authorize_url: str
    kommo_client_id: str
    kommo_client_secret: str = field(repr=False)
    kommo_authorize_url: str
    amo_base_url_template: str
    amo_allowed_domains: tuple[str, ...]
    amo_rate_limit_rps: float
    amo_http_timeout_s: float
    google_oauth_client_ids: tuple[str, ...]
    google_certs_url: str
    google_id_token_issuers: tuple[str, ...]
    sheets_api_endpoint: str
    sheets_service_account_email: str
    sheets_reads_per_minute: int
    sheets_writes_per_minute: int
    default_phone_region: str
    blast_radius_share: float
    reconcile_full_read_s: int
    signature_max_age_s: int
    max_request_bytes: int
    ops_token: str = field(repr=False)
    webhook_max_bytes: int

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    def secret_values(self) -> list[str]:
        """Raw secret values, so the log redactor can strike them out wherever they appear."""
        values: list[str] = []
        for var in VARS:
            if var.secret:
                value = getattr(self, var.attr)
                values.extend(value if isinstance(value, tuple) else [value])
        return [v for v in values if v]

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, dotenv: str | Path | None = ".env"
    ) -> Settings:
        """Parse `environ` (default: os.environ, plus `.env` outside production). Raise ConfigError."""
        env = dict(os.environ if environ is None else environ)
        if environ is None and dotenv and env.get("APP_ENV", "").strip().lower() != "production":
            env = {**_read_dotenv(dotenv), **env}  # the real environment wins over .env
        app_env = env.get("APP_ENV", "production").strip().lower() or "production"
        values: dict[str, Any] = {}
        problems: list[str] = []
        for var in VARS:
            raw = env.get(var.name)
            if raw is None or raw.strip() == "":
                if var.default is None:
                    if app_env in var.required_in:
                        problems.append(f"{var.name} is missing: {var.help}")
                    continue
                raw = var.default
                if raw == "":
                    values[var.attr] = ""
                    continue
            try:
                values[var.attr] = var.parse(raw)
            except ValueError as exc:
                shown = "(hidden)" if var.secret else repr(raw)
                problems.append(f"{var.name}={shown} is invalid: {exc}")
        if values.get("kommo_client_id") and not values.get("kommo_client_secret"):
            problems.append("KOMMO_CLIENT_SECRET is missing: KOMMO_CLIENT_ID is set, so its secret is needed")
        if problems:
            raise ConfigError(problems)
        return cls(**values)


def _read_dotenv(path: str | Path) -> dict[str, str]:
    from dotenv import dotenv_values

    path = Path(path)
    if not path.is_file():
        return {}
    return {k: v for k, v in dotenv_values(path).items() if v is not None}
