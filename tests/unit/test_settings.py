"""Settings: one error lists every problem; each invalid value is explained."""

import pytest

from backend.settings import ConfigError, Settings
from tests.conftest import base_env

NAMES = [name.upper() for name in Settings.model_fields]
REQUIRED = [name.upper() for name, field in Settings.model_fields.items() if field.is_required()]


def test_complete_environment_parses():
    s = Settings.from_env(base_env("redis://127.0.0.1:6379/0"))
    assert s.app_env == "test"
    assert s.amo_rate_limit_rps == 7
    assert s.amo_allowed_domains == ("amocrm.ru", "kommo.com", "amocrm.com")  # amocrm.com: legacy Kommo hosts
    assert s.amo_base_url_template == "https://{host}"
    assert s.default_phone_region == "RU"


def test_empty_environment_lists_every_required_variable_in_one_error():
    with pytest.raises(ConfigError) as err:
        Settings.from_env({})
    message = str(err.value)
    for name in REQUIRED:
        assert f"{name} is missing" in message, name
    assert len(err.value.problems) == len(REQUIRED)


@pytest.mark.parametrize("name", REQUIRED)
def test_each_missing_required_variable_is_named(name):
    env = base_env("redis://127.0.0.1:6379/0")
    del env[name]
    with pytest.raises(ConfigError) as err:
        Settings.from_env(env)
    assert err.value.problems == [p for p in err.value.problems if p.startswith(f"{name} is missing")]
    assert len(err.value.problems) == 1


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("PUBLIC_BASE_URL", "sync.example.com", "not an http(s) URL"),
        ("AMO_REDIRECT_URI", "ftp://x/cb", "not an http(s) URL"),
        ("TOKEN_ENCRYPTION_KEYS", "not-a-fernet-key", "not a Fernet key"),
        ("DEFAULT_PHONE_REGION", "XX", "not a phone region code"),
        ("SECRET_KEY", "short", "at least 32"),
        ("REDIS_URL", "http://localhost:6379", "not a redis://"),
        ("AMO_BASE_URL_TEMPLATE", "https://amocrm.example", "must contain {host}"),
        ("AMO_RATE_LIMIT_RPS", "fast", "not a number"),
        ("SHEETS_READS_PER_MINUTE", "0", "outside"),
        ("AMO_ALLOWED_DOMAINS", "amocrm.ru,http://evil", "not a domain name"),
        ("SHEETS_SERVICE_ACCOUNT_EMAIL", "nobody", "not an e-mail"),
        ("APP_ENV", "staging", "not one of production"),
    ],
)
def test_invalid_values_are_explained(name, value, reason):
    env = base_env("redis://127.0.0.1:6379/0")
    env[name] = value
    with pytest.raises(ConfigError) as err:
        Settings.from_env(env)
    (problem,) = err.value.problems
    assert problem.startswith(name) and reason in problem


def test_several_invalid_values_are_reported_together():
    env = base_env("redis://127.0.0.1:6379/0")
    env.update(PUBLIC_BASE_URL="nope", DEFAULT_PHONE_REGION="ZZ")
    del env["AMO_CLIENT_SECRET"]
    with pytest.raises(ConfigError) as err:
        Settings.from_env(env)
    assert len(err.value.problems) == 3


def test_secret_values_are_never_echoed_in_the_error():
    env = base_env("redis://127.0.0.1:6379/0")
    env["TOKEN_ENCRYPTION_KEYS"] = "super-secret-but-not-fernet"
    with pytest.raises(ConfigError) as err:
        Settings.from_env(env)
    assert "super-secret-but-not-fernet" not in str(err.value)


def test_several_fernet_keys_are_accepted_for_rotation():
    from cryptography.fernet import Fernet

    env = base_env("redis://127.0.0.1:6379/0")
    keys = [Fernet.generate_key().decode() for _ in range(2)]
    env["TOKEN_ENCRYPTION_KEYS"] = ",".join(keys)
    assert Settings.from_env(env).token_encryption_keys == tuple(keys)


def test_dotenv_is_read_outside_production_and_the_environment_wins(tmp_path, monkeypatch):
    env = base_env("redis://127.0.0.1:6379/0")
    dotenv = tmp_path / ".env"
    dotenv.write_text("".join(f"{k}={v}\n" for k, v in env.items()) + "LOG_LEVEL=DEBUG\n")
    for key in list(__import__("os").environ):
        monkeypatch.delenv(key)
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.setenv("DEFAULT_PHONE_REGION", "KZ")
    s = Settings.from_env(dotenv=dotenv)
    assert s.log_level == "DEBUG"  # from .env
    assert s.default_phone_region == "KZ"  # the real environment wins
    assert s.app_env == "development"


