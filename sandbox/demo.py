"""`make demo`: the whole product on this machine, no credentials, driven the way people use it.

Starts a real Redis, both emulators, the backend under gunicorn and two RQ workers (separate processes),
then: a spreadsheet from sandbox/data/ → register (proof of control) → connect amoCRM through the OAuth
pages → accept the suggested mapping → preview → full sync → a person edits two cells and pastes three
rows → a manager moves a lead in amoCRM (webhook) → someone sorts the sheet → webhooks are dropped for a
while and reconcile heals it. Prints each step with counts, API calls and latencies, then a final table,
stops everything (no stray processes) and exits 0 — or 1 naming the step that failed.

    python -m sandbox.demo [--rows N]    # default: sandbox/data/leads.csv (500 rows)
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import requests

from sandbox import demo_flows as flows
from sandbox.data.generate import HEADERS, generate
from sandbox.local import LocalProduct

DATA = Path(__file__).parent / "data"


class StepFailed(Exception):
    pass


def load_rows(n: int | None) -> tuple[list[list[str]], dict]:
    if n is None:
        with open(DATA / "leads.csv", encoding="utf-8") as f:
            rows = list(csv.reader(f))[1:]
        return rows, json.loads((DATA / "leads.expected.json").read_text())
    return generate(n)


class Report:
    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.lines: list[tuple[str, str, float]] = []

    def step(self, name: str, detail: str, started: float) -> None:
        ms = 1000 * (time.perf_counter() - started)
        self.lines.append((name, detail, ms))
        print(f"  ✓ {name:<34} {detail:<62} {ms:8.0f} ms", flush=True)

    def timed(self, name: str, action: Callable[[], Any], detail: Callable[[Any], str]) -> Any:
        """Run one step of the demo and print it with what `detail` says of its result."""
        started = time.perf_counter()
        result = action()
        self.step(name, detail(result), started)
        return result


def _import_detail(outcome: tuple[dict, dict]) -> str:
    result, calls = outcome
    per_row = calls["amo"] / max(result["leads_created"], 1)
    return (
        f"{result['leads_created']} leads, {result['contacts_created']} contacts; "
        f"amo {calls['amo']} calls ({per_row:.3f}/row), sheets {calls['sheets']}"
    )


def run(rows_n: int | None, log_dir: Path) -> dict:
    rows, expected = load_rows(rows_n)
    report = Report()
    table: dict = {"expected": expected}
    t = time.perf_counter()
    with contextlib.ExitStack() as stack:
        product = stack.enter_context(LocalProduct(log_dir))
        report.step("start the stack", "redis, amoCRM + Sheets emulators, gunicorn, 2 RQ workers", t)
        pids = [c.process.pid for c in product.stack.children]
        demo = stack.enter_context(
            contextlib.closing(
                flows.Flows(product.web, product.amo, product.sheets, product.stack.env["REDIS_URL"])
            )
        )
        report.timed(
            "spreadsheet from sandbox/data",
            lambda: demo.create_spreadsheet(HEADERS, rows),
            lambda _: f"{len(rows)} rows, {len(HEADERS)} columns, owned by a person",
        )
        report.timed(
            "register (proof of control)",
            demo.register,
            lambda _: f"shared with the service account; connection {demo.connection_id}",
        )
        report.timed(
            "connect amoCRM (OAuth pages)",
            demo.connect_amocrm,
            lambda host: f"connected to {host}; webhook registered",
        )
        report.timed(
            "accept the suggested mapping",
            demo.accept_suggested_mapping,
            lambda mapping: ", ".join(f"{c['header']}→{c['target']}" for c in mapping["columns"])[:62],
        )
        demo.reset_counters()
        report.timed(
            "preview",
            demo.preview,
            lambda p: f"create {p['create']}, errors {p['errors']}, new contacts {p['new_contacts']}",
        )
        result, calls = report.timed("full sync", demo.full_sync, _import_detail)
        table["import"] = {**result, "amo_calls": calls["amo"], "sheets_calls": calls["sheets"]}
        edit = report.timed(
            "a person edits 2 cells, pastes 3 rows",
            demo.person_edits_and_pastes,
            lambda e: f"edit→amoCRM {e['latency_ms']:.0f} ms; 3 new leads",
        )
        table["edit_latency_ms"] = edit["latency_ms"]
        moved = report.timed(
            "a manager moves a lead in amoCRM",
            demo.manager_moves_a_lead,
            lambda m: f"webhook→sheet {m['latency_ms']:.0f} ms: “{m['status']}”",
        )
        table["webhook_latency_ms"] = moved["latency_ms"]
        report.timed(
            "someone sorts the sheet",
            demo.someone_sorts_the_sheet,
            lambda s: (
                f"rows still match their leads ({s['checked']} checked); reconcile healed {s['healed']}"
            ),
        )
        healed = report.timed(
            "webhooks dropped, reconcile heals",
            demo.webhooks_dropped_then_reconcile,
            lambda h: f"{h['changed']} changes missed, {h['healed']} healed",
        )
        table["reconcile_healed"] = healed["healed"]
        undone = report.timed(
            "undo the reconcile run",
            demo.undo_the_reconcile,
            lambda u: (
                f"{u['restored']} fields restored, {u['kept']} kept; {u['checked']} checked on both sides"
            ),
        )
        table["undo_restored"] = undone["checked"]
        table["final"] = report.timed("final check", demo.final_counts, lambda _: "both sides read back")
    table["stopped"] = not [
        p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
    ]
    table["seconds"] = round(time.perf_counter() - report.started, 1)
    return table


def print_table(table: dict) -> bool:
    e, f = table["expected"], table["final"]
    checks = [
        ("leads in amoCRM", f["leads"], e["leads"] + 3),
        ("contacts in amoCRM", f["contacts"], e["contacts"] + 3),
        ("rows with a lead id", f["rows_with_lead"], e["leads"] + 3),
        ("duplicate leads (one lead, two rows)", f["duplicate_leads"], 0),
        ("duplicate contacts (same e-mail/phone)", f["duplicate_contacts"], 0),
        ("rows explained with ⚠", f["explained_errors"], e["errors"]),
        ("rows neither synced nor explained", f["unexplained"], 0),
        ("reconcile healed", table["reconcile_healed"], 3),
        ("undo: fields back on both sides", table["undo_restored"], 3),
        ("processes left running", 0 if table["stopped"] else 1, 0),
    ]
    print("\n  ┌" + "─" * 46 + "┬──────────┬──────────┐")
    print(f"  │ {'check':<44} │ {'actual':>8} │ {'expected':>8} │")
    print("  ├" + "─" * 46 + "┼──────────┼──────────┤")
    for name, actual, want in checks:
        mark = "✓" if actual == want else "✗"
        print(f"  │ {mark} {name:<42} │ {actual:>8} │ {want:>8} │")
    print("  └" + "─" * 46 + "┴──────────┴──────────┘")
    imp = table["import"]
    print(
        f"  import: {imp['leads_created']} leads with {imp['amo_calls']} amoCRM calls and "
        f"{imp['sheets_calls']} Sheets calls; edit→amoCRM {table['edit_latency_ms']:.0f} ms; "
        f"amoCRM→sheet {table['webhook_latency_ms']:.0f} ms; total {table['seconds']} s"
    )
    return all(actual == want for _, actual, want in checks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.demo", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=None, help="generate N rows instead of sandbox/data/leads.csv"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the final table as JSON here")
    args = parser.parse_args(argv)
    log_dir = Path(tempfile.mkdtemp(prefix="demo-logs-"))
    print(f"demo: the whole product on this machine (process logs in {log_dir})")
    try:
        table = run(args.rows, log_dir)
    except (flows.FlowError, requests.RequestException, RuntimeError) as exc:
        print(f"\ndemo: FAILED at step “{flows.current_step()}”: {exc}", file=sys.stderr)
        return 1
    ok = print_table(table)
    if args.json:
        args.json.write_text(json.dumps(table, indent=2, ensure_ascii=False))
    print("\ndemo: everything stopped." + ("" if ok else " Some checks FAILED (✗ above)."))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
