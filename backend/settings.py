"""Every environment variable the service reads, typed and validated in one place.

Owns: the `Settings` model (pydantic-settings: one field per variable, its env name, default, help text
and group), the parsers that explain a bad value, and the single start-up error that lists every
missing or invalid variable with how to fix it. Imports nothing from the rest of `backend`.

`docs/configuration.md` and `.env.example` are rendered from the model's JSON schema
(`backend/settings_doc.py`) and a test keeps them in step, so add a field here first and run
`python -m backend.settings_doc`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AliasGenerator,
    BeforeValidator,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, DotEnvSettingsSource, EnvSettingsSource, SettingsConfigDict

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


def _bounded(number: Callable[[str], Any], what: str, low: Any, high: Any) -> Callable[[str], Any]:
    """A parser of `number` (int or float) values from `low` to `high`; `what` names the kind in errors."""

    def parse(raw: str) -> Any:
        try:
            value = number(raw.strip())
        except ValueError:
            raise ValueError(f"{raw!r} is not {what}") from None
        if not low <= value <= high:
            raise ValueError(f"{value} is outside {low}..{high}")
        return value

    return parse


def _int(low: int, high: int) -> Callable[[str], int]:
    return _bounded(int, "a whole number", low, high)


def _float(low: float, high: float) -> Callable[[str], float]:
    return _bounded(float, "a number", low, high)


def _csv(raw: str) -> tuple[str, ...]:
    items = tuple(p.strip() for p in raw.split(",") if p.strip())
    if not items:
        raise ValueError("expected a comma-separated list with at least one item")
    return items


def _domains(raw: str) -> tuple[str, ...]:
    items = tuple(domain.lower().lstrip(".") for domain in _csv(raw))
    for domain in items:
        if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", domain):
            raise ValueError(f"{domain!r} is not a domain name like amocrm.ru")
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


# --- the model ------------------------------------------------------------------------------------------


def _env(parse: Callable[[str], Any]) -> BeforeValidator:
    """Read a variable's text with `parse`. A blank variable never gets here (it counts as unset), so
    an empty text is an empty default, taken as it is, like a typed one."""
    return BeforeValidator(lambda raw: parse(raw) if isinstance(raw, str) and raw else raw)


def _var(default: Any, help: str, *, group: str, secret: bool = False, hide: bool = False) -> Any:
    """One variable's default (`...`: required), help text and docs group; a secret's value is redacted
    from logs and never echoed, and neither it nor a `hide` field shows in repr()."""
    return Field(
        default,
        description=help,
        repr=not (secret or hide),
        json_schema_extra={"group": group, "secret": secret},
    )


REQUIRED: Any = ...


class Settings(BaseSettings):
    """The validated configuration. Build it with `Settings.from_env()`; it is frozen."""

    model_config = SettingsConfigDict(
        alias_generator=AliasGenerator(validation_alias=str.upper),  # field app_env is APP_ENV
        case_sensitive=True,
        enable_decoding=False,  # a list is comma-separated text, not JSON
        extra="ignore",
        frozen=True,
    )

    # --- General ---
    app_env: Annotated[str, _env(_choice(*ENVIRONMENTS))] = _var(
        "production", "production, development or test", group="general"
    )
    log_level: Annotated[str, _env(_log_level)] = _var(
        "INFO", "DEBUG, INFO, WARNING or ERROR", group="general"
    )
    public_base_url: Annotated[str, _env(_url)] = _var(
        REQUIRED,
        "The URL users and amoCRM reach this service at, e.g. https://sync-abc123-ew.a.run.app",
        group="general",
    )
    secret_key: Annotated[str, _env(_secret_key)] = _var(
        REQUIRED, "Signs connect tickets and OAuth state; 32+ random characters", group="general", secret=True
    )
    token_encryption_keys: Annotated[tuple[str, ...], _env(_fernet_keys)] = _var(
        REQUIRED,
        "Comma-separated Fernet keys; the first encrypts, all decrypt (rotate by prepending a new key)",
        group="general",
        secret=True,
    )

    # --- Redis ---
    redis_url: Annotated[str, _env(_redis_url)] = _var(
        REQUIRED,
        "Redis for queue, locks and state, e.g. redis://10.0.0.3:6379/0 (Memorystore)",
        group="redis",
        hide=True,
    )

    # --- amoCRM ---
    amo_client_id: Annotated[str, _env(_str)] = _var(REQUIRED, "amoCRM integration ID (UUID)", group="amocrm")
    amo_client_secret: Annotated[str, _env(_str)] = _var(
        REQUIRED, "amoCRM integration secret key", group="amocrm", secret=True
    )
    amo_redirect_uri: Annotated[str, _env(_url)] = _var(
        REQUIRED,
        "Redirect URI registered in the integration: {PUBLIC_BASE_URL}/oauth/amocrm/callback",
        group="amocrm",
    )
    amo_authorize_url: Annotated[str, _env(_url)] = _var(
        "https://www.amocrm.ru/oauth",
        "amoCRM authorize page (https://www.kommo.com/oauth for Kommo)",
        group="amocrm",
    )
    kommo_client_id: Annotated[str, _env(_str)] = _var(
        "",
        "A second integration, made in Kommo, for *.kommo.com and legacy *.amocrm.com accounts; "
        "unset: AMO_CLIENT_ID serves every domain",
        group="amocrm",
    )
    kommo_client_secret: Annotated[str, _env(_str)] = _var(
        "",
        "The Kommo integration's secret key (required with KOMMO_CLIENT_ID)",
        group="amocrm",
        secret=True,
    )
    kommo_authorize_url: Annotated[str, _env(_url)] = _var(
        "https://www.kommo.com/oauth", "Kommo's authorize page, used with KOMMO_CLIENT_ID", group="amocrm"
    )
    amo_base_url_template: Annotated[str, _env(_base_url_template)] = _var(
        "https://{host}",
        "How an account host becomes a base URL; the sandbox uses http://127.0.0.1:8801/{host}",
        group="amocrm",
    )
    amo_allowed_domains: Annotated[tuple[str, ...], _env(_domains)] = _var(
        ("amocrm.ru", "kommo.com", "amocrm.com"),
        "Account hosts the OAuth referer may name (anything else is refused: no SSRF); amocrm.com: "
        "legacy hosts of Kommo accounts",
        group="amocrm",
    )
    amo_rate_limit_rps: Annotated[float, _env(_float(0.1, 1000))] = _var(
        7.0,
        "Requests per second per amoCRM account, shared by every process (amoCRM allows 7)",
        group="amocrm",
    )
    amo_http_timeout_s: Annotated[float, _env(_float(0.5, 120))] = _var(
        15.0, "Timeout of one amoCRM HTTP call in seconds", group="amocrm"
    )

    # --- Google ---
    google_oauth_client_ids: Annotated[tuple[str, ...], _env(_csv)] = _var(
        REQUIRED,
        "The add-on's OAuth client id(s): the audience of ScriptApp.getIdentityToken()",
        group="google",
    )
    google_certs_url: Annotated[str, _env(_url)] = _var(
        "https://www.googleapis.com/oauth2/v1/certs",
        "Where Google's ID-token signing certificates are published",
        group="google",
    )
    google_id_token_issuers: Annotated[tuple[str, ...], _env(_csv)] = _var(
        ("accounts.google.com", "https://accounts.google.com"),
        "Accepted `iss` values of add-on ID tokens",
        group="google",
    )
    sheets_api_endpoint: Annotated[str, _env(_url)] = _var(
        "",
        "Sheets API base URL; set only for the sandbox emulator (then anonymous credentials are used)",
        group="google",
    )
    sheets_service_account_email: Annotated[str, _env(_email)] = _var(
        REQUIRED,
        "The service account the add-on shares spreadsheets with (the Cloud Run runtime identity)",
        group="google",
    )
    sheets_reads_per_minute: Annotated[int, _env(_int(1, 100000))] = _var(
        60, "Sheets API read quota of the service account per minute (Google default 60)", group="google"
    )
    sheets_writes_per_minute: Annotated[int, _env(_int(1, 100000))] = _var(
        60, "Sheets API write quota of the service account per minute (Google default 60)", group="google"
    )

    # --- Sync ---
    default_phone_region: Annotated[str, _env(_region)] = _var(
        "RU", "Region for phone numbers written without a country code (8 912… in RU)", group="sync"
    )
    blast_radius_share: Annotated[float, _env(_float(0.0, 1.0))] = _var(
        0.2, "A sync that would change more than this share of rows waits for confirmation", group="sync"
    )
    reconcile_full_read_s: Annotated[int, _env(_int(900, 30 * 24 * 3600))] = _var(
        24 * 3600,
        "A scheduled reconcile skips reading a sheet whose Drive version did not move, but reads it in "
        "full at least this often, in seconds (the safety net)",
        group="sync",
    )

    # --- Security limits ---
    signature_max_age_s: Annotated[int, _env(_int(10, 3600))] = _var(
        300, "How far a signed request's `created` may be from now, in seconds", group="security"
    )
    max_request_bytes: Annotated[int, _env(_int(1024, 64 * 1024 * 1024))] = _var(
        2 * 1024 * 1024, "Largest request body accepted (413 beyond)", group="security"
    )
    ops_token: Annotated[str, _env(_str)] = _var(
        "",
        "Bearer token for GET /readyz/details (queue depths, workers, Redis persistence); unset: disabled",
        group="security",
        secret=True,
    )
    webhook_max_bytes: Annotated[int, _env(_int(1024, 16 * 1024 * 1024))] = _var(
        512 * 1024, "Largest amoCRM webhook body accepted (413 beyond)", group="security"
    )

    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, values: Any) -> Any:
        # After the sources are merged, so a blank real variable still hides the same one in .env.
        if not isinstance(values, dict):
            return values
        return {k: v for k, v in values.items() if not (v is None or (isinstance(v, str) and not v.strip()))}

    @field_validator("kommo_client_secret")
    @classmethod
    def _kommo_needs_its_secret(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("kommo_client_id") and not value:
            raise PydanticCustomError("missing_with", "KOMMO_CLIENT_ID is set, so its secret is needed")
        return value

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    def secret_values(self) -> list[str]:
        """Raw secret values, so the log redactor can strike them out wherever they appear."""
        values: list[str] = []
        for name in SECRET_FIELDS:
            value = getattr(self, name)
            values.extend(value if isinstance(value, tuple) else [value])
        return [v for v in values if v]

    def replace(self, **changes: Any) -> Settings:
        return self.model_copy(update=changes)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, dotenv: str | Path | None = ".env"
    ) -> Settings:
        """Parse `environ` (default: os.environ, plus `.env` outside production, where the real
        environment wins). A blank value counts as unset. Raise ConfigError listing every problem."""
        sources: list[EnvSettingsSource] = [_Environ(cls, os.environ if environ is None else environ)]
        if environ is None and dotenv and os.environ.get("APP_ENV", "").strip().lower() != "production":
            sources.append(DotEnvSettingsSource(cls, env_file=dotenv))
        try:
            return cls(_build_sources=(tuple(sources), {}))
        except ValidationError as exc:
            raise ConfigError([_problem(error) for error in exc.errors()]) from None


def _is_secret(field: FieldInfo) -> bool:
    return bool((field.json_schema_extra or {}).get("secret"))  # type: ignore[union-attr]


class _Environ(EnvSettingsSource):
    """pydantic-settings' environment source over a given mapping (os.environ, or a test's dict), so
    both take one path: its own reads os.environ only."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]):
        super().__init__(settings_cls)
        self.env_vars = dict(environ)


_BY_ENV_NAME = {name.upper(): field for name, field in Settings.model_fields.items()}
SECRET_FIELDS = tuple(name for name, field in Settings.model_fields.items() if _is_secret(field))


def _problem(error: Any) -> str:
    """One line of ConfigError for one pydantic error: the variable, and why."""
    name = str(error["loc"][0]).upper()  # a default is reported by its field name
    field = _BY_ENV_NAME.get(name)
    if error["type"] == "missing":
        return f"{name} is missing: {field.description if field else ''}"
    if error["type"] == "missing_with":
        return f"{name} is missing: {error['msg']}"
    shown = "(hidden)" if field and _is_secret(field) else repr(error["input"])
    reason = error["ctx"]["error"] if error["type"] == "value_error" else error["msg"]
    return f"{name}={shown} is invalid: {reason}"