def test_dotenv_is_ignored_in_production(tmp_path, monkeypatch):
    dotenv = tmp_path / ".env"
    dotenv.write_text("".join(f"{k}={v}\n" for k, v in base_env("redis://x:1/0").items()))
    for key in list(__import__("os").environ):
        monkeypatch.delenv(key)
    monkeypatch.setenv("APP_ENV", "production")
    with pytest.raises(ConfigError):
        Settings.from_env(dotenv=dotenv)


def test_env_example_lists_every_variable():
    from tests.conftest import ROOT

    text = (ROOT / ".env.example").read_text()
    for name in NAMES:
        assert f"\n{name}=" in "\n" + text or f"\n# {name}=" in "\n" + text, name


def test_check_config_command_prints_all_problems(capsys, monkeypatch):
    from backend.__main__ import main

    for key in list(__import__("os").environ):
        monkeypatch.delenv(key)
    monkeypatch.chdir("/")
    assert main(["check-config"]) == 2
    err = capsys.readouterr().err
    assert "PUBLIC_BASE_URL is missing" in err and "SECRET_KEY is missing" in err


def test_generated_docs_match_settings():
    from backend.settings_doc import TARGETS

    for path, render in TARGETS.items():
        assert path.read_text() == render(), f"{path.name} is stale: run python -m backend.settings_doc"


def test_a_kommo_integration_needs_its_secret():
    env = base_env("redis://127.0.0.1:6379/0") | {"KOMMO_CLIENT_ID": "22222222-3333-4444-5555-666666666666"}
    with pytest.raises(ConfigError) as err:
        Settings.from_env(env)
    assert "KOMMO_CLIENT_SECRET is missing" in str(err.value)
    s = Settings.from_env(env | {"KOMMO_CLIENT_SECRET": "kommo-secret-0123456789"})
    assert s.kommo_authorize_url == "https://www.kommo.com/oauth"
    assert "kommo-secret-0123456789" in s.secret_values()


def test_every_documented_default_written_out_reads_back_as_the_default():
    from backend.settings_doc import groups

    env = base_env("redis://127.0.0.1:6379/0")
    implicit = Settings.from_env(env)
    written = {v.name: v.default for _, vs in groups() for v in vs if v.default} | env
    assert Settings.from_env(written) == implicit


def test_a_blank_value_counts_as_unset():
    env = base_env("redis://127.0.0.1:6379/0") | {"AMO_RATE_LIMIT_RPS": "   ", "LOG_LEVEL": ""}
    s = Settings.from_env(env)
    assert s.amo_rate_limit_rps == 7.0 and isinstance(s.amo_rate_limit_rps, float) and s.log_level == "INFO"
    with pytest.raises(ConfigError) as err:
        Settings.from_env(env | {"SECRET_KEY": "  "})
    assert err.value.problems == [p for p in err.value.problems if p.startswith("SECRET_KEY is missing")]


def test_a_bad_app_env_does_not_hide_the_missing_variables():
    with pytest.raises(ConfigError) as err:
        Settings.from_env({"APP_ENV": "staging"})
    assert len(err.value.problems) == 1 + len(REQUIRED)


def test_secrets_stay_out_of_repr_and_the_settings_are_frozen():
    env = base_env("redis://:redis-password-1@127.0.0.1:6379/0") | {"OPS_TOKEN": "ops-token-0123456789"}
    s = Settings.from_env(env)
    shown = repr(s)
    for value in [*s.secret_values(), env["REDIS_URL"]]:
        assert value not in shown
    assert "ops-token-0123456789" in s.secret_values() and env["SECRET_KEY"] in s.secret_values()
    with pytest.raises(ValueError):
        s.log_level = "DEBUG"  # type: ignore[misc]
    assert s.replace(log_level="DEBUG").log_level == "DEBUG" and s.log_level == "INFO"


def test_a_misspelt_or_unknown_entry_of_settings_toml_stops_the_start_with_its_name():
    from backend import settings

    table = {"parse": "str", "default": "", "group": "security", "help": "a token"}
    with pytest.raises(KeyError, match=r"\[ops_token\]: unknown secrte"):  # would have logged the token
        settings._field("ops_token", {**table, "secrte": True})
    with pytest.raises(KeyError, match=r"\[ops_token\]: no parser 'text'"):
        settings._field("ops_token", {**table, "parse": "text"})
