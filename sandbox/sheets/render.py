"""Cells → what the API answers: valueRenderOption, dateTimeRenderOption, majorDimension, CellData.

| valueRenderOption  | string   | number                      | boolean | formula                        |
|--------------------|----------|-----------------------------|---------|--------------------------------|
| FORMATTED_VALUE    | as is    | text in the cell's format   | "TRUE"  | its result, formatted          |
| UNFORMATTED_VALUE  | as is    | number (dates: see below)   | true    | its result                     |
| FORMULA            | as is    | number (dates: see below)   | true    | "=…" (the formula text)        |

Dates, times and date-times are numbers with a DATE/TIME/DATE_TIME format: `SERIAL_NUMBER` (the
default) answers the serial number, `FORMATTED_STRING` the text as displayed; FORMATTED_VALUE ignores
`dateTimeRenderOption`. Formatted text uses the spreadsheet's locale (`locales.py`): patterns are
written with `,` and `.` whatever the locale, and shown with the locale's separators (ru_RU: 1.5 →
"1,5", `#,##0.00` → "1 500,50", a ruble amount → "1 500,50 ₽"); date patterns keep their own order.
Output drops trailing empty rows and, in each row, trailing empty cells;
empty cells before a value come back as "". A fully empty range has no `values` at all.
"""

from __future__ import annotations

import re
from typing import Any

from sandbox.sheets.input_parse import from_serial
from sandbox.sheets.locales import EN_US, SheetLocale
from sandbox.sheets.model import Cell

VALUE_RENDER_OPTIONS = ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")
DATETIME_RENDER_OPTIONS = ("SERIAL_NUMBER", "FORMATTED_STRING")
DATE_TYPES = ("DATE", "TIME", "DATE_TIME")


def json_number(x: float) -> int | float:
    """Google writes whole doubles without a fraction: 5, not 5.0."""
    return int(x) if x.is_integer() and abs(x) < 2**53 else x


def general(x: float, loc: SheetLocale = EN_US) -> str:
    """The automatic number format: up to 10 significant digits, no trailing zeros."""
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    text = format(x, ".10g")
    if "e" in text:
        mantissa, exponent = text.split("e")
        return loc.localize(f"{float(mantissa):.2f}") + f"E{int(exponent):+03d}"
    return loc.localize(text)


def format_number(x: float, number_format: tuple[str, str] | None, loc: SheetLocale = EN_US) -> str:
    if number_format is None:
        return general(x, loc)
    kind, pattern = number_format
    if kind in DATE_TYPES:
        return _format_date(x, pattern)
    if kind == "PERCENT":
        return loc.localize(f"{x * 100:.2f}%" if pattern == "0.00%" else f"{x * 100:.0f}%")
    if kind == "CURRENCY":
        return _format_money(x, pattern, loc)
    if kind == "SCIENTIFIC":
        mantissa, exponent = f"{x:.2e}".split("e")
        return loc.localize(mantissa) + f"E{int(exponent):+03d}"
    if pattern == "#,##0":
        return loc.localize(f"{x:,.0f}")
    if pattern == "#,##0.00":
        return loc.localize(f"{x:,.2f}")
    return general(x, loc)


_NUMBER_CORE = re.compile(r"[#0][#0,]*(?:\.0+)?")


def _format_money(x: float, pattern: str, loc: SheetLocale) -> str:
    """A currency pattern: literal text (quoted or not) around one `#,##0.00` core; minus in front."""
    core = _NUMBER_CORE.search(pattern)
    if core is None:
        return general(x, loc)
    before, after = (pattern[: core.start()].replace('"', ""), pattern[core.end() :].replace('"', ""))
    decimals = len(core.group().partition(".")[2])
    digits = loc.localize(f"{abs(x):,.{decimals}f}")
    return f"{'-' if x < 0 else ''}{before}{digits}{after}"


_DATE_TOKEN = re.compile(r"yyyy|dd|d|mm|m")


def _format_date(x: float, pattern: str) -> str:
    moment = from_serial(x)
    day_part, _, time_part = pattern.partition(" ")
    pieces = []
    if "y" in day_part or "d" in day_part:
        tokens = {
            "yyyy": f"{moment.year:04d}",
            "dd": f"{moment.day:02d}",
            "d": str(moment.day),
            "mm": f"{moment.month:02d}",
            "m": str(moment.month),
        }
        pieces.append(_DATE_TOKEN.sub(lambda m: tokens[m.group()], day_part))
    else:  # a TIME pattern has no date part
        time_part = day_part
    if time_part:
        clock = f"{moment.hour}:{moment.minute:02d}"
        if time_part.endswith(":ss"):
            clock += f":{moment.second:02d}"
        pieces.append(clock)
    return " ".join(pieces)


def formatted(cell: Cell, loc: SheetLocale = EN_US) -> str:
    value = cell.value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return format_number(value, cell.number_format, loc)
    return "" if value is None else str(value)


def render(cell: Cell | None, value_render: str, datetime_render: str, loc: SheetLocale = EN_US) -> Any:
    """One cell as the API answers it; None for an empty cell."""
    if cell is None or cell.is_blank:
        return None
    if value_render == "FORMATTED_VALUE":
        return formatted(cell, loc)
    if value_render == "FORMULA" and cell.formula is not None:
        return cell.formula
    value = cell.value
    if isinstance(value, float) and not isinstance(value, bool):
        if (
            datetime_render == "FORMATTED_STRING"
            and cell.number_format
            and cell.number_format[0] in DATE_TYPES
        ):
            return formatted(cell, loc)
        return json_number(value)
    return value


def values_matrix(
    block: list[list[Cell | None]],
    major: str,
    value_render: str,
    datetime_render: str,
    loc: SheetLocale = EN_US,
) -> list[list[Any]]:
    """A block of cells (rows of the range) → the `values` array, trimmed as Google trims it."""
    rendered = [[render(c, value_render, datetime_render, loc) for c in row] for row in block]
    if major == "COLUMNS":
        width = max((len(r) for r in rendered), default=0)
        rendered = [[r[j] if j < len(r) else None for r in rendered] for j in range(width)]
    out: list[list[Any]] = []
    for line in rendered:
        while line and line[-1] is None:
            line.pop()
        out.append(["" if v is None else v for v in line])
    while out and not out[-1]:
        out.pop()
    return out


def extended_value(cell: Cell, *, effective: bool) -> dict[str, Any]:
    """A cell's userEnteredValue (effective=False) or effectiveValue (effective=True)."""
    if not effective and cell.formula is not None:
        return {"formulaValue": cell.formula}
    value = cell.value
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, float):
        return {"numberValue": json_number(value)}
    return {"stringValue": "" if value is None else str(value)}


def cell_data(cell: Cell | None, loc: SheetLocale = EN_US) -> dict[str, Any]:
    """CellData for includeGridData: values, formattedValue, number format and data validation."""
    if cell is None:
        return {}
    out: dict[str, Any] = {}
    if not cell.is_blank:
        out["userEnteredValue"] = extended_value(cell, effective=False)
        out["effectiveValue"] = extended_value(cell, effective=True)
        out["formattedValue"] = formatted(cell, loc)
    if cell.number_format:
        kind, pattern = cell.number_format
        out["userEnteredFormat"] = {"numberFormat": {"type": kind, "pattern": pattern}}
    if cell.validation:
        out["dataValidation"] = cell.validation
    return out
