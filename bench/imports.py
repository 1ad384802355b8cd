"""Import benchmark: N new rows -> N contacts and N leads, one full sync through the real processes.

Measured in one run: wall time from the add-on's POST /sync to the job's `finished` (polled every 50 ms),
amoCRM and Sheets calls as the EMULATORS counted them (for the tenant's own amoCRM account), the floor
— 2·⌈N/250⌉ amoCRM writes at the configured rate, i.e. the time the writes alone need — and the peak
RSS of the web and worker processes. Afterwards it waits until amoCRM's webhooks for the created leads
have been drained ("echo") and counts those calls separately. Every figure is checked against the end
state first: N leads, N contacts, every row marked synced.
"""

from __future__ import annotations

import math
import time
from typing import Any

from bench.memory import PeakMemory
from bench.product import Product
from bench.rows import new_rows
from bench.settle import settle
from bench.tenant import Tenant

BATCH = 250


def floor_s(rows: int, rps: float) -> float:
    return 2 * math.ceil(rows / BATCH) / rps


def run_import(product: Product, rows: int, host: str) -> dict[str, Any]:
    """Run on a product started with no workers: the import gets a worker of its own on the `sync`
    queue, so amoCRM's webhooks about the new leads wait (as they would behind the import anyway) and
    every call counted until the job ends is the import's; a full worker then drains the echo."""
    tenant = Tenant.create(product, new_rows(rows), host=host)
    product.start_worker("import", queues="sync")
    product.amo.reset_counters()
    product.sheets.reset_counters()
    with PeakMemory(product.pids) as mem:
        started = time.time()
        job_id = tenant.start_sync(confirm=False)
        job = tenant.wait_job(job_id, timeout_s=3600, poll_s=0.5)
        rq_job = tenant.rq_job(job_id)
        wall = rq_job.ended_at.timestamp() - started
    if job["status"] != "finished":
        raise RuntimeError(f"import of {rows} rows ended {job['status']}: {job}")
    amo = product.amo.counters()["by_account"].get(host, 0)
    sheets = sum(product.sheets.counters().values())
    check_imported(tenant, rows)
    product.stop_worker("import")
    product.start_worker("drain")
    settle(product)
    product.stop_worker("drain")
    amo_echo = product.amo.counters()["by_account"].get(host, 0) - amo
    sheets_echo = sum(product.sheets.counters().values()) - sheets
    floor = floor_s(rows, product.limits.amo_rps)
    return {
        "rows": rows,
        "wall_s": round(wall, 2),
        "floor_s": round(floor, 2),
        "ratio_to_floor": round(wall / floor, 2),
        "amo_calls": amo,
        "amo_calls_per_row": round(amo / rows, 4),
        "sheets_calls": sheets,
        "amo_calls_echo": amo_echo,
        "sheets_calls_echo": sheets_echo,
        "peak_rss_mb": max(mem.peak_mb.get(r, 0.0) for r in ("web", "worker")),
        "peak_rss_mb_by_role": {r: mem.peak_mb[r] for r in ("web", "worker") if r in mem.peak_mb},
        "phases_ms": rq_job.meta.get("report", {}).get("phases_ms", {}),
    }


def check_imported(tenant: Tenant, rows: int) -> None:
    leads, contacts = tenant.leads(), tenant.contacts()
    _, table = tenant.table()
    synced = sum(1 for r in table if str(r.get("amo_sync_status", "")).startswith("✓"))
    if (len(leads), len(contacts), synced) != (rows, rows, rows):
        raise RuntimeError(
            f"import of {rows} rows: {len(leads)} leads, {len(contacts)} contacts, {synced} rows synced"
        )
