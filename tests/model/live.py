"""The end-to-end checker's world (like Dropbox's Trinity): the same oracle as the planner level
(`world.py`), judging the whole product as real processes — gunicorn, RQ workers, Redis and both
emulators (`bench.product.Product`) — driven the way people and the add-on drive it.

- A person acts on the real spreadsheet: cells and rows through the Sheets emulator's "type into cells"
  (the whole tab as the person sees it after the action), columns through its insert/delete/move/rename
  operations (so the column metadata moves as in Sheets). The add-on's part of an edit — a key for a
  new row, then `POST /edits` with the edit time — is done as the add-on does it.
- A manager acts in amoCRM through the emulator's manager endpoints (they bump updated_at and fire
  webhooks, delivered, dropped or delivered twice by the emulator's knobs). The manager's action and the
  runs its webhooks start are judged as one step: exactly what the manager changed is exempt, anything
  else that moved is the runs' doing. (Webhooks are not held on the emulator's virtual clock: moving
  that clock would make every amoCRM change "newer" than any sheet edit and hide the policy's cases.)
- Faults: amoCRM 429/5xx/timeouts (`force`), Sheets 503 (`set_faults`), kill -9 of the worker running
  a job (and a new worker started).

Rows are told apart by a person's own "Notes" cell holding `#<rid>` (the checker writes it with the
row's data, so it moves with the data as a person's note would). Which row a new lead belongs to is
read from the lead-id cell the product wrote (the only thing amoCRM's side does not say).
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from rq.registry import ScheduledJobRegistry, StartedJobRegistry

from backend import queues
from backend.sheets.layout import letter
from backend.sync.core import fields as fx
from backend.sync.core.catalog import Catalog
from bench.product import Product
from bench.tenant import Tenant
from tests.model.amo import Account
from tests.model.sheet import SYSTEM, Column, Row, Tab
from tests.model.world import HEADERS, TARGETS, Violation, World, _Diff, answer_writes, sent_headers, sent_row

ABANDONED: set[str] = set()  # jobs whose worker was killed: RQ notices them only ~30 s later


def busy(product: Product) -> int:
    """Jobs queued, scheduled (an RQ retry) or running — except those a kill -9 left "started"."""
    r = product.redis
    n = 0
    for name in queues.ALL:
        q = queues.queue(name, r)
        started = [j for j in StartedJobRegistry(queue=q).get_job_ids() if j not in ABANDONED]
        n += q.count + len(started) + len(ScheduledJobRegistry(queue=q))
    return n


def settle(product: Product, timeout_s: float = 300) -> None:
    """Like bench.settle: no webhook due, no job queued, scheduled or running, twice 0.3 s apart."""
    deadline = time.monotonic() + timeout_s
    quiet = 0
    while quiet < 2:
        product.amo.drain_webhooks(timeout=30)
        quiet = quiet + 1 if busy(product) == 0 else 0
        if time.monotonic() > deadline:
            raise TimeoutError(f"still busy after {timeout_s:.0f} s ({busy(product)} jobs)")
        time.sleep(0.3 if quiet else 0.1)


LIVE_HEADERS = [HEADERS[c] for c in TARGETS] + ["Notes"]


class LiveTab(Tab):
    def idents(self) -> list[Any]:
        return [r.rid if r.rid is not None else ("pos", i) for i, r in enumerate(self.rows)]


class LiveWorld(World):
    """A `World` whose tab and account are re-read from the running product after every step."""

    def _settle_twins(self, before) -> None:
        """Rows are told apart here by their "#rid" Notes cell, which a copy carries over and a run never
        rewrites: the copy and its original cannot swap identities as in the planner-level world."""
        self.twins.clear()

    # Rows are named here by their "#rid" Notes cell, which a sort or a cut of the data columns moves with
    # the data: the planner level's relabelling of rows nothing tells apart does not apply.
    relabels = False

    def __init__(self, product: Product, tenant: Tenant, ctx: fx.Context, n: int):
        self.product, self.tenant, self.n = product, tenant, n
        self.amo_api = product.amo
        self.sheets_api = product.sheets
        super().__init__(product.redis, None, seed=n)  # type: ignore[arg-type]
        self.ctx = ctx
        self.columns: dict[str, Column] = {}
        self.pull()

    def __post_init__(self) -> None:  # the product's Redis is not flushed: other tenants live there
        import random

        self.rng = random.Random(self.seed)

    # --- reading both sides -----------------------------------------------------------------------------

    def _tags(self) -> dict[int, str]:
        mapping = self.tenant.state()["mapping"] or {"columns": []}
        by_id = {c["column"]: c["target"] for c in mapping["columns"]}
        mine = {t: c for c, t in TARGETS.items()}
        out = {}
        for m in self.sheets_api.metadata(self.tenant.spreadsheet_id):
            if m.get("metadataKey") != "amo_sync_col":
                continue
            index = int(m["location"]["dimensionRange"]["startIndex"])
            value = m["metadataValue"]
            out[index] = value if value in SYSTEM else mine.get(by_id.get(value, ""), value)
        return out

    def pull(self) -> None:
        grid = self.tenant.grid()
        tags = self._tags()
        width = max([len(r) for r in grid] + [max(tags, default=-1) + 1])
        head = [*(grid[0] if grid else []), *[""] * width][:width]
        columns = []
        for i in range(width):
            tag = tags.get(i)
            key = tag or f"untagged:{head[i]}:{i}"
            col = self.columns.get(key) or Column(tag, str(head[i]))
            col.header = str(head[i])
            self.columns[key] = col
            columns.append(col)
        notes = next((i for i, h in enumerate(head) if h == "Notes" and tags.get(i) is None), None)
        rows = []
        for values in grid[1:]:
            cells = {columns[i].uid: v for i, v in enumerate(values[:width]) if v not in ("", None)}
            rid = None
            if notes is not None and notes < len(values) and str(values[notes]).startswith("#"):
                rid = int(str(values[notes])[1:])
            rows.append(Row(cells, rid))
        while rows and not rows[-1].cells:
            rows.pop()
        self.tab = LiveTab(columns, rows)
        self.acct = Account(
            leads={int(x["id"]): x for x in self.tenant.leads()},
            contacts={int(x["id"]): x for x in self.tenant.contacts()},
        )

    def push(self, before_rows: int) -> None:
        """Type the whole tab as the person now sees it (rows the action removed are emptied)."""
        width = len(self.tab.columns)
        notes = next((c for c in self.tab.columns if c.tag is None and c.header == "Notes"), None)
        grid = [[c.header for c in self.tab.columns]]
        for r in self.tab.rows:
            if notes is not None and r.rid is not None:
                r.cells[notes.uid] = f"#{r.rid}"
            grid.append([r.cells.get(c.uid, "") for c in self.tab.columns])
        grid += [[""] * width for _ in range(max(0, before_rows - len(self.tab.rows)))]
        a1 = f"'{self.tenant.title}'!A1:{letter(width - 1)}{len(grid)}"
        self.sheets_api.edit_cells(self.tenant.spreadsheet_id, a1, grid, user="manager@example.com")

    def edited(self, row: Row, columns: tuple[str, ...] | None = None) -> None:
        if row.rid is None:
            row.rid, self.next_rid = self.next_rid, self.next_rid + 1
        if self.tab.column("key") is None:
            return
        key = str(self.tab.get(row, "key")).strip()
        if not key:
            self.next_addon_key += 1
            key = f"r{self.n:04d}{self.next_addon_key:08d}"
            self.tab.put(row, "key", key)
        self.pending_edits[key] = time.time()
        self.edited_cols.setdefault(key, set()).update(TARGETS if columns is None else columns)
        notes = next((c for c in self.tab.columns if c.tag is None and c.header == "Notes"), None)
        if notes is not None:
            row.cells[notes.uid] = f"#{row.rid}"

    # --- the add-on's delivery ----------------------------------------------------------------------------

    def _column_ids(self) -> dict[str, str]:
        """The checker's column tags -> the connection's column ids (the mapping's)."""
        mapping = self.tenant.state()["mapping"] or {"columns": []}
        by_target = {c["target"]: c["column"] for c in mapping["columns"]}
        return {cid: by_target[t] for cid, t in TARGETS.items() if t in by_target}

    def headers(self) -> dict[str, str]:
        """The headers the add-on sends with the rows (`world.sent_headers`), of the tab as last pulled."""
        return sent_headers(self.tab, self._column_ids())

    def as_sent(self, keys: list[str]) -> list[dict]:
        """The queued rows as the add-on sends them (`world.sent_row`); a row whose key is gone or stands
        twice without values."""
        self.pull()
        ids = self._column_ids()
        out = []
        for key in keys:
            at = int(self.pending_edits[key] * 1000)
            sent = sent_row(self.tab, key, ids, self.edited_cols.get(key, ()), at)
            out.append({"key": key, **(sent or {"edited_at": at})})
        return out

    def write_answers(self, sent: list[dict], answers: list[dict]) -> None:
        """addon/Edits.js `writeAnswers_`: each answered row found by key, its cells `world.answer_writes`."""
        if not answers:
            return
        self.pull()
        tags = {v: k for k, v in self._column_ids().items()}
        by_key = {s["key"]: s for s in sent}
        for answer in answers:
            row = next(
                (r for r in self.tab.rows if str(self.tab.get(r, "key")).strip() == answer["key"]), None
            )
            if row is None:
                continue
            values = by_key.get(answer["key"], {}).get("values", {})
            for tag, value in answer_writes(self.tab, row, answer["cells"], values, tags):
                col = self.tab.column(tag)
                at = f"{letter(self.tab.columns.index(col))}{self.tab.rows.index(row) + 2}"
                a1 = f"'{self.tenant.title}'!{at}"
                self.sheets_api.edit_cells(
                    self.tenant.spreadsheet_id, a1, [[value]], user="manager@example.com"
                )

    # --- one judged step ----------------------------------------------------------------------------------

    def live_step(self, trigger, *, before: _LiveBefore | None = None) -> str:
        """Everything queued runs (with `trigger` started first), the product settles, both sides are
        re-read and judged against how they were before (`before`: taken earlier by the caller)."""
        before = before or _LiveBefore(self)
        journaled = set(self._journaled())
        self.diff = _Diff("")
        self.runs += 1
        status = trigger() or "ok"
        try:
            settle(self.product)
        except TimeoutError as exc:
            self.flag("run_crashed", f"the product did not settle: {exc}")
        self.pull()
        self.judge(before)
        new = [run_id for run_id in self._journaled() if run_id not in journaled]
        if len(new) == 1:  # one run changed something in this step: what the step changed is that run's
            self.diff.run_id = new[0]
            self.done.append(self.diff)
        self.exempt.clear()
        self.settle()
        last = (self.tenant.state().get("last_error") or "").strip()
        self.last_status = "finished" if not last else f"error: {last}"
        return status

    def _journaled(self) -> list[str]:
        """The connection's journaled runs that changed something, newest first (its Activity list)."""
        runs = self.tenant.call("GET", "/runs").json()["runs"]
        return [r["run_id"] for r in runs if r["changes"]]

    def _adopt_created(self, before) -> None:
        shown: dict[int, list[int | None]] = {}
        for row in self.tab.rows:
            text = str(self.tab.get(row, "lead_id")).strip()
            if text.isdigit():
                shown.setdefault(int(text), []).append(row.rid)
        for lid in sorted(set(self.acct.leads) - set(before.leads)):
            if (lid, "*") in self.exempt:  # the manager created it
                continue
            rids = shown.get(lid, [])
            if len(rids) != 1 or rids[0] is None:
                self.flag("one_lead_per_row", f"lead {lid} was created; rows showing it: {rids}")
                continue
            other = self.lead_of(rids[0])
            if other is not None:
                self.flag("one_lead_per_row", f"row r{rids[0]} got a second lead {lid} (it has lead {other})")
            self.owner[lid] = rids[0]
            self.diff.created[lid] = rids[0]  # an undo of this step's run moves it to the stage picked
            cid = self.acct.main_contact(lid)
            if cid is not None and cid not in before.contacts:
                self.made_by.setdefault(cid, rids[0])


class _LiveBefore:
    def __init__(self, w: LiveWorld):
        self.leads, self.contacts = w.acct.state()
        self.sheet = w.tab.copy()
        self.rows = list(w.tab.rows)


def catalog_of(product: Product, tenant: Tenant) -> Catalog:
    """The account's catalog as the product cached it after connecting (what its runs parse with)."""
    import json

    from backend.amocrm.account import catalog_from_json

    account_id = tenant.state()["amo"]["account_id"]
    raw = product.redis.get(f"amo:catalog:{account_id}")
    if raw is None:
        raise RuntimeError("the product has not cached the account's catalog yet")
    return catalog_from_json(json.loads(raw))


_tenants = itertools.count(1)


def new_live_world(product: Product, rows: list[list[int]]) -> LiveWorld:
    """A new account and spreadsheet with `rows` (value indices, as `actions.add_row` takes them) pasted
    in, connected and mapped the way a person does it — nothing synced yet."""
    from tests.model.actions import TARGETS as COLUMNS
    from tests.model.actions import _value

    n = next(_tenants)
    # Faults one sequence forced but its calls did not take would fail the next one's sign-in.
    product.amo.clear_forced()
    product.sheets.clear_faults()
    grid = [
        [_value(c, x) for c, x in zip(COLUMNS, r, strict=True)] + [f"#{k + 1}"] for k, r in enumerate(rows)
    ]
    tenant = Tenant.create(product, grid, LIVE_HEADERS, host=f"check{n}.amocrm.ru")
    mapping = tenant.state()["mapping"]
    ctx = fx.Context(catalog_of(product, tenant), int(mapping["pipeline_id"]), "RU")
    w = LiveWorld(product, tenant, ctx, n)
    w.next_rid = len(rows) + 1
    w.log.append(f"a sheet of {len(rows)} row(s) pasted, then connected and mapped")
    return w


__all__ = ["LIVE_HEADERS", "LiveWorld", "Violation", "catalog_of", "new_live_world"]
