"""The add-on as clasp pushes it, as JSON for the page: the manifest, every `addon/**/*.js` (in the
order node.js loads them: sorted paths) and the HTML files by their Apps Script names ("addon/Sidebar").
Read from the working tree on every request, so a reload of the page runs the code as it is now."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_project(root: Path = ROOT) -> dict:
    files = sorted(p for p in (root / "addon").rglob("*") if p.is_file())

    def name(p: Path) -> str:
        return p.relative_to(root).with_suffix("").as_posix()

    return {
        "manifest": json.loads((root / "appsscript.json").read_text(encoding="utf-8")),
        "scripts": [
            {"name": p.relative_to(root).as_posix(), "source": p.read_text(encoding="utf-8")}
            for p in files
            if p.suffix == ".js"
        ],
        "html": {name(p): p.read_text(encoding="utf-8") for p in files if p.suffix == ".html"},
    }
