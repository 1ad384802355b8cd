"""A1 notation: Google range strings ⇄ grid ranges.

Owns column letters ⇄ indexes, quoting of sheet titles (`'It''s'`), every accepted range shape and the
400 "Unable to parse range: …" error. Shapes accepted, as Google accepts them:

| text                 | meaning                                              |
|----------------------|------------------------------------------------------|
| `Sheet1`, `'My x'`   | the whole sheet (a title wins over a cell reference) |
| `Sheet1!A1:C5`       | a box; `B2:A1` is normalised to `A1:B2`              |
| `A1:C5`              | a box on the first sheet                             |
| `Sheet1!A:C`         | whole columns                                        |
| `Sheet1!2:5`         | whole rows                                           |
| `Sheet1!A2:C`        | from A2 down to the last row, columns A–C            |
| `Sheet1!B2`          | one cell                                             |
| `Sheet1!R1C1:R2C3`   | R1C1 (absolute only)                                 |

Indexes are 0-based and half-open, like the API's GridRange; `None` means unbounded. Knows nothing about
cells: callers pass the sheets as `(sheet_id, title)` pairs in index order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sandbox.sheets.errors import unparsable_range

MAX_COLUMNS = 18278  # column ZZZ, the widest a Google sheet can be
_CELL = re.compile(r"^\$?([A-Za-z]{1,3})?\$?([0-9]+)?$")
_R1C1 = re.compile(r"^[Rr]([0-9]+)[Cc]([0-9]+)$")
_PLAIN_TITLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LOOKS_LIKE_REF = re.compile(r"^([A-Za-z]{1,3}[0-9]+|[Rr][0-9]+[Cc][0-9]+|TRUE|FALSE)$", re.IGNORECASE)


@dataclass(frozen=True)
class GridRange:
    sheet_id: int
    start_row: int | None = None
    end_row: int | None = None
    start_col: int | None = None
    end_col: int | None = None

    def bounded(self, rows: int, cols: int) -> GridRange:
        """The same range with open ends closed at the grid's size (never past it)."""
        return GridRange(
            self.sheet_id,
            self.start_row or 0,
            rows if self.end_row is None else min(self.end_row, rows),
            self.start_col or 0,
            cols if self.end_col is None else min(self.end_col, cols),
        )

    def to_json(self) -> dict:
        out: dict = {"sheetId": self.sheet_id}
        for key, value in (
            ("startRowIndex", self.start_row),
            ("endRowIndex", self.end_row),
            ("startColumnIndex", self.start_col),
            ("endColumnIndex", self.end_col),
        ):
            if value is not None:
                out[key] = value
        return out

    @classmethod
    def from_json(cls, data: dict) -> GridRange:
        return cls(
            int(data.get("sheetId", 0)),
            data.get("startRowIndex"),
            data.get("endRowIndex"),
            data.get("startColumnIndex"),
            data.get("endColumnIndex"),
        )

    def intersects(self, other: GridRange) -> bool:
        if self.sheet_id != other.sheet_id:
            return False
        return _overlap(self.start_row, self.end_row, other.start_row, other.end_row) and _overlap(
            self.start_col, self.end_col, other.start_col, other.end_col
        )


def _overlap(a0: int | None, a1: int | None, b0: int | None, b1: int | None) -> bool:
    lo = max(a0 or 0, b0 or 0)
    hi = min(a1 if a1 is not None else 1 << 60, b1 if b1 is not None else 1 << 60)
    return lo < hi


@dataclass(frozen=True)
class ParsedRange:
    """A parsed range: the grid range, and the cell part as written (for Google's error messages)."""

    grid: GridRange
    ref: str | None  # e.g. "A2:C" uppercased; None when the whole sheet was named


