"""The performance table is rendered from what the benchmarks really wrote (`bench/results/latest.json`
of the last `make bench`), so a renamed figure breaks here and not at the end of a 20-minute run."""

import json

from bench import report


def test_the_table_renders_every_figure_of_the_last_run():
    results = json.loads(report.LATEST.read_text())
    table = report.table(results)
    for section in (
        "import_1000",
        "import_10000",
        "edits",
        "edit_idle",
        "reconcile_idle",
        "webhooks",
        "import_100000",
        "fleet",
        "fleet_raised_quota",
    ):
        assert section in results, f"make bench wrote no {section}"
    assert "import 10,000: wall / floor" in table
    assert "receipt → amoCRM p50 / p95" in table
    assert "edits one at a time" in table and "reconcile of a quiet connection" in table
    assert "webhooks: ack p50 / p95 / p99" in table
    assert "import 100,000 rows: peak RSS" in table
    assert "fleet: lost changes" in table and "highest amoCRM change rate" in table
    assert "None" not in table


def test_the_doc_keeps_its_prose_around_the_table(tmp_path):
    doc = tmp_path / "performance.md"
    doc.write_text(f"# Performance\n\nprose before\n\n{report.BEGIN}\nold\n{report.END}\n\nprose after\n")
    report.write_doc(json.loads(report.LATEST.read_text()), doc)
    text = doc.read_text()
    assert text.startswith("# Performance\n\nprose before\n\n") and text.endswith("\n\nprose after\n")
    assert "old" not in text and "| figure | value | target |" in text
