"""The figures' two outputs: `bench/results/latest.json` and the table in `docs/performance.md`.

The table is rewritten between the `<!-- bench:begin -->` and `<!-- bench:end -->` markers only; the
prose around it (what the figures mean, what limits them) is kept as written.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LATEST = ROOT / "bench" / "results" / "latest.json"
DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def machine() -> dict[str, Any]:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {
        "cores": os.cpu_count(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "load_1min_at_end": round(load, 2) if load is not None else None,
    }


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Numbers: the median over runs; anything else: from the median run by wall time."""
    ordered = sorted(runs, key=lambda r: r.get("wall_s", 0))
    middle = ordered[len(ordered) // 2]
    out: dict[str, Any] = {}
    for key, value in middle.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = round(statistics.median(r[key] for r in runs), 4)
        else:
            out[key] = value
    out["runs"] = len(runs)
    return out


def write_json(results: dict[str, Any], path: Path = LATEST) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    merged = json.loads(path.read_text()) if path.exists() else {}
    merged.update(results)
    path.write_text(json.dumps(merged, indent=2, ensure_ascii=False) + "\n")


def _n(value: Any) -> Any:
    return "—" if value is None else value


def _row(*cells: Any) -> str:
    return "| " + " | ".join("—" if c is None else str(c) for c in cells) + " |"


def table(r: dict[str, Any]) -> str:
    m = r.get("machine", {})
    lines = [
        f"Measured {m.get('date', '?')} on {m.get('cores', '?')} cores ({m.get('platform', '')}, "
        f"Python {m.get('python', '')}); load average {m.get('load_1min_at_end', '?')} at the end. "
        "Medians of the runs shown; ratios measured within one run.",
        "",
        "| figure | value | target |",
        "|---|---|---|",
    ]
    for size in ("import_1000", "import_10000"):
        i = r.get(size)
        if not i:
            continue
        n = i["rows"]
        lines += [
            _row(f"import {n:,} rows: wall time", f"{i['wall_s']} s ({i['runs']} runs)", ""),
            _row(f"import {n:,}: floor (2·⌈N/250⌉ calls at 7 req/s)", f"{i['floor_s']} s", ""),
            _row(f"import {n:,}: wall / floor", i["ratio_to_floor"], "≤ 1.15" if n == 10000 else ""),
            _row(
                f"import {n:,}: amoCRM calls (per row)",
                f"{i['amo_calls']} ({i['amo_calls_per_row']})",
                "≤ 0.02 per row",
            ),
            _row(f"import {n:,}: Sheets calls", i["sheets_calls"], "≤ 10"),
            _row(
                f"import {n:,}: echo afterwards (amoCRM / Sheets calls)",
                f"{i['amo_calls_echo']} / {i['sheets_calls_echo']}",
                "",
            ),
            _row(
                f"import {n:,}: peak RSS web / worker",
                f"{i['peak_rss_mb_by_role'].get('web')} / {i['peak_rss_mb_by_role'].get('worker')} MB",
                "",
            ),
        ]
    if e := r.get("edits"):
        lines += [
            _row(
                f"{e['edits']} single-row edits over {e['over_s']:.0f} s: receipt → amoCRM p50 / p95",
                f"{e['p50_ms']} / {e['p95_ms']} ms",
                "p95 < 1 s",
            ),
            _row(
                "edits: calls per edit (amoCRM / Sheets)",
                f"{e['amo_calls_per_edit']} / {e['sheets_calls_per_edit']}",
                "Sheets 0",
            ),
            _row("edits: lost", e["lost"], "0"),
        ]
    if e := r.get("edit_idle"):
        lines += [
            _row(
                f"{e['edits']} edits one at a time: receipt → amoCRM p50 / p95",
                f"{e['p50_ms']} / {e['p95_ms']} ms",
                "p95 < 500 ms",
            ),
            _row(
                "edit one at a time: calls per edit (amoCRM / Sheets)",
                f"{e['amo_calls_per_edit']} / {e['sheets_calls_per_edit']}",
                "Sheets 0",
            ),
        ]
    if q := r.get("reconcile_idle"):
        lines.append(
            _row(
                f"reconcile of a quiet connection ({q['rows']} rows): Sheets / amoCRM calls",
                f"{q['sheets_calls']} / {q['amo_calls']}",
                "Sheets 0",
            )
        )
    if w := r.get("webhooks"):
        lines += [
            _row(
                f"webhooks at {w['target_rps']:.0f} req/s for {w['wall_s']:.0f} s: achieved",
                f"{w['rps']} req/s, {w['sent']} sent",
                "300 req/s",
            ),
            _row(
                "webhooks: ack p50 / p95 / p99", f"{w['p50_ms']} / {w['p95_ms']} / {w['p99_ms']} ms", "< 2 s"
            ),
            _row("webhooks: errors", w["errors"], "0"),
            _row(
                f"webhooks: all {w['leads']} changes (of {w.get('synced_rows', w['leads'])} rows) "
                "in the sheet after the first / last webhook",
                f"{w['all_in_sheet_s']} s / {w['all_in_sheet_after_load_s']} s",
                "",
            ),
        ]
    if f := r.get("fleet"):
        e, a, fm = f["edits"], f["amo_changes"], f.get("machine", {})
        lines += [
            _row(
                "fleet: measured (the fleet run's own time; load average at its end)",
                f"{fm.get('date', '?')}; {fm.get('load_1min_at_end', '?')}",
                "",
            ),
            _row(
                f"fleet: {f['connections']:,} connections for {f['minutes']} min at the default Sheets "
                "quotas: change → other side p50 / p95",
                f"{_n(f['p50_s'])} / {_n(f['p95_s'])} s",
                "p95 < 60 s",
            ),
            _row(
                f"fleet: {e['changes']} person edits / {a['changes']} amoCRM changes: p50 / p95",
                f"{_n(e['p50_s'])} / {_n(e['p95_s'])} s; {_n(a['p50_s'])} / {_n(a['p95_s'])} s",
                "",
            ),
            _row(
                "fleet: Sheets calls a minute (reads / writes; answered 429)",
                f"{f['sheets_calls_per_min']} ({f['sheets_reads_per_min']} / {f['sheets_writes_per_min']}; "
                f"{f['sheets_429']})",
                "≤ 60 reads, ≤ 60 writes",
            ),
            _row(
                "fleet: amoCRM calls a minute (answered 429)",
                f"{f['amo_calls_per_min']} ({f['amo_429']})",
                "",
            ),
            _row("fleet: queue depth, highest sampled (every 5 s)", f["max_queue_depth"], "bounded"),
            _row("fleet: lost changes", f["lost"], "0"),
        ]
    if q := r.get("fleet_raised_quota"):
        lines.append(
            _row(
                f"fleet, quota raised to {q['quota_per_user_per_min']} a minute: highest amoCRM change rate "
                f"held with p95 < 60 s ({q['stage_minutes']} min stages)",
                f"{q['sustained_amo_changes_per_min']} a minute (p95 {_n(q['p95_s'])} s)",
                "",
            )
        )
    if s := r.get("import_100000"):
        lines += [
            _row(
                "import 100,000 rows: peak RSS web / worker",
                f"{s['peak_rss_mb_by_role'].get('web')} / {s['peak_rss_mb_by_role'].get('worker')} MB",
                "",
            ),
            _row("import 100,000 rows: wall / floor", f"{s['wall_s']} s / {s['floor_s']} s", ""),
        ]
    return "\n".join(lines)


def write_doc(results: dict[str, Any], path: Path = DOC) -> None:
    text = path.read_text() if path.exists() else f"# Performance\n\n{BEGIN}\n{END}\n"
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    path.write_text(f"{head}{BEGIN}\n{table(results)}\n{END}{tail}")
