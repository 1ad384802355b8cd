"""Fleet benchmark: one deployment serving many connections against Google's default Sheets quotas.

Every connection is a spreadsheet of two people connected to an amoCRM account of its own (one amoCRM
emulator holding every account), set up over HTTP as the add-on does (`tenant.py`) and imported. The
set-up runs with the quotas off; then the Sheets emulator enforces Google's defaults (60 reads and 60
writes a minute for the service account, 300 a minute for the project) and the web service and the
workers restart configured for them, as a deploy would.

Steady state, for `minutes`:
- each sheet gets one person edit a minute (data row 1's budget, the edits spread evenly over the
  minute), sent as the add-on's trigger sends it (`edits.py`): no Sheets API call;
- amoCRM changes arrive as a Poisson process, one per sheet every 30 minutes on average: a manager
  changes the budget of data row 2's lead in amoCRM, so the product must write the sheet;
- the schedule's reconcile tick (`reconcile_all`: every connection at once, every 15 minutes) lands a
  minute in, on sheets people have been editing.

A change's latency runs from the moment it was made (the POST of an edit; the manager's change in
amoCRM) to its arrival on the other side: amoCRM announcing the lead at the new budget (a webhook
receiver in this process) for an edit; the sheet showing the new budget (the emulator's own view of the
grid, polled, no quota) for an amoCRM change. After the load stops the run waits for every change, then
for the product to be idle, and checks both sides end as the last change of each row says — a change
that never arrived, or an end state that differs, is lost. Calls per minute are the emulators' own
counts over the steady state; the queue depth (jobs waiting on every RQ queue, retries included) is
sampled every few seconds.

`run_raised_quota` then raises the service account's quota to 300 a minute (what Google grants on
request) and steps the amoCRM change rate up in short stages, edits going on as before; it reports the
last stage whose changes all arrived with p95 under 60 s.

Sizes come from the environment (`FLEET_CONNECTIONS`, `FLEET_MINUTES`, …; `FleetSize`), the issue's
figures by default. Nothing here asserts a time.
"""

from __future__ import annotations

import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from rq.registry import ScheduledJobRegistry, StartedJobRegistry

from backend import queues
from backend.sheets.layout import letter
from backend.sync import jobs
from bench.loadgen import percentile
from bench.product import Product
from bench.receiver import LeadUpdates, receiving
from bench.rows import new_rows
from bench.settle import settle
from bench.tenant import Tenant

AMO_CHANGE_EVERY_MIN = 30.0  # per sheet, on average
P95_HELD_S = 60.0  # a stage of the raised-quota run holds when its p95 stays below this
BUDGET = "Бюджет"


@dataclass(frozen=True)
class FleetSize:
    connections: int = 1000
    minutes: float = 5.0
    workers: int = 4
    setup_threads: int = 6
    stage_minutes: float = 1.5  # each stage of the raised-quota run
    stages: tuple[float, ...] = (33, 67, 100, 133, 167, 200, 250, 300)  # amoCRM changes a minute
    wait_s: float = 300.0  # after the load: how long changes may still take to arrive
    stage_wait_s: float = 180.0  # after a stage: a change later than this is far past P95_HELD_S

    @classmethod
    def from_env(cls) -> FleetSize:
        d = cls()
        stages = os.environ.get("FLEET_STAGES")
        return cls(
            connections=int(os.environ.get("FLEET_CONNECTIONS", d.connections)),
            minutes=float(os.environ.get("FLEET_MINUTES", d.minutes)),
            workers=int(os.environ.get("FLEET_WORKERS", d.workers)),
            setup_threads=int(os.environ.get("FLEET_SETUP_THREADS", d.setup_threads)),
            stage_minutes=float(os.environ.get("FLEET_STAGE_MINUTES", d.stage_minutes)),
            stages=tuple(float(x) for x in stages.split(",")) if stages else d.stages,
            wait_s=float(os.environ.get("FLEET_WAIT_S", d.wait_s)),
            stage_wait_s=float(os.environ.get("FLEET_STAGE_WAIT_S", d.stage_wait_s)),
        )

    @property
    def base_amo_rate(self) -> float:
        """amoCRM changes a minute over the whole fleet."""
        return self.connections / AMO_CHANGE_EVERY_MIN


