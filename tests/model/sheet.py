"""The model spreadsheet tab, and the Sheets client the real run reads and writes it through.

A tab is a list of columns (each may carry the sync's developer-metadata tag, which travels with the
column when columns move) and a list of rows. Every row object keeps its cells by column (so moving a
column moves its cells) and `rid`: who the person's data in that row belongs to. `rid` is the checker's
own notion of "this row" — it moves with the data cells, not with the key cells, so a sort of a range
that leaves out the system columns moves a person's data away from its key, as in a real spreadsheet.

`ModelSheets` answers the two calls a run makes (`batch_get_by_filter`, `update_values`) the way the
Sheets API v4 does: a column found by metadata comes back as one COLUMNS-major range with trailing empty
cells trimmed; writes land by A1 position. A hook lets the checker act as a person in the middle of a run.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from backend.sheets.client import SheetsError
from backend.sheets.layout import column_index, letter

TITLE = "Deals"
SYSTEM = ("key", "lead_id", "link", "sync")
_uid = itertools.count(1)


@dataclass
class Column:
    tag: str | None  # the developer-metadata value: a role, a mapped column id, or None (untagged)
    header: str
    uid: int = field(default_factory=lambda: next(_uid))


@dataclass(eq=False)  # a row is itself: two rows holding the same cells are still two rows
class Row:
    cells: dict[int, Any] = field(default_factory=dict)  # column uid -> value
    rid: int | None = None  # whose data this is (None: no person data in it yet)


@dataclass
class Tab:
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)

    def column(self, tag: str) -> Column | None:
        return next((c for c in self.columns if c.tag == tag), None)

    def get(self, row: Row, tag: str) -> Any:
        c = self.column(tag)
        return row.cells.get(c.uid, "") if c is not None else ""

    def put(self, row: Row, tag: str, value: Any) -> None:
        c = self.column(tag)
        if c is not None:
            row.cells[c.uid] = value

    def data_columns(self) -> list[Column]:
        return [c for c in self.columns if c.tag not in SYSTEM]

    def system_columns(self) -> list[Column]:
        return [c for c in self.columns if c.tag in SYSTEM]

    def idents(self) -> list[Any]:
        """What identifies each row across a run: the row object itself (the end-to-end checker, which
        re-reads the tab, names rows by the rid a person's Notes cell holds instead)."""
        return [id(r) for r in self.rows]

    def copy(self) -> dict[Any, tuple[int | None, dict[int, Any]]]:
        """row identity -> (rid, cells): what each row holds now."""
        return {i: (r.rid, dict(r.cells)) for i, r in zip(self.idents(), self.rows, strict=True)}


class ModelGap(AttributeError):
    """The run called something the model clients do not answer: the checker must learn it (never
    counted as the product's crash)."""


_A1 = re.compile(r"^'((?:[^']|'')*)'!([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?$")


@dataclass
class ModelSheets:
    tab: Tab
    calls: dict[str, int] = field(default_factory=dict)
    fail_at: int | None = None  # the n-th call of this run fails (a 429/503 the client gave up on)
    before_key_reread: Callable[[], None] | None = None  # a person acts right before the write's re-read

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def __getattr__(self, name: str):
        raise ModelGap(f"the model Sheets client has no {name!r}")

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1
        if self.fail_at is not None and self.total_calls == self.fail_at:
            raise SheetsError("Google Sheets kept answering 503 Service Unavailable", 503)

    def batch_get_by_filter(self, spreadsheet_id: str, data_filters: list[dict], major: str = "COLUMNS"):
        tags = [f["developerMetadataLookup"]["metadataValue"] for f in data_filters]
        if tags == ["key"] and self.before_key_reread is not None:
            hook, self.before_key_reread = self.before_key_reread, None
            hook()
        self._count("spreadsheets.values.batchGetByDataFilter")
        out = []
        for f, tag in zip(data_filters, tags, strict=True):
            col = self.tab.column(tag)
            if col is None:
                continue  # no column carries that metadata any more: the filter matches nothing
            pos = self.tab.columns.index(col)
            values = [col.header, *(r.cells.get(col.uid, "") for r in self.tab.rows)]
            while values and values[-1] in ("", None):
                values.pop()
            rng = f"'{TITLE}'!{letter(pos)}1:{letter(pos)}{max(len(self.tab.rows) + 1, 1000)}"
            vr: dict[str, Any] = {"range": rng, "majorDimension": "COLUMNS"}
            if values:
                vr["values"] = [values]
            out.append({"valueRange": vr, "dataFilters": [f]})
        return out

    def update_values(self, spreadsheet_id: str, data: list[dict], *, input_option: str = "RAW") -> dict:
        if not data:
            return {}
        self._count("spreadsheets.values.batchUpdate")
        for d in data:
            m = _A1.match(d["range"])
            assert m and m.group(1).replace("''", "'") == TITLE, d["range"]
            pos, first = column_index(m.group(2)), int(m.group(3))
            for offset, values in enumerate(d["values"]):
                self._write(pos, first + offset, values[0] if values else "")
        return {}

    def _write(self, pos: int, row_number: int, value: Any) -> None:
        while pos >= len(self.tab.columns):
            self.tab.columns.append(Column(None, ""))
        col = self.tab.columns[pos]
        if row_number == 1:
            col.header = value
            return
        while row_number - 1 > len(self.tab.rows):
            self.tab.rows.append(Row())
        row = self.tab.rows[row_number - 2]
        row.cells[col.uid] = value
