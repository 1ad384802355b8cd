"""Edits benchmark: single-row budget edits spread evenly over a minute, as a person typing in the sheet.

Each edit is made in the Sheets emulator as the person, then sent like the add-on's onEdit trigger
(a signed POST /edits). Latency runs from that POST to the moment amoCRM announced the lead at the new
budget (a webhook receiver in this process, `bench/receiver.py`). Calls per edit are everything the
emulators counted for the tenant while the edits and their consequences (amoCRM's webhooks about our
own writes) ran, divided by the number of edits.
"""

from __future__ import annotations

import time
from typing import Any

from backend.sheets.layout import letter
from bench.loadgen import percentile
from bench.product import Product
from bench.receiver import receiving
from bench.rows import new_rows
from bench.settle import settle
from bench.tenant import Tenant


def run_edits(product: Product, host: str, edits: int = 200, over_s: float = 60.0) -> dict[str, Any]:
    tenant = Tenant.create(product, new_rows(edits), host=host)
    if tenant.sync()["status"] != "finished":
        raise RuntimeError("edits benchmark: the initial import did not finish")
    settle(product)
    head, table = tenant.table()
    column = letter(head.index("Бюджет"))
    with receiving(product.amo_url, host) as updates:
        product.amo.reset_counters()
        product.sheets.reset_counters()
        sent: list[tuple[int, int, float]] = []
        start = time.time()
        for i in range(edits):
            time.sleep(max(0.0, start + i * over_s / edits - time.time()))
            row = table[i % len(table)]
            price = 500_000 + i
            tenant.edit(f"{tenant.title}!{column}{i % len(table) + 2}", [[str(price)]])
            at = time.time()
            tenant.send_edits([row["amo_sync_id"]], at=at)
            sent.append((int(row["amo_lead_id"]), price, at))
        latencies, lost = [], 0
        for lead_id, price, at in sent:
            arrived = updates.wait(lead_id, price, timeout_s=300)
            if arrived is None:
                lost += 1
            else:
                latencies.append((arrived - at) * 1000)
        settle(product)
    amo = product.amo.counters()
    sheets = product.sheets.counters()
    return {
        "edits": edits,
        "over_s": over_s,
        "lost": lost,
        "p50_ms": round(percentile(latencies, 50)),
        "p95_ms": round(percentile(latencies, 95)),
        "max_ms": round(max(latencies, default=0)),
        "amo_calls_per_edit": round(amo["by_account"].get(host, 0) / edits, 2),
        "sheets_calls_per_edit": round(sum(sheets.values()) / edits, 2),
        "amo_calls_by_endpoint": amo["by_account_endpoint"].get(host, {}),
        "sheets_calls_by_method": sheets,
    }