@dataclass
class Sheet:
    """One connection: data row 1 is edited by its person, data row 2's lead is changed in amoCRM."""

    tenant: Tenant
    column: str  # the budget column's letter
    columns: dict[str, str]  # header -> column id, for the values an edit sends
    edit_row: dict[str, Any]
    amo_row: dict[str, Any]
    price: int = 0  # the last budget set on either row (every change sets a new one)
    last_edit: int = 0
    last_amo: int = 0
    amo_pending: bool = False


@dataclass
class Change:
    sheet: Sheet
    side: str  # "edit" (sheet -> amoCRM) or "amo" (amoCRM -> sheet)
    price: int
    at: float = 0.0
    arrived: float | None = None


@dataclass
class Samples:
    """Queue depth over time: (seconds since the load started, jobs waiting, jobs running)."""

    points: list[tuple[float, int, int]] = field(default_factory=list)

    def max_waiting(self, since: float = 0.0) -> int:
        return max((w for t, w, _ in self.points if t >= since), default=0)


# --- set-up ----------------------------------------------------------------------------------------------


def _connect(product: Product, i: int) -> Sheet:
    tenant = Tenant.create(product, new_rows(2, start=2 * i), host=f"fleet{i}.amocrm.ru")
    job = tenant.sync(timeout_s=1800)
    if job["status"] != "finished":
        raise RuntimeError(f"fleet: the import of connection {i} ended {job['status']}")
    head, table = tenant.table()
    columns = {c["header"]: c["column"] for c in tenant.state()["mapping"]["columns"]}
    return Sheet(tenant, letter(head.index(BUDGET)), columns, table[0], table[1])


def set_up(product: Product, size: FleetSize, log=print) -> list[Sheet]:
    """Every connection, with the quotas off (set-up is not what is measured)."""
    started = time.monotonic()
    with ThreadPoolExecutor(size.setup_threads) as pool:
        sheets = []
        for n, sheet in enumerate(pool.map(lambda i: _connect(product, i), range(size.connections)), 1):
            sheets.append(sheet)
            if n % 100 == 0:
                log(f"fleet: {n} connections set up ({time.monotonic() - started:.0f} s)")
    settle(product)
    return sheets


def set_quota(product: Product, per_user: int, per_project: int = 300) -> None:
    """The Sheets emulator enforces `per_user` a minute for the service account, and the web service and
    workers restart configured to pace to it. Reservations made under the old setting are dropped."""
    product.sheets.set_quotas(
        read_per_user=per_user,
        write_per_user=per_user,
        read_per_project=per_project,
        write_per_project=per_project,
        enabled=True,
    )
    product.reconfigure({"SHEETS_READS_PER_MINUTE": str(per_user), "SHEETS_WRITES_PER_MINUTE": str(per_user)})
    for key in product.redis.scan_iter("ratelimit:sheets:*"):
        product.redis.delete(key)


# --- the load --------------------------------------------------------------------------------------------


