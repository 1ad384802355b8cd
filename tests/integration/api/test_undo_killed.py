"""An undo interrupted by kill -9 finishes on retry, and running it again ends in the same state.

Real processes (bench.product: Redis, both emulators at amoCRM's real 7 requests/s, gunicorn, an RQ
worker process): an import of 1,500 rows, then an undo of it that moves its leads to a stage and tags
them (confirmed past the share-of-rows guard); the worker and its work horse are killed while the
undo writes to amoCRM, a new worker takes the abandoned job. Nothing is deleted, every lead ends
tagged in the picked stage, every row marked — and a second undo of the same run leaves both sides
exactly as they were."""

from __future__ import annotations

import time

import pytest
from rq.job import Job

from backend.sync.undo import UNDONE_TAG
from bench.product import Product
from bench.rows import new_rows
from bench.settle import settle
from bench.tenant import Tenant

ROWS = 1500


@pytest.fixture
def product(tmp_path):
    with Product.start(tmp_path / "logs", workers=1) as p:
        yield p


def wait_phase(product: Product, job_id: str, phase: str, timeout_s: float = 120) -> Job:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = Job.fetch(job_id, connection=product.redis)
        if (job.meta.get("progress") or {}).get("phase") == phase:
            return job
        assert job.get_status() not in ("finished", "failed"), f"the undo ended before {phase!r}"
        time.sleep(0.01)
    raise TimeoutError(phase)


def both_sides(tenant: Tenant) -> tuple:
    """amoCRM's leads (id, stage, price, tags) and the sheet without its sync-status stamps."""
    leads = sorted(
        (x["id"], x["status_id"], x["price"], tuple(sorted(t["name"] for t in x["_embedded"]["tags"])))
        for x in tenant.leads()
    )
    _, table = tenant.table()
    rows = sorted(tuple((k, str(v)) for k, v in r.items() if k != "amo_sync_status") for r in table)
    marks = [str(r["amo_sync_status"]) for r in table]
    return leads, rows, marks


@pytest.mark.slow
def test_an_undo_killed_mid_way_finishes_and_a_rerun_changes_nothing(product):
    tenant = Tenant.create(product, new_rows(ROWS), host="undo.amocrm.ru")
    assert tenant.sync()["status"] == "finished"
    settle(product)
    (imported,) = tenant.call("GET", "/runs").json()["runs"]
    pipeline = next(p for p in product.amo.account(tenant.host)["pipelines"] if p["is_main"])
    stage = pipeline["statuses"][2]["id"]
    leads_before = {x["id"] for x in tenant.leads()}
    assert len(leads_before) == ROWS

    r = tenant.call("POST", f"/runs/{imported['run_id']}/undo", {"stage": stage, "confirm": True})
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    job = wait_phase(product, job_id, "updating leads")
    victim = job.worker_name
    killed = product.kill_worker(victim)
    assert len(killed) >= 2, "the work horse was not killed"
    assert Job.fetch(job_id, connection=product.redis).get_status() == "started"  # it hit mid-job
    product.start_worker(f"{victim}-restarted")
    done = tenant.wait_job(job_id, timeout_s=600)
    assert done["status"] == "finished", done
    settle(product)

    leads, rows, marks = both_sides(tenant)
    assert {x[0] for x in leads} == leads_before  # nothing deleted, nothing created
    assert all(s == stage and UNDONE_TAG in tags for _, s, _, tags in leads)
    assert all(m.startswith("↶ undone") for m in marks)
    undo_runs = [x for x in tenant.call("GET", "/runs").json()["runs"] if x["trigger"] == "undo"]
    assert len(undo_runs) == 1 and undo_runs[0]["counts"]["leads_kept"] == ROWS

    again = tenant.call("POST", f"/runs/{imported['run_id']}/undo", {"stage": stage, "confirm": True}).json()[
        "job_id"
    ]
    assert tenant.wait_job(again, timeout_s=600)["status"] == "finished"
    settle(product)
    assert both_sides(tenant)[:2] == (leads, rows)
