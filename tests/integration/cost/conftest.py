"""Fixtures of the Sheets-cost tests: the sync stack (tests/integration/sync/conftest.py) with three
synced rows."""

from __future__ import annotations

import pytest

from tests.integration.sync.conftest import make_stack, sheets, sync_backend  # noqa: F401 (fixtures)
from tests.integration.sync.messy import HEADERS

ROWS = [
    ["Иван Петров", "8 912 000-00-01", "ivan@x.ru", "100", ""],
    ["Olga Smirnova", "8 912 000-00-02", "olga@x.ru", "200", ""],
    ["Пётр Иванов", "8 912 000-00-03", "petr@x.ru", "300", ""],
]


@pytest.fixture
def small(make_stack):  # noqa: F811
    stack = make_stack(ROWS, HEADERS)
    assert stack.sync()["status"] == "finished"
    stack.settle()
    return stack
