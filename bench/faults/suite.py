"""The fault suite's frame: the product it runs in, what a case returns, and the helpers cases share.

Every case runs against ONE running product (`fault_product`): Redis with AOF, both emulators, gunicorn
and two RQ worker processes. amoCRM keeps its real limits (7 req/s, 250 per batch, 429 → 403 ban) and
the backend's amoCRM timeout is 2 s; the Sheets quotas are 10x Google's defaults, because the cases are
about correctness and would otherwise spend minutes waiting for quota (Sheets 429s are injected by one
case instead). Each case has its own amoCRM account and spreadsheet, so cases do not see each other.

A case is `fn(ctx) -> Result`; sizes come from `ctx.size(full, short)` — `make faults` runs the full
sizes, `make test` the short ones, with the same checks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rq.job import Job

from bench.faults.checks import Expected, Verdict, verify
from bench.product import Limits, Product
from bench.rows import new_rows
from bench.settle import settle
from bench.tenant import Tenant

FAULT_LIMITS = Limits(sheets_reads_per_minute=600, sheets_writes_per_minute=600, amo_timeout_s=2.0)


def fault_product(log_dir: Path) -> Product:
    return Product.start(log_dir, FAULT_LIMITS, workers=2, appendonly=True)


@dataclass
class Result:
    faults: str  # what was injected, in words
    verdict: Verdict
    notes: list[str] = field(default_factory=list)  # case-specific checks that failed


@dataclass
class Outcome:
    case: str
    faults: str
    rows: int
    lost: int
    duplicated: int
    ok: bool
    seconds: float
    detail: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "faults": self.faults,
            "rows": self.rows,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "ok": self.ok,
            "seconds": round(self.seconds, 1),
            "detail": self.detail,
        }


@dataclass
class Context:
    product: Product
    short: bool

    def size(self, full: int, short: int) -> int:
        return short if self.short else full


Case = Callable[[Context], Result]


def run_case(name: str, case: Case, ctx: Context) -> Outcome:
    started = time.monotonic()
    try:
        result = case(ctx)
        v = result.verdict
        detail = [*result.notes, *v.problems]
        return Outcome(
            name,
            result.faults,
            v.rows,
            v.lost,
            v.duplicated,
            v.ok and not result.notes,
            time.monotonic() - started,
            detail,
        )
    except Exception as exc:  # a case that cannot finish is a failed case, with the reason in the table
        return Outcome(
            name,
            "(did not finish)",
            0,
            0,
            0,
            False,
            time.monotonic() - started,
            [f"{type(exc).__name__}: {exc}"[:500]],
        )
    finally:
        reset_knobs(ctx.product)


def reset_knobs(product: Product) -> None:
    """Every fault knob back to normal (amoCRM's limits stay real); nothing left queued."""
    product.amo.set_faults(
        rps=product.limits.amo_rps,
        webhook_drop=0,
        webhook_duplicate=0,
        webhook_reorder=False,
        webhook_delay=0.0,
        html_errors=False,
        retry_after=None,
        ban_after=10,
    )
    product.sheets.clear_faults()


# --- helpers cases share ------------------------------------------------------------------------------


def bad_rows(n: int) -> list[list[str]]:
    """Rows that must be explained, never synced: half with a broken e-mail, half with a budget in words."""
    out = []
    for i in range(n):
        if i % 2:
            out.append([f"Bad Email {i}", "", f"broken{i}@", "500", ""])
        else:
            out.append([f"Bad Budget {i}", "", f"budget{i}@example.ru", "дорого", ""])
    return out


def new_tenant(ctx: Context, host: str, rows: int, bad: int = 0) -> tuple[Tenant, Expected]:
    good = new_rows(rows)
    broken = bad_rows(bad)
    tenant = Tenant.create(ctx.product, [*good, *broken], host=f"{host}.amocrm.ru")
    expected = Expected({r[0]: int(r[3]) for r in good}, {r[0] for r in broken})
    return tenant, expected


def imported(ctx: Context, host: str, rows: int, bad: int = 0) -> tuple[Tenant, Expected]:
    """A tenant whose rows are already synced, and the product quiet again."""
    tenant, expected = new_tenant(ctx, host, rows, bad)
    job = tenant.sync()
    if job["status"] != "finished":
        raise RuntimeError(f"the set-up import ended {job['status']}: {job.get('error')}")
    settle(ctx.product)
    return tenant, expected


def rq_job(ctx: Context, job_id: str) -> Job:
    return Job.fetch(job_id, connection=ctx.product.redis)


def wait_phase(ctx: Context, job_id: str, phase: str, min_done: int = 0, timeout_s: float = 120) -> Job:
    """Poll the job's progress in Redis (every 10 ms) until it is in `phase` with `min_done` items done."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = rq_job(ctx, job_id)
        p = job.meta.get("progress") or {}
        if p.get("phase") == phase and p.get("done", 0) >= min_done:
            return job
        if job.get_status() in ("finished", "failed"):
            raise RuntimeError(f"job {job_id} ended before reaching {phase!r} ({p})")
        time.sleep(0.01)
    raise TimeoutError(f"job {job_id} did not reach {phase!r} with {min_done} done in {timeout_s:.0f} s")


def finish(ctx: Context, tenant: Tenant, job_id: str, timeout_s: float = 600) -> dict:
    job = tenant.wait_job(job_id, timeout_s=timeout_s)
    settle(ctx.product)
    return job


def edit_budgets(tenant: Tenant, expected: Expected, names: list[str], base: int) -> dict[str, int]:
    """Type new budgets into the rows of `names` as the person, and send them like onEdit does."""
    head, table = tenant.table()
    col = chr(ord("A") + head.index("Бюджет"))
    index = {str(r["Имя"]): (i, r) for i, r in enumerate(table)}
    keys, prices = [], {}
    for k, name in enumerate(names):
        i, row = index[name]
        prices[name] = base + k
        tenant.edit(f"{tenant.title}!{col}{i + 2}", [[str(prices[name])]])
        keys.append(row["amo_sync_id"])
    tenant.send_edits(keys)
    expected.prices.update(prices)
    return prices


def check(tenant: Tenant, expected: Expected) -> Verdict:
    return verify(tenant, expected)
