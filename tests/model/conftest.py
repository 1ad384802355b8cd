"""The checker's session hook: write and print bench/results/integrity.json from the runs of this session."""

from __future__ import annotations

import json
import os

import pytest

from tests.model import stats


def pytest_terminal_summary(terminalreporter) -> None:
    if not any(lv.sequences for lv in stats.LEVELS.values()):
        return
    if os.environ.get("INTEGRITY_STRICT"):  # a shrinking session: its counts are not a checker run
        data = {name: lv.to_json() for name, lv in stats.LEVELS.items()}
    else:
        data = stats.write()
    tr = terminalreporter
    tr.section("sync integrity (bench/results/integrity.json)")
    tr.write_line(json.dumps(data, ensure_ascii=False))
    for name, lv in stats.LEVELS.items():
        for invariant, steps in sorted(lv.examples.items()):
            tr.write_line(f"{name}: shortest sequence seen breaking {invariant}:")
            for step in steps:
                tr.write_line(f"    {step}")


@pytest.fixture
def world(redis_client, redis_url):
    """A fresh connection for one scripted sequence (the regression tests)."""
    from tests.model.world import World, settings_for

    return World(redis_client, settings_for(redis_url))


@pytest.fixture(scope="module")
def product(tmp_path_factory):
    """The whole product as processes (Redis with AOF, both emulators, gunicorn, two RQ workers)."""
    from bench.faults.suite import fault_product

    with fault_product(tmp_path_factory.mktemp("integrity-logs")) as p:
        yield p


@pytest.fixture
def live(product):
    """A fresh tenant on the running product, as the end-to-end checker starts each sequence."""
    from tests.model.live import new_live_world

    return new_live_world(product, [[0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1]])
