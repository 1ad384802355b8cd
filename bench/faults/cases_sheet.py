"""The sheet side: Sheets API 429/503 bursts, and a person sorting, inserting and deleting rows while a
sync is between reading the sheet and writing it back."""

from __future__ import annotations

from backend.sheets.layout import letter
from bench.faults.suite import Context, Result, check, edit_budgets, finish, imported, new_tenant, wait_phase
from bench.rows import row
from bench.settle import settle
from bench.tenant import PERSON


def throttled(ctx: Context) -> Result:
    """The Sheets API answers 429 (quota) to the import's first reads, 503 to its write-back, and both
    again to edits: every call is retried with backoff, nothing is written twice or lost."""
    sheets = ctx.product.sheets
    n = ctx.size(2, 1)
    tenant, expected = new_tenant(ctx, "sheets", ctx.size(2000, 600), bad=ctx.size(20, 4))
    sheets.set_faults(status=429, count=n)
    job_id = tenant.start_sync()
    wait_phase(ctx, job_id, "creating leads", min_done=250, timeout_s=300)
    sheets.set_faults(status=503, count=n)
    job = finish(ctx, tenant, job_id)
    notes = [] if job["status"] == "finished" else [f"the import ended {job['status']}: {job.get('error')}"]
    sheets.set_faults(status=429, count=n)
    edit_budgets(tenant, expected, sorted(expected.prices)[:10], base=800_000)
    settle(ctx.product)
    sheets.set_faults(status=503, count=n)
    edit_budgets(tenant, expected, sorted(expected.prices)[10:20], base=810_000)
    settle(ctx.product)
    errors = sheets.error_counters()
    if not any(k.endswith((" 429", " 503")) for k in errors):
        notes.append("no Sheets call met the injected faults")
    return Result(f"Sheets 429 x{n} and 503 x{n}, twice each (import, edits)", check(tenant, expected), notes)


def rows_moved_during_sync(ctx: Context) -> Result:
    """Every lead's budget changes in amoCRM (its webhooks lost); a full sync starts; while it reads
    amoCRM, the person sorts the sheet by name (descending), inserts three rows, types two new people
    into two of them and deletes two other rows. The write-back must follow each row's key to where it
    is now; deleted rows delete nothing in amoCRM; the new people are synced by the next run."""
    amo, sheets = ctx.product.amo, ctx.product.sheets
    rows = ctx.size(1000, 300)
    tenant, expected = imported(ctx, "moved", rows)
    amo.set_faults(webhook_drop=rows)
    for lead in tenant.leads():
        expected.prices[lead["name"]] = 600_000 + lead["id"] % 1000
        amo.manager_update_lead(tenant.host, lead["id"], price=expected.prices[lead["name"]])
    amo.set_faults(webhook_drop=0)
    amo.force(delay=1.5, count=1)  # a slow amoCRM read: the person's changes land mid-run
    job_id = tenant.start_sync(confirm=True)
    wait_phase(ctx, job_id, "reading amoCRM")
    head, _ = tenant.table()
    sid, tab = tenant.spreadsheet_id, tenant.title
    sheets.sort(sid, f"{tab}!A2:{letter(len(head) - 1)}{rows + 1}", "A", ascending=False, user=PERSON)
    sheets.insert_rows(sid, 5, 3, user=PERSON)
    newcomers = [row(900_000 + i) for i in range(2)]
    sheets.edit_cells(sid, f"{tab}!A5:E6", newcomers, user=PERSON)
    _, table = tenant.table()
    for victim in (table[20]["Имя"], table[40]["Имя"]):
        _, table = tenant.table()
        at = next(i for i, r in enumerate(table) if r["Имя"] == victim) + 2
        sheets.delete_rows(sid, at, 1, user=PERSON)
        expected.prices.pop(victim)
        expected.removed.add(victim)
    job = finish(ctx, tenant, job_id)
    notes = [] if job["status"] == "finished" else [f"the sync ended {job['status']}: {job.get('error')}"]
    expected.prices.update({r[0]: int(r[3]) for r in newcomers})
    second = tenant.sync()
    settle(ctx.product)
    if second["status"] != "finished":
        notes.append(f"the next sync ended {second['status']}: {second.get('error')}")
    faults = "sort (desc), 3 rows inserted, 2 typed in, 2 deleted — between the run's read and write"
    return Result(faults, check(tenant, expected), notes)