class Load:
    """Sends the changes, watches them arrive, samples the queues."""

    def __init__(self, product: Product, sheets: list[Sheet], updates: LeadUpdates, seed: int = 15):
        self.product = product
        self.sheets = sheets
        self.updates = updates
        self.rng = random.Random(seed)
        self.changes: list[Change] = []
        self.errors: list[str] = []
        self.samples = Samples()
        self.ticks: list[float] = []  # when the reconcile ticks came (seconds since the load started)
        self.t0 = time.time()
        self._lock = threading.Lock()
        self._amo_waiting: list[Change] = []
        self._stop = threading.Event()
        self._price = seed * 1_000_000  # every change a budget of its own, across loads too
        self._pool = ThreadPoolExecutor(160)
        self._threads = [
            threading.Thread(target=self._watch_sheets, daemon=True),
            threading.Thread(target=self._sample, daemon=True),
        ]
        for t in self._threads:
            t.start()

    def close(self) -> None:
        self._stop.set()
        self._pool.shutdown(wait=True)
        for t in self._threads:
            t.join(timeout=30)

    def _next_price(self) -> int:
        with self._lock:
            self._price += 1
            return self._price

    # --- sending -----------------------------------------------------------------------------------------

    def _edit(self, change: Change) -> None:
        s, t = change.sheet, change.sheet.tenant
        row = s.edit_row
        try:
            t.edit(f"{t.title}!{s.column}2", [[str(change.price)]])  # the person types it
            values = {cid: row.get(h, "") for h, cid in s.columns.items()} | {
                s.columns[BUDGET]: str(change.price)
            }
            change.at = time.time()
            sent = {
                "key": row["amo_sync_id"],
                "row": 2,
                "edited_at": int(change.at * 1000),
                "values": values,
                "lead_id": row["amo_lead_id"],
            }
            resp = t.call("POST", "/edits", {"rows": [sent]})
            if resp.status_code != 202:
                self.errors.append(f"POST /edits {resp.status_code}: {resp.text[:120]}")
        except Exception as exc:  # counted: the change is then lost, the run goes on
            self.errors.append(f"edit: {exc!r}"[:200])

    def _amo(self, change: Change) -> None:
        s = change.sheet
        try:
            change.at = time.time()
            s.tenant.product.amo.manager_update_lead(
                s.tenant.host, int(s.amo_row["amo_lead_id"]), price=change.price
            )
            with self._lock:
                self._amo_waiting.append(change)
        except Exception as exc:
            self.errors.append(f"amo change: {exc!r}"[:200])

    def _tick(self) -> None:
        """The schedule's reconcile tick: a reconcile for every connection at once, as `reconcile_all`
        enqueues them every 15 minutes (one queued at most per connection)."""
        for s in self.sheets:
            jobs.request_reconcile(self.product.redis, s.tenant.connection_id)
        self.ticks.append(round(time.time() - self.t0, 1))

    def run(self, minutes: float, amo_per_min: float, tick_at_s: float | None = None) -> list[Change]:
        """Edits (one per sheet a minute) and amoCRM changes (Poisson at `amo_per_min`) for `minutes`;
        the reconcile tick `tick_at_s` into them, if given."""
        start = time.time()
        end = start + minutes * 60
        n = len(self.sheets)
        offsets = {i: self.rng.uniform(0, 60) for i in range(n)}  # each sheet's second of the minute
        events: list[tuple[float, str, int]] = [
            (start + offsets[i] + 60 * k, "edit", i)
            for k in range(int(minutes + 0.999))
            for i in range(n)
            if offsets[i] + 60 * k < minutes * 60
        ]
        at = start
        while amo_per_min > 0:
            at += self.rng.expovariate(amo_per_min / 60)
            if at >= end:
                break
            events.append((at, "amo", -1))
        if tick_at_s is not None:
            events.append((start + tick_at_s, "tick", -1))
        events.sort()
        made: list[Change] = []
        for when, side, i in events:
            time.sleep(max(0.0, when - time.time()))
            if side == "tick":
                self._pool.submit(self._tick)
                continue
            if side == "amo":
                idle = [s for s in self.sheets if not s.amo_pending]
                if not idle:
                    continue
                sheet = self.rng.choice(idle)
                sheet.amo_pending = True
            else:
                sheet = self.sheets[i]
            change = Change(sheet, side, self._next_price())
            if side == "edit":
                sheet.last_edit = change.price
            else:
                sheet.last_amo = change.price
            made.append(change)
            self._pool.submit(self._edit if side == "edit" else self._amo, change)
        self.changes += made
        return made

    # --- watching ----------------------------------------------------------------------------------------

    def _watch_sheets(self) -> None:
        """amoCRM changes arrive in the sheet: poll the grid of each sheet with one waiting."""
        while not self._stop.is_set():
            with self._lock:
                waiting = list(self._amo_waiting)
            for change in waiting:
                s = change.sheet
                try:
                    grid = self.product.sheets.values(s.tenant.spreadsheet_id, s.tenant.title)
                except Exception as exc:  # the emulator busy: look again on the next round
                    self.errors.append(f"watching a sheet: {exc!r}"[:200])
                    continue
                head = [str(h) for h in grid[0]]
                row = grid[2] if len(grid) > 2 else []
                cell = row[head.index(BUDGET)] if len(row) > head.index(BUDGET) else ""
                if str(cell) == str(change.price):
                    change.arrived = time.time()
                    s.amo_pending = False
                    with self._lock:
                        self._amo_waiting.remove(change)
            self._stop.wait(0.5 if len(waiting) < 50 else 0.05)

    def _sample(self) -> None:
        r = self.product.redis
        while not self._stop.is_set():
            waiting = running = 0
            for name in queues.ALL:
                q = queues.queue(name, r)
                waiting += q.count + len(ScheduledJobRegistry(queue=q))
                running += len(StartedJobRegistry(queue=q))
            self.samples.points.append((round(time.time() - self.t0, 1), waiting, running))
            self._stop.wait(5.0)

    def wait(self, changes: list[Change], timeout_s: float) -> None:
        """Until every change arrived (or `timeout_s`). An edit has arrived when amoCRM announced its
        budget or a later one the person typed into the same cell: a run that starts after both takes
        the newer (the add-on sends the row as it is), and the person's last value is what must land."""
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            by_lead: dict[int, list[tuple[int, float]]] = {}
            for (lead, price), at in list(self.updates.seen.items()):
                by_lead.setdefault(lead, []).append((price, at))
            for c in changes:
                if c.side == "edit" and c.arrived is None and c.at:
                    lead = int(c.sheet.edit_row["amo_lead_id"])
                    later = [at for price, at in by_lead.get(lead, ()) if price >= c.price]
                    c.arrived = min(later, default=None)
            if all(c.arrived is not None for c in changes):
                return
            time.sleep(1.0)

    # --- figures -----------------------------------------------------------------------------------------

    def verify(self) -> int:
        """Rows whose end state is not their last change (either side)."""
        wrong = 0
        for s in self.sheets:
            t = s.tenant
            leads = {int(x["id"]): x for x in t.leads()}
            _, table = t.table()
            if s.last_edit and int(leads[int(s.edit_row["amo_lead_id"])].get("price") or 0) != s.last_edit:
                wrong += 1
            if s.last_amo and str(table[1].get(BUDGET)) != str(s.last_amo):
                wrong += 1
        return wrong