def column_letters(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def quote_title(title: str) -> str:
    """How Google writes a sheet title in a range: bare when it is a plain word, else quoted."""
    if _PLAIN_TITLE.match(title) and not _LOOKS_LIKE_REF.match(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def cell_name(row: int, col: int) -> str:
    return f"{column_letters(col)}{row + 1}"


def format_range(title: str, grid: GridRange, rows: int, cols: int) -> str:
    """`Sheet1!A1:C5` for a range closed at the grid's size; one cell is written `Sheet1!B2`."""
    b = grid.bounded(rows, cols)
    return format_box(title, b.start_row or 0, b.end_row or 0, b.start_col or 0, b.end_col or 0)


def format_box(title: str, r0: int, r1: int, c0: int, c1: int) -> str:
    start = cell_name(r0, c0)
    end = cell_name(max(r1 - 1, r0), max(c1 - 1, c0))
    body = start if start == end else f"{start}:{end}"
    return f"{quote_title(title)}!{body}"


def parse_range(text: str, sheets: Sequence[tuple[int, str]]) -> ParsedRange:
    """Parse `text` against the spreadsheet's sheets; raise Google's 400 if it is not a valid range."""
    s = text.strip()
    if not s or not sheets:
        raise unparsable_range(text)
    title, ref = _split_sheet(s, text)
    if title is None:
        named = _find_sheet(s, sheets)
        if named is not None:  # a bare title names the whole sheet, even one called like a cell
            return ParsedRange(GridRange(named), None)
        sheet_id = sheets[0][0]
    else:
        found = _find_sheet(title, sheets)
        if found is None:
            raise unparsable_range(text)
        sheet_id = found
    if ref is None:
        return ParsedRange(GridRange(sheet_id), None)
    return ParsedRange(_parse_ref(ref, sheet_id, text), ref.upper())


def _split_sheet(s: str, original: str) -> tuple[str | None, str | None]:
    """Split `'It''s'!A1` into (title, ref); a quoted title alone means the whole sheet."""
    if s.startswith("'"):
        i, title = 1, []
        while i < len(s):
            if s[i] == "'":
                if i + 1 < len(s) and s[i + 1] == "'":
                    title.append("'")
                    i += 2
                    continue
                break
            title.append(s[i])
            i += 1
        else:
            raise unparsable_range(original)  # no closing quote
        rest = s[i + 1 :]
        if rest == "":
            return "".join(title), None
        if not rest.startswith("!") or len(rest) == 1:
            raise unparsable_range(original)
        return "".join(title), rest[1:]
    if "!" in s:
        title, _, ref = s.rpartition("!")  # unquoted titles may contain spaces (Google's quickstart does)
        if not title or not ref:
            raise unparsable_range(original)
        return title, ref
    return None, s


def _find_sheet(title: str, sheets: Sequence[tuple[int, str]]) -> int | None:
    for sheet_id, t in sheets:
        if t == title:
            return sheet_id
    folded = title.casefold()  # Google keeps titles unique ignoring case and resolves them that way
    for sheet_id, t in sheets:
        if t.casefold() == folded:
            return sheet_id
    return None


def _endpoint(part: str, original: str) -> tuple[int | None, int | None]:
    """`B2` → (col 1, row 1); `B` → (1, None); `2` → (None, 1); R1C1 accepted."""
    m = _R1C1.match(part)
    if m:
        row, col = int(m.group(1)), int(m.group(2))
        if row < 1 or col < 1 or col > MAX_COLUMNS:
            raise unparsable_range(original)
        return col - 1, row - 1
    m = _CELL.match(part)
    if not m or (m.group(1) is None and m.group(2) is None):
        raise unparsable_range(original)
    col = column_index(m.group(1)) if m.group(1) else None
    row = int(m.group(2)) - 1 if m.group(2) else None
    if row is not None and row < 0:
        raise unparsable_range(original)
    return col, row


def _parse_ref(ref: str, sheet_id: int, original: str) -> GridRange:
    parts = ref.split(":")
    if len(parts) == 1:
        col, row = _endpoint(parts[0], original)
        if col is None or row is None:  # a lone column or row number is not a range
            raise unparsable_range(original)
        return GridRange(sheet_id, row, row + 1, col, col + 1)
    if len(parts) != 2:
        raise unparsable_range(original)
    (c0, r0), (c1, r1) = _endpoint(parts[0], original), _endpoint(parts[1], original)
    only_col = (c0 is not None and r0 is None, c1 is not None and r1 is None)
    only_row = (c0 is None and r0 is not None, c1 is None and r1 is not None)
    if (only_col[0] and only_row[1]) or (only_row[0] and only_col[1]):
        raise unparsable_range(original)  # `A:5` mixes a column with a row
    if c0 is not None and c1 is not None and c0 > c1:
        c0, c1 = c1, c0
    if r0 is not None and r1 is not None and r0 > r1:
        r0, r1 = r1, r0
    return GridRange(
        sheet_id,
        r0 if r0 is not None else None,
        r1 + 1 if r1 is not None else None,
        c0 if c0 is not None else None,
        c1 + 1 if c1 is not None else None,
    )
