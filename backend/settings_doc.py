"""Render `.env.example` and `docs/configuration.md` from `backend.settings.VARS`.

`python -m backend.settings_doc` rewrites both files; a test fails when the committed files differ from
what this renders, so the documentation cannot drift from the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

from backend.settings import ENVIRONMENTS, VARS

ROOT = Path(__file__).resolve().parent.parent

_GROUP_TITLES = {
    "general": "General",
    "redis": "Redis",
    "amocrm": "amoCRM",
    "google": "Google (add-on identity, Sheets API)",
    "sync": "Sync",
    "security": "Security limits",
}


def _groups():
    seen: dict[str, list] = {}
    for var in VARS:
        seen.setdefault(var.group, []).append(var)
    return seen.items()


def render_env_example() -> str:
    lines = [
        "# Every environment variable the service reads (generated from backend/settings.py by",
        "# `python -m backend.settings_doc`; do not edit by hand). Copy to .env for development.",
        "# Lines without a value are required; commented lines show the default.",
        "",
    ]
    for group, variables in _groups():
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
        "Generated from `backend/settings.py` by `python -m backend.settings_doc`; a test keeps it in step.",
        "Every variable is read once at start. A bad configuration stops the process with **one** message",
        "listing every missing or invalid variable (`python -m backend check-config` prints it without",
        f"starting anything). `APP_ENV` is one of {', '.join(ENVIRONMENTS)}; outside production a `.env`",
        "file in the working directory is read too (real environment variables win).",
        "",
    ]
    for group, variables in _groups():
        out += [
            f"## {_GROUP_TITLES.get(group, group)}",
            "",
            "| Variable | Default | Secret | Meaning |",
            "|---|---|---|---|",
        ]
        for var in variables:
            default = (
                "*(required)*"
                if var.default is None
                else (f"`{var.default}`" if var.default else "*(empty)*")
            )
            out.append(
                f"| `{var.name}` | {default} | {'yes' if var.secret else ''} | {var.help.replace('|', '/')} |"
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
