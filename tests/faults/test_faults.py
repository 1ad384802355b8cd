"""The fault suite's short form (`make test`): every case of `make faults` with the same injected faults
and the same end-state checks — counts of contacts, leads and rows, no duplicates, every edit present,
every bad row explained — on fewer rows. Real processes: Redis (AOF), both emulators, gunicorn, two RQ
workers; the cases are in `bench/faults/`."""

from __future__ import annotations

import pytest

from bench import figures, logscan
from bench.faults.catalog import CASES
from bench.faults.suite import Context, fault_product, run_case


@pytest.fixture(scope="module")
def product(tmp_path_factory):
    with fault_product(tmp_path_factory.mktemp("fault-logs")) as p:
        yield p


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_fault_case(product, name):
    outcome = run_case(name, CASES[name], Context(product, short=True))
    assert outcome.ok, (
        f"{name} ({outcome.faults}): {outcome.rows} rows, lost {outcome.lost}, "
        f"duplicated {outcome.duplicated}: {outcome.detail}"
    )


def test_the_logs_of_the_fault_run_hold_no_secret(product):
    """Everything the product's processes logged through kill -9, restarts, storms, expired tokens,
    racing refreshes and a ban: no token, secret or signature."""
    found = logscan.scan(product.log_dir, logscan.collect(product))
    assert found.files >= 3 and found.lines > 100
    assert found.hits == [], found.hits[:20]
    figures.record(
        "log_scan_faults",
        {"files": found.files, "lines": found.lines, "secrets": found.secrets, "hits": len(found.hits)},
    )
