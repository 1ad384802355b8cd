"""The product as real processes with two tenants — Alice's sheet on one amoCRM account and Bob's on
another — each set up over HTTP as the add-on and a person do it. Shared by the security suite: the
cross-tenant checks, HTTP fuzzing, schemathesis and the log scan (which reads these processes' logs)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bench.product import SERVICE_ACCOUNT, Limits, Product
from bench.rows import new_rows
from bench.settle import settle
from bench.tenant import HEADERS, Tenant, register

# Real amoCRM limits; generous Sheets quotas (schemathesis reads mappings many times a minute).
LIMITS = Limits(sheets_reads_per_minute=100_000, sheets_writes_per_minute=100_000)


@dataclass
class Two:
    product: Product
    a: Tenant  # Alice's
    b: Tenant  # Bob's


@pytest.fixture(scope="session")
def two(tmp_path_factory) -> Two:
    with Product.start(tmp_path_factory.mktemp("security-logs"), LIMITS, workers=1) as product:
        a = Tenant.create(product, new_rows(5), host="alice.amocrm.ru", person="alice@example.com")
        b = Tenant.create(product, new_rows(5, start=100), host="bob.amocrm.ru", person="bob@example.com")
        for t in (a, b):
            assert t.sync()["status"] == "finished"
        settle(product)
        yield Two(product, a, b)


def new_sheet(product: Product, person: str, title: str = "Leads", editors: tuple[str, ...] = ()) -> Tenant:
    """A sheet registered by `person` (over HTTP, as the add-on does) and not connected to amoCRM."""
    sid = product.sheets.create_spreadsheet(
        "Mine",
        [HEADERS, *new_rows(2, start=900)],
        sheet_title=title,
        owner=person,
        editors=[SERVICE_ACCOUNT, *editors],
    )
    cid, secret = register(product, sid, person, title)
    return Tenant(product, "", sid, cid, secret, title)
