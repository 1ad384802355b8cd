"""The sheet side of executing a plan: cell writes in ONE values.batchUpdate, the row history, and the
connection's list of rows with problems.

Right before writing, the key column and every column to be written are read again, and every cell goes
to the row where its key sits *now* and the column where its column id sits *now* — a sort, or a column
inserted, between the plan and the write moves nothing into the wrong row or into a person's data; a row
or column deleted meanwhile is skipped. A run whose own read is seconds old passes it as `fresh` and
skips that read: the write itself may wait longer than that for a slot of the paced write quota, so the
second read would narrow the window only a little while costing every amoCRM → sheet run a second read.
Vertical runs of cells in one column become one range.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import redis

from backend.sheets.client import SheetsClient
from backend.sheets.layout import Table, read_table
from backend.store import keys
from backend.store.ledger import History
from backend.sync.core.fields import Context, render_cell
from backend.sync.core.mapping import ColumnMapping
from backend.sync.core.model import Outcome, Plan, RowPlan, Side
from backend.sync.core.planner import OK
from backend.sync.executor import ExecutionResult


def lead_link(host: str, lead_id: int) -> str:
    return f"https://{host}/leads/detail/{lead_id}"


def stamp(now: float) -> str:
    return dt.datetime.fromtimestamp(now, dt.UTC).strftime("%Y-%m-%d %H:%M")


@dataclass
class Writeback:
    sheets: SheetsClient
    spreadsheet_id: str
    sheet_id: int
    table: Table
    mapping: ColumnMapping
    ctx: Context
    history: History
    errors: ErrorList
    kind: str  # the run's kind; history names it as its source
    # The sheet as this run read it moments ago: cells go where its keys sit in it instead of reading the
    # key column again (an amoCRM run spends 1 read, not 2). None: read again right before writing.
    fresh: Table | None = None

    @classmethod
    def for_run(cls, client: redis.Redis, parts: Any, table: Table, kind: str, fresh: Table | None = None):
        """The write-back of one run of connection `parts` (sync/run.Parts): its sheet, history, errors."""
        cid = parts.conn.id
        return cls(
            parts.sheets,
            parts.conn.spreadsheet_id,
            parts.conn.sheet_id,
            table,
            parts.mapping,
            parts.ctx,
            History(client, cid),
            ErrorList(client, cid),
            kind,
            fresh,
        )

    @property
    def source(self) -> str:
        return {"full": "full sync", "edits": "edit", "amo": "webhook"}.get(self.kind, self.kind)

    def cells(self, plan: Plan, out: ExecutionResult, now: float) -> dict[str, dict[str, Any]]:
        """Column id -> {row key -> value to write} (per column: no tuple per cell for 400,000 cells)."""
        cells: dict[str, dict[str, Any]] = {}
        stamped = f"{OK} {stamp(now)}"
        for row_plan in plan.rows:
            if row_plan.row is None:
                continue
            failed = out.failed.get(row_plan.key)
            if not failed:
                for target, value in row_plan.sheet_update.items():
                    col = self.mapping.column_of(target)
                    if col is not None:
                        cells.setdefault(col.column, {})[row_plan.key] = render_cell(target, value, self.ctx)
                lead_id = out.lead_ids.get(row_plan.key) or (row_plan.lead_id if row_plan.relink else None)
                if lead_id:
                    cells.setdefault("lead_id", {})[row_plan.key] = lead_id
                    cells.setdefault("link", {})[row_plan.key] = lead_link(self.ctx.catalog.host, lead_id)
            message = f"⚠ {failed}" if failed else row_plan.message
            if failed or row_plan.mark or row_plan.has_actions:
                cells.setdefault("sync", {})[row_plan.key] = stamped if message == OK else message
        return cells

    def write(self, plan: Plan, out: ExecutionResult, now: float) -> int:
        """Write the plan's cells where their keys are now; return the number of cells written.
        Afterwards `written` holds the row keys all of whose cells went into the sheet."""
        self.written: set[str] = set()
        cells = self.cells(plan, out, now)
        if not cells:
            return 0
        sheet = self.fresh or read_table(self.sheets, self.spreadsheet_id, self.sheet_id, ["key", *cells])
        found: dict[str, list[int]] = {}
        for i, k in enumerate(sheet.cells.get("key", [])):
            if str(k).strip():
                found.setdefault(str(k).strip(), []).append(i + 1)
        planned = {row_plan.key: row_plan.row for row_plan in plan.rows}
        # a key on two rows (exact copies, one held): the row the plan was made for, if it is still there
        where = {
            k: rows[0] if len(rows) == 1 else planned.get(k)
            for k, rows in found.items()
            if len(rows) == 1 or planned.get(k) in rows
        }
        unwritable = {k for column, by_key in cells.items() if column not in sheet.positions for k in by_key}
        written = {k for by_key in cells.values() for k in by_key if k in where} - unwritable
        data = []
        for column, by_key in cells.items():
            if column not in sheet.positions:
                continue
            values = {row: value for key, value in by_key.items() if (row := where.get(key)) is not None}
            by_key.clear()
            data += ranges(sheet, column, values)
        del cells, where
        self.sheets.update_values(self.spreadsheet_id, data)
        self.written = written
        return sum(len(d["values"]) for d in data)

    def record(
        self,
        plan: Plan,
        out: ExecutionResult,
        now: float,
        sheet_before: Mapping[str, Mapping[str, Any]],
        amo_before: Mapping[int, Mapping[str, Any]],
    ) -> None:
        """Append each row's changes (old -> new, direction, source) to its history, one row at a time (an
        import's events are never held whole)."""
        labels = {c.target: c.header or c.target for c in self.mapping.columns}
        events = (
            (
                row_plan.key,
                self._row_events(
                    row_plan,
                    out,
                    now,
                    sheet_before.get(row_plan.key, {}),
                    amo_before.get(row_plan.lead_id or 0, {}),
                    labels,
                ),
            )
            for row_plan in plan.rows
        )
        self.history.record_many((key, items) for key, items in events if items)
        self.errors.update(plan, out)

    def _row_events(
        self,
        row_plan: RowPlan,
        out: ExecutionResult,
        now: float,
        sheet_old: Mapping[str, Any],
        amo_old: Mapping[str, Any],
        labels: Mapping[str, str],
    ) -> list[dict]:
        """The row's new history items: its failure, or its creation, changes and conflicts."""
        if row_plan.key in out.failed:
            return [{"at": now, "source": self.source, "error": out.failed[row_plan.key]}]
        items = []
        if row_plan.create_lead is not None and row_plan.key in out.lead_ids:
            items.append({"at": now, "source": self.source, "created_lead": out.lead_ids[row_plan.key]})
        for target, value in {**row_plan.lead_update, **row_plan.contact_update}.items():
            label = labels.get(target, target)
            items.append(_change(now, self.source, label, "to_amo", amo_old.get(target), value))
        for target, value in row_plan.sheet_update.items():
            if row_plan.create_lead is None:
                label = labels.get(target, target)
                items.append(_change(now, self.source, label, "to_sheet", sheet_old.get(target), value))
        for conflict in row_plan.conflicts:
            items.append(
                {
                    "at": now,
                    "source": self.source,
                    "field": labels.get(conflict.target, conflict.target),
                    "conflict": {
                        "sheet": conflict.sheet,
                        "amo": conflict.amo,
                        "base": conflict.base,
                        "kept": "sheet" if conflict.winner is Side.SHEET else "amo",
                        "reason": conflict.reason,
                    },
                }
            )
        return items


