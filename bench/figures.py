"""Figures the reliability tests measure as they run (requests sent, examples tried, log lines read),
kept in `test-artifacts/reliability.json` (not in git) until `make faults` writes them into
`docs/reliability.md`. Recording never fails a test."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ROOT / "test-artifacts" / "reliability.json"


def record(name: str, figures: dict[str, Any]) -> None:
    with contextlib.suppress(OSError, ValueError):
        FIGURES.parent.mkdir(parents=True, exist_ok=True)
        data = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
        data[name] = {**data.get(name, {}), **figures}
        FIGURES.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def load() -> dict[str, Any]:
    try:
        return json.loads(FIGURES.read_text())
    except (OSError, ValueError):
        return {}
