"""Edits benchmarks: single-row budget edits as a person typing in the sheet, sent the way the add-on's
edit trigger sends them — a signed POST /edits with the row's mapped values (addon/lib/rows.js) — so
the backend plans from them and answers the row's status without a Sheets API call.

- `run_edits`: 200 edits spread evenly over a minute, each POST on its own thread as the trigger runs
  per edit (a POST waits for its answer, so a sequential loop would pace the burst by the backend).
- `run_edit_idle`: one edit at a time, the next once the last one and amoCRM's echo of it are done.
- `run_reconcile_idle`: what a reconcile of a connection nobody changed costs.

Latency runs from the POST to the moment amoCRM announced the lead at the new budget (a webhook
receiver in this process, `bench/receiver.py`). Calls per edit are everything the emulators counted
for the tenant while the edits and their consequences (amoCRM's webhooks about our own writes) ran,
divided by the number of edits.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from backend.sheets.layout import letter
from bench.loadgen import percentile
from bench.product import Product
from bench.receiver import receiving
from bench.rows import new_rows
from bench.settle import settle
from bench.tenant import Tenant


def _ready(product: Product, host: str, rows: int) -> tuple[Tenant, str, list[dict], dict[str, str]]:
    tenant = Tenant.create(product, new_rows(rows), host=host)
    if tenant.sync()["status"] != "finished":
        raise RuntimeError("edits benchmark: the initial import did not finish")
    settle(product)
    head, table = tenant.table()
    columns = {c["header"]: c["column"] for c in tenant.state()["mapping"]["columns"]}
    return tenant, letter(head.index("Бюджет")), table, columns


def _edit(tenant: Tenant, column: str, columns: dict[str, str], i: int, row: dict, price: int) -> float:
    """The person types the budget of data row i, the trigger sends the row; -> when the POST started."""
    tenant.edit(f"{tenant.title}!{column}{i + 2}", [[str(price)]])
    values = {cid: row.get(header, "") for header, cid in columns.items()} | {columns["Бюджет"]: str(price)}
    at = time.time()
    sent = {"key": row["amo_sync_id"], "row": i + 2, "edited_at": int(at * 1000), "values": values}
    sent["edited"] = [columns["Бюджет"]]  # the column the person typed (addon/lib/rows.js)
    if row.get("amo_lead_id"):
        sent["lead_id"] = row["amo_lead_id"]
    resp = tenant.call("POST", "/edits", {"rows": [sent]})
    if resp.status_code != 202:
        raise RuntimeError(f"edits benchmark: POST /edits answered {resp.status_code}: {resp.text[:200]}")
    return at


def _figures(product: Product, host: str, edits: int, latencies: list[float], lost: int) -> dict[str, Any]:
    amo = product.amo.counters()
    sheets = product.sheets.counters()
    return {
        "edits": edits,
        "lost": lost,
        "p50_ms": round(percentile(latencies, 50)),
        "p95_ms": round(percentile(latencies, 95)),
        "max_ms": round(max(latencies, default=0)),
        "amo_calls_per_edit": round(amo["by_account"].get(host, 0) / edits, 2),
        "sheets_calls_per_edit": round(sum(sheets.values()) / edits, 2),
        "amo_calls_by_endpoint": amo["by_account_endpoint"].get(host, {}),
        "sheets_calls_by_method": sheets,
    }


def run_edits(product: Product, host: str, edits: int = 200, over_s: float = 60.0) -> dict[str, Any]:
    tenant, column, table, columns = _ready(product, host, edits)
    with receiving(product.amo_url, host) as updates, ThreadPoolExecutor(32) as pool:
        product.amo.reset_counters()
        product.sheets.reset_counters()
        futures = []
        start = time.time()
        for i in range(edits):
            time.sleep(max(0.0, start + i * over_s / edits - time.time()))
            row, price = table[i % len(table)], 500_000 + i
            futures.append(
                (int(row["amo_lead_id"]), price, pool.submit(_edit, tenant, column, columns, i, row, price))
            )
        latencies, lost = [], 0
        for lead_id, price, future in futures:
            at = future.result()
            arrived = updates.wait(lead_id, price, timeout_s=300)
            if arrived is None:
                lost += 1
            else:
                latencies.append((arrived - at) * 1000)
        settle(product)
    return {**_figures(product, host, edits, latencies, lost), "over_s": over_s}


def run_edit_idle(product: Product, host: str, edits: int = 20) -> dict[str, Any]:
    tenant, column, table, columns = _ready(product, host, edits)
    with receiving(product.amo_url, host) as updates:
        product.amo.reset_counters()
        product.sheets.reset_counters()
        latencies, lost = [], 0
        for i in range(edits):
            row, price = table[i], 700_000 + i
            at = _edit(tenant, column, columns, i, row, price)
            arrived = updates.wait(int(row["amo_lead_id"]), price, timeout_s=60)
            if arrived is None:
                lost += 1
            else:
                latencies.append((arrived - at) * 1000)
            settle(product)  # one at a time: this edit and amoCRM's echo of it are done before the next
            time.sleep(1.2)  # a person, not a script: the account's 7 req/s window is free again
        settle(product)
    return _figures(product, host, edits, latencies, lost)


def run_reconcile_idle(product: Product, host: str, rows: int = 200) -> dict[str, Any]:
    """A reconcile after one that saw everything: nobody changed either side since."""
    tenant, *_ = _ready(product, host, rows)

    def reconcile() -> dict:
        resp = tenant.call("POST", "/reconcile")
        if resp.status_code != 202:
            raise RuntimeError(f"reconcile answered {resp.status_code}: {resp.text[:200]}")
        return tenant.wait_job(resp.json()["job_id"])

    reconcile()  # the first reads the sheet: nothing was seen yet
    settle(product)
    product.amo.reset_counters()
    product.sheets.reset_counters()
    job = reconcile()
    return {
        "rows": rows,
        "sheets_calls": sum(product.sheets.counters().values()),
        "amo_calls": product.amo.counters()["by_account"].get(host, 0),
        "result": job.get("result"),
    }
