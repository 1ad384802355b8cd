"""Google's per-spreadsheet and per-cell size limits, checked wherever a request can cross them.

- 10,000,000 cells per spreadsheet, checked on spreadsheets.create, after every batchUpdate request and
  on values.append (both insert options grow the grid): 400 "This action would increase the number of
  cells in the workbook above the limit of 10000000 cells."
- 50,000 characters per cell, checked on every value written (values.*, updateCells, repeatCell,
  create): 400 "Your input contains more than the maximum of 50000 characters in a single cell.", and
  the whole request fails.

The cell limit: Google's "Files you can store in Google Drive" help page (spreadsheets: up to 10 million
cells). The character limit and its wording: the 400 INVALID_ARGUMENT answered to values.update and
values.batchUpdate in public reports (airbytehq/airbyte#15500, freelabz/secator#96,
moevm/github_repo_commitment_calc#67).
"""

from __future__ import annotations

from typing import Any

from sandbox.sheets.errors import ApiError, bad_request
from sandbox.sheets.model import Spreadsheet

MAX_CELLS = 10_000_000
MAX_CELL_CHARS = 50_000


def check_cell_count(ss: Spreadsheet) -> None:
    total = sum(s.row_count * s.column_count for s in ss.sheets)
    if total > MAX_CELLS:
        raise bad_request(
            "This action would increase the number of cells in the workbook above the limit of "
            f"{MAX_CELLS} cells."
        )


class CellTooLong(ApiError):
    """Reported as is, without the `Invalid data[i]: ` prefix of batch elements (as the reports show)."""

    def __init__(self) -> None:
        super().__init__(
            400,
            f"Your input contains more than the maximum of {MAX_CELL_CHARS} characters in a single cell.",
        )

    def prefixed(self, prefix: str) -> ApiError:
        return self


def check_text(value: Any) -> None:
    """One written value (a string, a formula, an ExtendedValue's text)."""
    if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
        raise CellTooLong()
