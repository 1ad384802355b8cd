"""The checker's fixtures. Its session report (bench/results/integrity.json) is written by tests/conftest.py,
which pytest loads in the process that reports, also under pytest-xdist."""

from __future__ import annotations

import pytest


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
