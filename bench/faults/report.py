"""The reliability figures into `docs/reliability.md`: the fault table (from `bench/results/faults.json`)
and the fuzz/security figures the tests recorded (`bench/figures.py`), each between its markers; the
prose around them is kept as written."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from bench import figures

DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"


def fault_table(outcomes: list[dict[str, Any]]) -> str:
    lines = [
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores "
        "(`make faults`, full sizes).",
        "",
        "| case | injected faults | rows | lost | duplicated | result | time |",
        "|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        result = "ok" if o["ok"] else "FAILED: " + "; ".join(o.get("detail") or [])[:200]
        lines.append(
            f"| {o['case']} | {o['faults']} | {o['rows']:,} | {o['lost']} | {o['duplicated']} | {result} "
            f"| {o.get('seconds', 0):.0f} s |"
        )
    return "\n".join(lines)


def figures_table(f: dict[str, Any]) -> str:
    s, h = f.get("schemathesis", {}), f.get("http_fuzz", {})
    lines = ["| check | figure |", "|---|---|"]
    if s:
        statuses = ", ".join(f"{k}: {v}" for k, v in s.get("by_status", {}).items())
        lines.append(
            "| schemathesis against `docs/openapi.yaml` (real gunicorn, signed) | "
            f"{s['requests']:,} requests over {s['operations']} operations; answers {statuses} |"
        )
    if h:
        lines.append(
            f"| hypothesis over real HTTP (webhooks, OAuth pages, any path) | {h['requests']:,} requests, "
            f"{h['5xx']} answered 5xx |"
        )
    if load := f.get("cross_tenant_load"):
        answers = ", ".join(f"{k}: {v:,}" for k, v in load.get("flood_answers", {}).items())
        victim = "; ".join(
            f"{name} p50/p95/max {v['p50_s']:.2f}/{v['p95_s']:.2f}/{v['max_s']:.2f} s over {v['requests']}"
            for name, v in load.get("victim", {}).items()
        )
        lines.append(
            "| one tenant floods, another is served (real Sheets quota, "
            "`tests/security/test_quota_fairness.py`) "
            f"| {load['flood_clients']} clients, {load['flood_s']:.0f} s, "
            f"{load['flood_requests']:,} requests (answers {answers}); the other tenant's {victim} |"
        )
    for name, label in (("log_scan_security", "security suite"), ("log_scan_faults", "fault suite")):
        if scan := f.get(name):
            lines.append(
                f"| log scan after the {label} | {scan['lines']:,} lines in {scan['files']} files of the "
                f"product's processes, {scan['secrets']:,} secrets looked for: {scan['hits']} found |"
            )
    return "\n".join(lines)


def _replace(text: str, name: str, body: str) -> str:
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    head, found, rest = text.partition(begin)
    if not found:
        return f"{text.rstrip()}\n\n{begin}\n{body}\n{end}\n"
    _, _, tail = rest.partition(end)
    return f"{head}{begin}\n{body}\n{end}{tail}"


def write_doc(outcomes: list[dict[str, Any]] | None, path: Path = DOC) -> None:
    text = path.read_text() if path.exists() else "# Reliability\n"
    if outcomes is not None:
        text = _replace(text, "faults", fault_table(outcomes))
    if recorded := figures.load():
        text = _replace(text, "figures", figures_table(recorded))
    path.write_text(text)
