"""The emulator's vocabulary: a spreadsheet, its sheets, cells, developer metadata, protected ranges.

Cells and metadata entries are frozen: a change replaces the object. That makes `Spreadsheet.copy()`
cheap (lists of references are copied, not cells), which is how batchUpdate stays atomic: it applies
every request to a copy and commits the copy only when all succeeded.

Also owns the JSON form used by `--state FILE` persistence (`to_json` / `from_json`).
Imports only the standard library.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, replace
from typing import Any

Value = str | float | bool  # what a cell holds once parsed (dates are serial-number floats)

DEFAULT_ROWS = 1000
DEFAULT_COLUMNS = 26


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: an e-mail (user or service account) and the Google Cloud project of the client."""

    email: str
    project: str


@dataclass(frozen=True, slots=True)
class Cell:
    value: Value | None = None  # the effective value; for a formula, its stand-in result
    formula: str | None = None  # "=SUM(A1:A3)" when a formula was entered
    number_format: tuple[str, str] | None = None  # (type, pattern), e.g. ("DATE", "yyyy-mm-dd")
    validation: dict | None = None  # a DataValidationRule, never mutated in place

    @property
    def is_blank(self) -> bool:
        """No value and no formula (a validation rule alone does not make a cell non-empty)."""
        return self.value is None and self.formula is None


@dataclass(frozen=True, slots=True)
class Metadata:
    """One developer metadata entry. `location_type` is SPREADSHEET, SHEET, ROW or COLUMN."""

    metadata_id: int
    key: str
    value: str | None
    visibility: str  # DOCUMENT or PROJECT
    project: str  # the caller's project that created it (decides PROJECT visibility)
    location_type: str
    sheet_id: int | None = None
    index: int | None = None  # the row or column index for ROW / COLUMN entries

    @property
    def chars(self) -> int:
        """What counts toward the 30,000-character limits: key plus value."""
        return len(self.key) + len(self.value or "")

    def to_api(self) -> dict[str, Any]:
        location: dict[str, Any] = {"locationType": self.location_type}
        if self.location_type == "SPREADSHEET":
            location["spreadsheet"] = True
        elif self.location_type == "SHEET":
            location["sheetId"] = self.sheet_id
        else:
            location["dimensionRange"] = {
                "sheetId": self.sheet_id,
                "dimension": "ROWS" if self.location_type == "ROW" else "COLUMNS",
                "startIndex": self.index,
                "endIndex": (self.index or 0) + 1,
            }
        out: dict[str, Any] = {"metadataId": self.metadata_id, "metadataKey": self.key}
        if self.value is not None:
            out["metadataValue"] = self.value
        out["location"] = location
        out["visibility"] = self.visibility
        return out


@dataclass
class Sheet:
    sheet_id: int
    title: str
    row_count: int = DEFAULT_ROWS
    column_count: int = DEFAULT_COLUMNS
    frozen_rows: int = 0
    frozen_columns: int = 0
    hidden: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # other SheetProperties echoed back (tabColor, …)
    rows: list[list[Cell | None]] = field(default_factory=list)  # ragged; only as long as data needs

    def copy(self) -> Sheet:
        return replace(self, extra=copy.deepcopy(self.extra), rows=[list(r) for r in self.rows])


@dataclass
class Spreadsheet:
    spreadsheet_id: str
    title: str
    owner: str
    editors: set[str] = field(default_factory=set)
    viewers: set[str] = field(default_factory=set)
    locale: str = "en_US"
    time_zone: str = "Etc/GMT"
    sheets: list[Sheet] = field(default_factory=list)
    metadata: dict[int, Metadata] = field(default_factory=dict)  # by metadataId, in creation order
    protected: list[dict[str, Any]] = field(default_factory=list)  # ProtectedRange JSON + "_sheetId"
    edits: list[dict[str, Any]] = field(default_factory=list)  # the log of edits made "in the UI"

    def copy(self) -> Spreadsheet:
        return replace(
            self,
            editors=set(self.editors),
            viewers=set(self.viewers),
            sheets=[s.copy() for s in self.sheets],
            metadata=dict(self.metadata),
            protected=copy.deepcopy(self.protected),
            edits=list(self.edits),
        )

    def sheet_by_id(self, sheet_id: int) -> Sheet | None:
        return next((s for s in self.sheets if s.sheet_id == sheet_id), None)

    def sheet_by_title(self, title: str) -> Sheet | None:
        return next((s for s in self.sheets if s.title == title), None)

    def sheet_refs(self) -> list[tuple[int, str]]:
        """(sheet_id, title) pairs, the first VISIBLE sheet first: a range without a title means it
        (Google: "…the first visible sheet is used"); the rest keep their order."""
        visible = next((s for s in self.sheets if not s.hidden), None)
        if visible is None or visible is self.sheets[0]:
            return [(s.sheet_id, s.title) for s in self.sheets]
        return [(visible.sheet_id, visible.title)] + [
            (s.sheet_id, s.title) for s in self.sheets if s is not visible
        ]

    def can_read(self, email: str) -> bool:
        return email == self.owner or email in self.editors or email in self.viewers

    def can_write(self, email: str) -> bool:
        return email == self.owner or email in self.editors

    # --- persistence -------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "spreadsheetId": self.spreadsheet_id,
            "title": self.title,
            "owner": self.owner,
            "editors": sorted(self.editors),
            "viewers": sorted(self.viewers),
            "locale": self.locale,
            "timeZone": self.time_zone,
            "sheets": [_sheet_to_json(s) for s in self.sheets],
            "metadata": [asdict(m) for m in self.metadata.values()],
            "protected": self.protected,
            "edits": self.edits,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Spreadsheet:
        metas = [Metadata(**m) for m in data.get("metadata", [])]
        return cls(
            spreadsheet_id=data["spreadsheetId"],
            title=data["title"],
            owner=data["owner"],
            editors=set(data.get("editors", [])),
            viewers=set(data.get("viewers", [])),
            locale=data.get("locale", "en_US"),
            time_zone=data.get("timeZone", "Etc/GMT"),
            sheets=[_sheet_from_json(s) for s in data.get("sheets", [])],
            metadata={m.metadata_id: m for m in metas},
            protected=data.get("protected", []),
            edits=data.get("edits", []),
        )


def _cell_to_json(cell: Cell | None) -> Any:
    if cell is None:
        return None
    return [
        cell.value,
        cell.formula,
        list(cell.number_format) if cell.number_format else None,
        cell.validation,
    ]


def _cell_from_json(data: Any) -> Cell | None:
    if data is None:
        return None
    value, formula, number_format, validation = data
    return Cell(value, formula, tuple(number_format) if number_format else None, validation)


def _sheet_to_json(sheet: Sheet) -> dict[str, Any]:
    out = asdict(replace(sheet, rows=[]))
    out["rows"] = [[_cell_to_json(c) for c in row] for row in sheet.rows]
    return out


def _sheet_from_json(data: dict[str, Any]) -> Sheet:
    rows = [[_cell_from_json(c) for c in row] for row in data.pop("rows", [])]
    return Sheet(**data, rows=rows)
