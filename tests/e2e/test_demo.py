"""`make demo` in a fast mode as an end-to-end test: every real process, the real flow, its final table."""

import json
import subprocess
import sys

from tests.conftest import ROOT


def test_demo_round_trip_with_60_rows(tmp_path, subprocess_env):
    out = tmp_path / "table.json"
    proc = subprocess.run(
        [sys.executable, "-m", "sandbox.demo", "--rows", "60", "--json", str(out)],
        cwd=ROOT, env=subprocess_env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    table = json.loads(out.read_text())
    e, f = table["expected"], table["final"]
    assert f["leads"] == f["rows_with_lead"] == e["leads"] + 3  # + the three pasted rows
    assert f["contacts"] == e["contacts"] + 3
    assert f["duplicate_leads"] == f["duplicate_contacts"] == 0
    assert f["explained_errors"] == e["errors"] and f["unexplained"] == 0
    assert table["reconcile_healed"] == 3
    assert table["undo_restored"] == 3  # the reconcile undone: each field back on both sides
    assert table["stopped"] is True  # every process it started is gone
    assert "✓ final check" in proc.stdout
