"""`python -m bench.faults [--short] [CASE ...]` — what `make faults` runs.

Starts the product once (real processes), runs each case against it and prints the table (case, injected
faults, rows, lost, duplicated, result). A complete full-size run writes `bench/results/faults.json` and
the tables of `docs/reliability.md`. Exit status 1 if any case failed. `--short` uses the row counts of
the short form that `make test` runs.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
from pathlib import Path

from bench.faults import report
from bench.faults.catalog import CASES
from bench.faults.suite import Context, Outcome, fault_product, run_case

RESULTS = Path(__file__).resolve().parent.parent / "results" / "faults.json"


def table(outcomes: list[Outcome]) -> str:
    lines = [
        "| case | injected faults | rows | lost | duplicated | result |",
        "|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        result = "ok" if o.ok else "FAILED: " + "; ".join(o.detail)[:300]
        lines.append(f"| {o.case} | {o.faults} | {o.rows} | {o.lost} | {o.duplicated} | {result} |")
    return "\n".join(lines)


def _stop_on_term(*_) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="the short form's row counts")
    parser.add_argument("cases", nargs="*", help=f"cases to run (default all): {', '.join(CASES)}")
    args = parser.parse_args(argv)
    unknown = set(args.cases) - set(CASES)
    if unknown:
        parser.error(f"unknown cases: {', '.join(sorted(unknown))}")
    signal.signal(signal.SIGTERM, _stop_on_term)
    logs = Path(tempfile.mkdtemp(prefix="faults-logs-"))
    print(f"faults: process logs in {logs}", flush=True)
    outcomes = []
    with fault_product(logs) as product:
        ctx = Context(product, short=args.short)
        for name in args.cases or CASES:
            outcome = run_case(name, CASES[name], ctx)
            print(f"  {'ok ' if outcome.ok else 'FAIL'} {name} ({outcome.seconds:.0f} s)", flush=True)
            outcomes.append(outcome)
    print(table(outcomes))
    results = [o.to_json() for o in outcomes]
    if not args.short and not args.cases:  # only a complete full run stands for the published figures
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        report.write_doc(results)
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