def quiet(product: Product, timeout_s: float) -> bool:
    """Wait (at most `timeout_s`) until no job is queued or running; False if the time ran out."""
    try:
        settle(product, timeout_s=timeout_s)
        return True
    except TimeoutError:
        return False


def latencies(changes: list[Change]) -> list[float]:
    return [c.arrived - c.at for c in changes if c.arrived is not None and c.at]


def _stats(changes: list[Change], not_yet: float | None = None) -> dict[str, Any]:
    """p50/p95/max over the changes that arrived; with `not_yet` (a time), one that had not arrived by
    then counts as arriving then instead of lost (a raised-quota stage stops waiting for changes surely
    too late)."""
    lat = latencies(changes)
    if not_yet is not None:
        lat += [not_yet - c.at for c in changes if c.arrived is None and c.at]
    out: dict[str, Any] = {"changes": len(changes), "lost": sum(1 for c in changes if c.arrived is None)}
    out["p50_s"] = round(percentile(lat, 50), 2) if lat else None
    out["p95_s"] = round(percentile(lat, 95), 2) if lat else None
    out["max_s"] = round(max(lat), 2) if lat else None
    return out


def _calls(product: Product, minutes: float) -> dict[str, Any]:
    sheets = product.sheets.counters()
    errors = product.sheets.error_counters()
    amo = product.amo.counters()
    from sandbox.sheets.quotas import kind_of

    reads = sum(n for m, n in sheets.items() if kind_of(m) == "read")
    return {
        "sheets_calls_per_min": round(sum(sheets.values()) / minutes, 1),
        "sheets_reads_per_min": round(reads / minutes, 1),
        "sheets_writes_per_min": round((sum(sheets.values()) - reads) / minutes, 1),
        "sheets_429": sum(n for k, n in errors.items() if k.endswith(" 429")),
        "amo_calls_per_min": round(sum(amo["by_account"].values()) / minutes, 1),
        "amo_429": int(amo.get("by_status", {}).get("429", 0)),
        "sheets_calls_by_method": sheets,
    }


# --- the two runs ----------------------------------------------------------------------------------------


