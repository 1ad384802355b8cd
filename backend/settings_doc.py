"""Render `.env.example` and `docs/configuration.md` from the JSON schema of `backend.settings.Settings`.

`python -m backend.settings_doc` rewrites both files; a test fails when the committed files differ from
what this renders, so the documentation cannot drift from the code.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.settings import ENVIRONMENTS, Settings

ROOT = Path(__file__).resolve().parent.parent

_GROUP_TITLES = {
    "general": "General",
    "redis": "Redis",
    "amocrm": "amoCRM",
    "google": "Google (add-on identity, Sheets API)",
    "sync": "Sync",
    "security": "Security limits",
}


@dataclass(frozen=True)
class _Variable:
    name: str
    help: str
    default: str | None  # as it would be written in the environment; None: required
    secret: bool
    kind: str


_KINDS = {"string": "text", "integer": "whole number", "number": "number", "array": "comma-separated list"}


def _env_text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def groups() -> list[tuple[str, list[_Variable]]]:
    """The documented variables by group, in the order of the model's fields."""
    schema = Settings.model_json_schema()
    required = set(schema.get("required", ()))
    seen: dict[str, list[_Variable]] = {}
    for name, prop in schema["properties"].items():
        seen.setdefault(prop["group"], []).append(
            _Variable(
                name,
                prop["description"],
                None if name in required else _env_text(prop["default"]),
                prop["secret"],
                _KINDS[prop["type"]],
            )
        )
    return list(seen.items())


def render_env_example() -> str:
    lines = [
        "# Every environment variable the service reads (generated from backend/settings.toml, through",
        "# the Settings model, by `python -m backend.settings_doc`; do not edit by hand).",
        "# Copy to .env for development.",
        "# Lines without a value are required; commented lines show the default.",
        "",
    ]
    for group, variables in groups():
        lines.append(f"# --- {_GROUP_TITLES.get(group, group)} ---")
        for var in variables:
            lines.append(f"# {var.help}")
            if var.default is None:
                lines.append(f"{var.name}=")
            else:
                lines.append(f"# {var.name}={var.default}")
        lines.append("")
    lines += [
        "# --- Process (read by gunicorn, not by the app) ---",
        "# Port the web process listens on (Cloud Run sets it)",
        "# PORT=8080",
        "# gunicorn worker processes and threads per process",
        "# WEB_CONCURRENCY=2",
        "# WEB_THREADS=8",
        "",
    ]
    return "\n".join(lines)


def render_configuration_md() -> str:
    out = [
        "# Configuration",
        "",
        "Generated from `backend/settings.toml`, through the JSON schema of the `Settings` model",
        "(pydantic-settings, `backend/settings.py`), by `python -m backend.settings_doc`; a test keeps it",
        "in step. Every variable is read once at start; a blank value counts as unset. A bad",
        "configuration stops the process with **one** message listing every missing or invalid variable",
        "(`python -m backend check-config` prints it without starting anything). `APP_ENV` is one of",
        f"{', '.join(ENVIRONMENTS)}; outside production a `.env`",
        "file in the working directory is read too (real environment variables win).",
        "",
    ]
    for group, variables in groups():
        out += [
            f"## {_GROUP_TITLES.get(group, group)}",
            "",
            "| Variable | Type | Default | Secret | Meaning |",
            "|---|---|---|---|---|",
        ]
        for var in variables:
            default = (
                "*(required)*"
                if var.default is None
                else (f"`{var.default}`" if var.default else "*(empty)*")
            )
            out.append(
                f"| `{var.name}` | {var.kind} | {default} | {'yes' if var.secret else ''} "
                f"| {var.help.replace('|', '/')} |"
            )
        out.append("")
    out += [
        "## Process",
        "",
        "| Variable | Default | Meaning |",
        "|---|---|---|",
        "| `PORT` | `8080` | Port of the web process (Cloud Run sets it) |",
        "| `WEB_CONCURRENCY` | `2` | gunicorn worker processes |",
        "| `WEB_THREADS` | `8` | threads per gunicorn worker (gthread) |",
        "",
    ]
    return "\n".join(out)


TARGETS = {
    ROOT / ".env.example": render_env_example,
    ROOT / "docs" / "configuration.md": render_configuration_md,
}


def main() -> int:
    for path, render in TARGETS.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render())
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
