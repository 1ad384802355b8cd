"""`python -m bench [all|import|edits|webhooks|scale|fleet] [--runs N]` — what `make bench` runs (`all`).

Every benchmark starts the product afresh as real processes with the real limits (amoCRM 7 req/s and
250 per batch, Google's Sheets quotas), prints its figures, and the run ends by writing
`bench/results/latest.json` and the table in `docs/performance.md`. Nothing here asserts a time.
The fleet run's size comes from FLEET_CONNECTIONS and FLEET_MINUTES (bench/fleet.py; 1,000 and 5 by
default).
Logs of every process go to a fresh directory under the system's temp dir (printed at the start).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
from pathlib import Path

from bench import report
from bench.edits import run_edit_idle, run_edits, run_reconcile_idle
from bench.fleet import FleetSize, bench_fleet
from bench.imports import run_import
from bench.product import Limits, Product
from bench.webhooks import run_webhooks

SUITES = ("import", "edits", "webhooks", "scale", "fleet")


def _stop_on_term(*_) -> None:
    raise KeyboardInterrupt  # so `with Product` stops every child process


def bench_import(logs: Path, runs: int) -> dict:
    out = {}
    for size in (1000, 10000):
        results = []
        for i in range(runs):
            with Product.start(logs / f"import-{size}-{i}", Limits(), workers=0) as p:
                results.append(run_import(p, size, host=f"import{size}-{i}.amocrm.ru"))
            print(f"import {size}: run {i + 1}: {json.dumps(results[-1], ensure_ascii=False)}", flush=True)
        out[f"import_{size}"] = {
            **report.median_of(results),
            "each_run": [{k: r[k] for k in ("wall_s", "ratio_to_floor", "amo_calls")} for r in results],
        }
    return out


def bench_edits(logs: Path) -> dict:
    with Product.start(logs / "edits", Limits(), workers=2) as p:
        out = {"edits": run_edits(p, "edits.amocrm.ru")}
        print(f"edits: {json.dumps(out['edits'], ensure_ascii=False)}", flush=True)
        out["edit_idle"] = run_edit_idle(p, "idle.amocrm.ru")
        print(f"edit_idle: {json.dumps(out['edit_idle'], ensure_ascii=False)}", flush=True)
        out["reconcile_idle"] = run_reconcile_idle(p, "quiet.amocrm.ru")
        return out


def bench_webhooks(logs: Path) -> dict:
    with Product.start(logs / "webhooks", Limits(), workers=2) as p:
        return {"webhooks": run_webhooks(p, "hooks.amocrm.ru")}


def bench_scale(logs: Path) -> dict:
    with Product.start(logs / "scale", Limits(), workers=0) as p:
        r = run_import(p, 100_000, "scale.amocrm.ru")
    keep = ("rows", "wall_s", "floor_s", "ratio_to_floor", "amo_calls", "sheets_calls", "peak_rss_mb")
    return {"import_100000": {k: r[k] for k in keep} | {"peak_rss_mb_by_role": r["peak_rss_mb_by_role"]}}


def bench_fleet_run(logs: Path) -> dict:
    size = FleetSize.from_env()
    print(f"fleet: {size}", flush=True)
    unpaced = {"SHEETS_READS_PER_MINUTE": "100000", "SHEETS_WRITES_PER_MINUTE": "100000"}  # set-up only
    with Product.start(logs / "fleet", Limits(), workers=size.workers, env=unpaced) as p:
        return bench_fleet(p, size, log=lambda line: print(line, flush=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("suite", nargs="?", default="all", choices=("all", *SUITES))
    parser.add_argument("--runs", type=int, default=3, help="runs of each import size (medians reported)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_term)
    logs = Path(tempfile.mkdtemp(prefix="bench-logs-"))
    print(f"bench: process logs in {logs}", flush=True)
    chosen = SUITES if args.suite == "all" else (args.suite,)
    results: dict = {}
    for suite in chosen:
        if suite == "import":
            results.update(bench_import(logs, args.runs))
        elif suite == "edits":
            results.update(bench_edits(logs))
        elif suite == "webhooks":
            results.update(bench_webhooks(logs))
        elif suite == "scale":
            results.update(bench_scale(logs))
        elif suite == "fleet":
            results.update(bench_fleet_run(logs))
            for key in ("fleet", "fleet_raised_quota"):  # measured apart from the rest: its own time and load
                results[key]["machine"] = report.machine()
            brief = {
                k: v
                for k, v in results["fleet"].items()
                if k not in ("queue_depth", "sheets_calls_by_method")
            }
            print(f"fleet: {json.dumps(brief, ensure_ascii=False)}", flush=True)
            print(
                f"fleet_raised_quota: {json.dumps(results['fleet_raised_quota'], ensure_ascii=False)}",
                flush=True,
            )
        print(f"bench: {suite} done", flush=True)
    results["machine"] = report.machine()
    report.write_json(results)
    merged = json.loads(report.LATEST.read_text())
    report.write_doc(merged)
    print(report.table(merged))
    return 0


if __name__ == "__main__":
    sys.exit(main())