def run_fleet(
    product: Product, sheets: list[Sheet], updates: LeadUpdates, size: FleetSize, log=print
) -> dict[str, Any]:
    """Default quotas, `size.minutes` of steady state."""
    set_quota(product, per_user=60)
    quiet(product, size.wait_s)
    load = Load(product, sheets, updates)
    try:
        product.amo.reset_counters()
        product.sheets.reset_counters()
        started = time.time()
        changes = load.run(size.minutes, size.base_amo_rate, tick_at_s=min(60.0, size.minutes * 30))
        minutes = (time.time() - started) / 60
        calls = _calls(product, minutes)  # the steady state's, before the tail is drained
        log(f"fleet: load done, {len(changes)} changes; waiting for them to arrive")
        load.wait(changes, size.wait_s)
        settled = quiet(product, size.wait_s)
        load.wait(changes, 5)
    finally:
        load.close()
    wrong = load.verify()
    by_side = {side: _stats([c for c in changes if c.side == side]) for side in ("edit", "amo")}
    every = _stats(changes)
    return {
        "connections": len(sheets),
        "minutes": round(minutes, 2),
        "p50_s": every["p50_s"],
        "p95_s": every["p95_s"],
        "sheets_calls_per_min": calls["sheets_calls_per_min"],
        "max_queue_depth": load.samples.max_waiting(),
        "lost": every["lost"] + wrong,
        "edits": by_side["edit"],
        "amo_changes": by_side["amo"],
        "end_state_mismatches": wrong,
        "idle_at_the_end": settled,  # False: jobs were still queued when the run stopped waiting
        "send_errors": len(load.errors),
        "send_error_samples": sorted(set(load.errors))[:5],
        **{k: v for k, v in calls.items() if k != "sheets_calls_per_min"},
        "reconcile_tick_at_s": load.ticks,
        "queue_depth": load.samples.points,
        "quota_per_user_per_min": 60,
    }


def run_raised_quota(
    product: Product, sheets: list[Sheet], updates: LeadUpdates, size: FleetSize, log=print
) -> dict[str, Any]:
    """The service account's quota raised to 300 a minute; amoCRM changes stepped up stage by stage."""
    set_quota(product, per_user=300)
    quiet(product, size.stage_wait_s)
    stages = []
    held: dict[str, Any] | None = None
    load = Load(product, sheets, updates, seed=16)
    try:
        for rate in size.stages:
            product.amo.reset_counters()
            product.sheets.reset_counters()
            started = time.time()
            changes = load.run(size.stage_minutes, rate)
            minutes = (time.time() - started) / 60
            calls = _calls(product, minutes)
            since = started - load.t0
            load.wait(changes, size.stage_wait_s)
            waited = time.time() - started
            amo = _stats([c for c in changes if c.side == "amo"], not_yet=time.time())
            stage = {
                "amo_changes_per_min": round(rate, 1),
                "made": amo["changes"],
                "p50_s": amo["p50_s"],
                "p95_s": amo["p95_s"],
                "not_arrived_after_s": {"count": amo["lost"], "s": round(waited)} if amo["lost"] else None,
                "edits_p95_s": _stats([c for c in changes if c.side == "edit"])["p95_s"],
                "max_queue_depth": load.samples.max_waiting(since),
                **{k: v for k, v in calls.items() if k != "sheets_calls_by_method"},
            }
            stages.append(stage)
            log(f"fleet_raised_quota: stage {stage}")
            if amo["p95_s"] is None or amo["p95_s"] >= P95_HELD_S:
                break
            held = stage
            if not quiet(product, size.stage_wait_s):
                break
    finally:
        load.close()
    return {
        "sustained_amo_changes_per_min": held["amo_changes_per_min"] if held else 0,
        "p95_s": held["p95_s"] if held else None,
        "connections": len(sheets),
        "stage_minutes": size.stage_minutes,
        "quota_per_user_per_min": 300,
        "stages": stages,
    }


def bench_fleet(product: Product, size: FleetSize, log=print) -> dict[str, Any]:
    product.sheets.set_quotas(enabled=False)
    sheets = set_up(product, size, log)
    with receiving(product.amo_url, *(s.tenant.host for s in sheets)) as updates:
        out = {"fleet": run_fleet(product, sheets, updates, size, log)}
        log(f"fleet: {_brief(out['fleet'])}")
        out["fleet_raised_quota"] = run_raised_quota(product, sheets, updates, size, log)
    return out


def _brief(r: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in r.items() if k not in ("queue_depth", "sheets_calls_by_method")}