def ranges(table: Table, column: str, values: Mapping[int, Any]) -> list[dict]:
    """Cells of one column by grid row index -> value ranges, a vertical run of rows as one range."""
    rows = sorted(values)
    out: list[dict] = []
    start = 0
    for n in range(1, len(rows) + 1):
        if n == len(rows) or rows[n] != rows[n - 1] + 1:
            run = rows[start:n]
            out.append({"range": table.a1(column, run[0], run[-1]), "values": [[values[r]] for r in run]})
            start = n
    return out


def _change(now: float, source: str, label: str, direction: str, old: Any, new: Any) -> dict:
    return {"at": now, "source": source, "field": label, "direction": direction, "old": old, "new": new}


class ErrorList:
    """`errors:{conn}` hash: row key -> {row (as Sheets numbers it), message}; the sidebar's error list."""

    def __init__(self, client: redis.Redis, connection_id: str):
        self.client = client
        self.key = keys.errors(connection_id)

    def update(self, plan: Plan, out: ExecutionResult) -> None:
        bad: dict[str, str] = {}
        good: list[str] = []
        for row_plan in plan.rows:
            # plans count rows from the header (grid index 0); people count from 1, as Sheets shows them
            row = None if row_plan.row is None else row_plan.row + 1
            if row_plan.key in out.failed:
                bad[row_plan.key] = json.dumps(
                    {"row": row, "message": "⚠ " + out.failed[row_plan.key]}, ensure_ascii=False
                )
            elif row_plan.outcome in (Outcome.ERROR, Outcome.DELETED_IN_AMO):
                bad[row_plan.key] = json.dumps({"row": row, "message": row_plan.message}, ensure_ascii=False)
            else:
                good.append(row_plan.key)
        pipe = self.client.pipeline()
        items = list(bad.items())
        for i in range(0, len(items), 1000):  # bounded commands: an import touches 100,000 rows
            pipe.hset(self.key, mapping=dict(items[i : i + 1000]))
        for i in range(0, len(good), 1000):
            pipe.hdel(self.key, *good[i : i + 1000])
        pipe.execute()

    def all(self) -> dict[str, dict]:
        return {k.decode(): json.loads(v) for k, v in self.client.hgetall(self.key).items()}

    def count(self) -> int:
        return int(self.client.hlen(self.key))
