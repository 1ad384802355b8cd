"""amoCRM's webhooks misbehaving: duplicated, reordered, delayed ten minutes, dropped. The drain reads
amoCRM's current state (a webhook only names what changed), so duplicates and order do not matter;
delayed ones arrive late; dropped ones are healed by reconcile, which reports how many it healed."""

from __future__ import annotations

from bench.faults.suite import Context, Result, check, imported
from bench.settle import settle


def webhook_faults(ctx: Context) -> Result:
    amo = ctx.product.amo
    k = ctx.size(40, 12)
    tenant, expected = imported(ctx, "hooks", ctx.size(400, 120))
    host = tenant.host
    by_id = {lead["id"]: lead["name"] for lead in tenant.leads()}
    ids = sorted(by_id)
    twice, delayed, dropped = ids[:k], ids[k : 2 * k], ids[2 * k : 3 * k]
    stage = next(
        s
        for p in amo.account(host)["pipelines"]
        if p["is_main"]
        for s in p["statuses"]
        if s["name"] == "Переговоры"
    )

    amo.set_faults(webhook_duplicate=2 * k, webhook_reorder=True)  # two changes each, both hooks sent twice
    for i, lead_id in enumerate(twice):
        amo.manager_update_lead(host, lead_id, price=310_000 + i)
        amo.manager_update_lead(host, lead_id, price=320_000 + i)
        expected.prices[by_id[lead_id]] = 320_000 + i
    amo.set_faults(webhook_duplicate=0, webhook_reorder=False, webhook_delay=600.0)
    for lead_id in delayed:
        amo.manager_set_status(host, lead_id, stage["id"])
        expected.statuses[by_id[lead_id]] = stage["name"]
    amo.set_faults(webhook_delay=0.0, webhook_drop=k)
    for i, lead_id in enumerate(dropped):
        amo.manager_update_lead(host, lead_id, price=330_000 + i)
        expected.prices[by_id[lead_id]] = 330_000 + i
    amo.set_faults(webhook_drop=0)
    settle(ctx.product)
    notes = []
    _, rows = tenant.table()
    early = sum(1 for r in rows if r.get("Статус") == stage["name"])
    if early:
        notes.append(f"{early} delayed changes showed before their webhooks arrived")
    amo.advance(601)  # ten minutes later: the delayed deliveries go out
    settle(ctx.product)
    r = tenant.call("POST", "/reconcile")
    job = tenant.wait_job(r.json()["job_id"])
    settle(ctx.product)
    healed = (job.get("result") or {}).get("healed")
    if healed != k:
        notes.append(f"reconcile reported {healed} healed, want {k} (the dropped ones)")
    faults = f"{k} leads changed twice, hooks duplicated + reordered; {k} delayed 10 min; {k} dropped"
    return Result(faults, check(tenant, expected), notes)
