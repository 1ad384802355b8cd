"""Webhook benchmark: amoCRM's webhooks at a sustained rate against the gunicorn web service.

Set-up: a tenant with `synced` rows; `leads` of their leads (a fifth: as many as the blast-radius guard
lets an automatic run change without a person's confirmation — a manager changing *every* lead would,
rightly, wait for one) then get a new budget in amoCRM by a manager, with amoCRM's own deliveries of
those changes dropped — so the only way the sheet learns them is the
load. A separate process (`bench/loadgen.py`) then POSTs amoCRM-shaped `leads[update]` bodies for those
leads (cycling through them; a lead's change arrives several times, as amoCRM's retries do) at `rate`
requests/s for `duration_s`. Measured: ack latency p50/p95/p99 and errors at the load generator, and
the time from the first webhook until every changed budget is in the sheet.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.product import Product
from bench.rows import new_rows
from bench.settle import settle
from bench.tenant import Tenant

NEW_PRICE = 700_000


def hook_body(account: dict, lead: dict, price: int) -> str:
    """One `leads[update]` item with the fields amoCRM sends (values as strings, dates as stamps)."""
    item = {
        "id": lead["id"],
        "name": lead["name"],
        "status_id": lead["status_id"],
        "pipeline_id": lead["pipeline_id"],
        "price": price,
        "responsible_user_id": lead["responsible_user_id"],
        "last_modified": lead["updated_at"],
        "modified_user_id": lead["updated_by"],
        "created_user_id": lead["created_by"],
        "date_create": lead["created_at"],
        "account_id": account["id"],
        "created_at": lead["created_at"],
        "updated_at": lead["updated_at"],
    }
    pairs = [("account[subdomain]", account["subdomain"]), ("account[id]", account["id"])]
    pairs += [(f"leads[update][0][{k}]", v) for k, v in item.items()]
    return urlencode(pairs)


def run_webhooks(
    product: Product,
    host: str,
    leads: int = 1000,
    synced: int = 5000,
    rate: float = 300,
    duration_s: float = 30,
) -> dict[str, Any]:
    tenant = Tenant.create(product, new_rows(synced), host=host)
    if tenant.sync()["status"] != "finished":
        raise RuntimeError("webhooks benchmark: the initial import did not finish")
    settle(product)
    amo = product.amo
    account = amo.account(host)
    (hook,) = [h for h in amo.webhooks(host) if h["destination"].startswith(product.web_url)]
    changed = {lead["id"] for lead in sorted(tenant.leads(), key=lambda x: x["id"])[:leads]}
    amo.set_faults(webhook_drop=leads)
    for lead_id in sorted(changed):
        amo.manager_update_lead(host, lead_id, price=NEW_PRICE + lead_id % 1000)
    amo.set_faults(webhook_drop=0)
    bodies = [hook_body(account, lead, lead["price"]) for lead in tenant.leads() if lead["id"] in changed]
    amo.reset_counters()
    product.sheets.reset_counters()
    with tempfile.TemporaryDirectory() as tmp:
        spec, out = Path(tmp) / "spec.json", Path(tmp) / "out.json"
        spec.write_text(
            json.dumps(
                {
                    "url": hook["destination"],
                    "rate": rate,
                    "duration_s": duration_s,
                    "connections": 32,
                    "bodies": bodies,
                }
            )
        )
        started = time.time()
        load = subprocess.Popen([sys.executable, "-m", "bench.loadgen", str(spec), str(out)], env=product.env)
        in_sheet = _wait_until_in_sheet(tenant, leads, load)
        if load.wait(timeout=duration_s + 120) != 0:
            raise RuntimeError("the load generator failed")
        ended = time.time()
        result = json.loads(out.read_text())
    if in_sheet is None:
        in_sheet = _wait_until_in_sheet(tenant, leads, None)
    settle(product)
    return {
        **result,
        "leads": leads,
        "synced_rows": synced,
        "all_in_sheet_s": round(in_sheet - started, 1) if in_sheet else None,
        "all_in_sheet_after_load_s": round(max(0.0, in_sheet - ended), 1) if in_sheet else None,
        "amo_calls": amo.counters()["by_account"].get(host, 0),
        "sheets_calls": sum(product.sheets.counters().values()),
    }


def _wait_until_in_sheet(tenant: Tenant, leads: int, load: subprocess.Popen | None) -> float | None:
    """Poll the sheet each second until every row shows its new budget; None if the load ended first
    (the caller then waits without the load), or after five quiet minutes."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        _, rows = tenant.table()
        done = sum(1 for r in rows if isinstance(r.get("Бюджет"), (int, float)) and r["Бюджет"] >= NEW_PRICE)
        if done == leads:
            return time.time()
        if load is not None and load.poll() is not None:
            return None
        time.sleep(1.0)
    raise TimeoutError(f"the sheet did not show every change within 5 minutes ({done} of {leads})")
