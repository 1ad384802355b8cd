"""Every environment variable the service reads, typed and validated in one place.

Owns: the `Settings` model (pydantic-settings: one field per variable of `settings.toml`, where each
is declared with its parser, default, help text and group), the parsers that explain a bad value, and
the single start-up error that lists every missing or invalid variable with how to fix it. Imports
nothing from the rest of `backend`.

`docs/configuration.md` and `.env.example` are rendered from the model's JSON schema
(`backend/settings_doc.py`) and a test keeps them in step, so add a variable to settings.toml and run
`python -m backend.settings_doc`.
"""

from __future__ import annotations

import os
import re
import tomllib
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
    create_model,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, DotEnvSettingsSource, EnvSettingsSource, SettingsConfigDict


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


# --- the model: its fields from settings.toml --------------------------------------------------------

# A parser's name in settings.toml -> the field's type and how the parser is made from its table.
PARSERS: dict[str, tuple[Any, Callable[[dict[str, Any]], Callable[[str], Any]]]] = {
    "str": (str, lambda _: _str),
    "url": (str, lambda _: _url),
    "email": (str, lambda _: _email),
    "region": (str, lambda _: _region),
    "log_level": (str, lambda _: _log_level),
    "secret_key": (str, lambda _: _secret_key),
    "redis_url": (str, lambda _: _redis_url),
    "base_url_template": (str, lambda _: _base_url_template),
    "choice": (str, lambda t: _choice(*t["options"])),
    "int": (int, lambda t: _int(*t["range"])),
    "float": (float, lambda t: _float(*t["range"])),
    "csv": (tuple[str, ...], lambda _: _csv),
    "domains": (tuple[str, ...], lambda _: _domains),
    "fernet_keys": (tuple[str, ...], lambda _: _fernet_keys),
}


def _env(parse: Callable[[str], Any]) -> BeforeValidator:
    """Read a variable's text with `parse`. A blank variable never gets here (it counts as unset), so
    an empty text is an empty default, taken as it is, like a typed one."""
    return BeforeValidator(lambda raw: parse(raw) if isinstance(raw, str) and raw else raw)


_TABLE_KEYS = {"parse", "options", "range", "default", "required", "group", "secret", "hide", "help"}


def _field(name: str, table: dict[str, Any]) -> tuple[Any, Any]:
    """One variable's typed field: its parser, default (`...`: required), help text and docs group; a
    secret's value is redacted from logs and never echoed, and neither it nor a `hide` field shows in
    repr()."""
    unknown = set(table) - _TABLE_KEYS
    if unknown:  # a misspelt `secret` must not leave a secret to the logs
        raise KeyError(f"settings.toml [{name}]: unknown {', '.join(sorted(unknown))}")
    if table["parse"] not in PARSERS:
        raise KeyError(f"settings.toml [{name}]: no parser {table['parse']!r}; one of {', '.join(PARSERS)}")
    type_, make = PARSERS[table["parse"]]
    default = ... if table.get("required") else table["default"]
    secret = table.get("secret", False)
    return Annotated[type_, _env(make(table))], Field(
        tuple(default) if isinstance(default, list) else default,
        description=table["help"],
        repr=not (secret or table.get("hide", False)),
        json_schema_extra={"group": table["group"], "secret": secret},
    )


class _Model(BaseSettings):
    """What `Settings` is but its fields: the sources, validators and helpers."""

    model_config = SettingsConfigDict(
        alias_generator=AliasGenerator(validation_alias=str.upper),  # field app_env is APP_ENV
        case_sensitive=True,
        enable_decoding=False,  # a list is comma-separated text, not JSON
        extra="ignore",
        frozen=True,
    )

    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, values: Any) -> Any:
        # After the sources are merged, so a blank real variable still hides the same one in .env.
        if not isinstance(values, dict):
            return values
        return {k: v for k, v in values.items() if not (v is None or (isinstance(v, str) and not v.strip()))}

    @field_validator("kommo_client_secret", check_fields=False)
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

    def replace(self, **changes: Any) -> _Model:
        return self.model_copy(update=changes)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, dotenv: str | Path | None = ".env"
    ) -> _Model:
        """Parse `environ` (default: os.environ, plus `.env` outside production, where the real
        environment wins). A blank value counts as unset. Raise ConfigError listing every problem."""
        sources: list[EnvSettingsSource] = [_Environ(cls, os.environ if environ is None else environ)]
        if environ is None and dotenv and os.environ.get("APP_ENV", "").strip().lower() != "production":
            sources.append(DotEnvSettingsSource(cls, env_file=dotenv))
        try:
            return cls(_build_sources=(tuple(sources), {}))
        except ValidationError as exc:
            raise ConfigError([_problem(error) for error in exc.errors()]) from None


with (Path(__file__).with_name("settings.toml")).open("rb") as _file:
    _TABLES = tomllib.load(_file)
ENVIRONMENTS = tuple(_TABLES["app_env"]["options"])

# A data file, not Python: each variable is declared once, with its help text, where the docs come from.
Settings = create_model(
    "Settings",
    __base__=_Model,
    __module__=__name__,
    __doc__="The validated configuration, one field per table of settings.toml. Build it with "
    "`Settings.from_env()`; it is frozen.",
    **{name: _field(name, table) for name, table in _TABLES.items()},  # type: ignore[call-overload]
)


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
