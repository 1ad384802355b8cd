"""`python -m backend sync CONNECTION_ID [--preview] [--yes]`: the full-sync job in the foreground, with
a tqdm progress bar, printing the preview and result counts — for operators."""

from __future__ import annotations

import json
import sys

from tqdm import tqdm

from backend import services
from backend.sync.run import run_sync


def run(connection_id: str, *, preview: bool, yes: bool) -> int:
    svc = services.bootstrap()
    bar = tqdm(total=100, unit="%", file=sys.stderr, leave=True)
    state = {"phase": ""}

    def progress(phase: str, done: int, total: int) -> None:
        if phase != state["phase"]:
            state["phase"] = phase
            bar.set_description(phase)
        bar.n = round(100 * done / total) if total else bar.n
        bar.refresh()

    report = run_sync(svc, connection_id, kind="full", preview=True, progress=progress)
    print("preview:", json.dumps(report.preview, ensure_ascii=False))
    for guard in report.guards:
        if guard["tripped"]:
            print(f"guard {guard['name']}: {guard['reason']}")
    if preview:
        bar.close()
        return 0
    tripped = any(g["tripped"] for g in report.guards)
    if tripped and not yes:
        bar.close()
        print("stopped: a guard tripped; run again with --yes to confirm", file=sys.stderr)
        return 3
    report = run_sync(svc, connection_id, kind="full", confirm=yes, progress=progress)
    bar.n = 100
    bar.close()
    print("result:", json.dumps(report.result, ensure_ascii=False))
    print(f"amoCRM calls: {report.amo_calls}, Sheets calls: {report.sheets_calls}, {report.duration_ms} ms")
    return 0 if report.status == "finished" else 3
