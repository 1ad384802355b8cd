"""Turn written values into cells: `valueInputOption` RAW vs USER_ENTERED, and ExtendedValue.

USER_ENTERED parses a string as if a person typed it into a sheet whose locale is en_US:

| typed                         | stored                                  | number format             |
|-------------------------------|-----------------------------------------|---------------------------|
| `42`, ` 42 `, `007`, `+42`    | 42 (number)                             | —                         |
| `1,234.5`                     | 1234.5                                  | `#,##0.00`                |
| `12.5%`                       | 0.125                                   | `0.00%` (`0%` for `50%`)  |
| `$1,234.50`                   | 1234.5                                  | `$#,##0.00`               |
| `1e3`                         | 1000                                    | `0.00E+00`                |
| `true`, `FALSE`               | boolean                                 | —                         |
| `2024-01-15`, `1/15/2024`     | date serial (days since 1899-12-30)     | DATE, the typed layout    |
| `2024-01-15 13:45[:10]`       | date-time serial                        | DATE_TIME                 |
| `13:45[:10]`                  | fraction of a day                       | TIME                      |
| `=…`                          | a formula, with a deterministic stand-in| —                         |
| `'007`                        | the string `007` (apostrophe dropped)   | —                         |

RAW stores strings as strings (even `=1+2` and `TRUE`); JSON numbers and booleans stay what they are
under both options. `null` skips a cell and `""` clears it. Formulas are not evaluated: a formula of
numeric literals and + - * / ^ ( ) gets its arithmetic result, any other formula the stand-in
`FORMULA_STAND_IN`, so tests that read a formula cell see a fixed, recognisable value.
"""

from __future__ import annotations

import ast
import operator
import re
from datetime import date, datetime, time, timedelta

from sandbox.sheets.errors import bad_request
from sandbox.sheets.model import Cell

FORMULA_STAND_IN = "#SANDBOX_FORMULA"
EPOCH = datetime(1899, 12, 30)
SKIP = object()  # a null in the input: leave the cell as it is

_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?([eE][+-]?\d+)?$")
_PERCENT = re.compile(r"^([+-]?[\d,]*\.?\d+)\s*%$")
_CURRENCY = re.compile(r"^(-?)\$(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def serial(moment: datetime) -> float:
    """Google's SERIAL_NUMBER: days since 1899-12-30, the fraction being the time of day."""
    delta = moment - EPOCH
    return delta.days + delta.seconds / 86400


def from_serial(value: float) -> datetime:
    days = int(value // 1)
    seconds = round((value - days) * 86400)
    return EPOCH + timedelta(days=days, seconds=seconds)


def parse_value(raw: object, option: str, where: str) -> object:  # Cell, None (clear) or SKIP
    """One written value → a Cell, None (clear the cell) or SKIP (leave it)."""
    if raw is None:
        return SKIP
    if isinstance(raw, bool):
        return Cell(raw)
    if isinstance(raw, int | float):
        return Cell(float(raw))
    if not isinstance(raw, str):
        kind = "list_value" if isinstance(raw, list) else "struct_value"
        raise bad_request(f"Invalid {where}: {kind}")
    if raw == "":
        return None
    if option == "RAW":
        return Cell(raw)
    return parse_typed(raw)


def parse_typed(text: str) -> Cell:
    """A string as if typed into the UI (USER_ENTERED)."""
    if text.startswith("'"):
        return Cell(text[1:])
    if text.startswith("=") and len(text) > 1:
        return formula_cell(text)
    t = text.strip()
    if t.upper() in ("TRUE", "FALSE"):
        return Cell(t.upper() == "TRUE")
    for parser in (_number, _percent, _currency, _datetime):
        cell = parser(t)
        if cell is not None:
            return cell
    return Cell(text)


def formula_cell(text: str) -> Cell:
    return Cell(_evaluate(text[1:]), formula=text)


def from_extended(value: dict | None, where: str) -> Cell | None:
    """An ExtendedValue (updateCells / repeatCell) → a cell; `stringValue` is never parsed."""
    if not value:
        return None
    if "formulaValue" in value:
        return formula_cell(str(value["formulaValue"]))
    if "stringValue" in value:
        return Cell(str(value["stringValue"])) if value["stringValue"] != "" else None
    if "numberValue" in value:
        return Cell(float(value["numberValue"]))
    if "boolValue" in value:
        return Cell(bool(value["boolValue"]))
    if "errorValue" in value:
        raise bad_request(f"Invalid {where}: errorValue is read-only")
    raise bad_request(f"Invalid {where}: unknown ExtendedValue {sorted(value)}")


def _number(t: str) -> Cell | None:
    if not _NUMBER.match(t) or not any(ch.isdigit() for ch in t):
        return None
    value = float(t.replace(",", ""))
    if "e" in t.lower():
        return Cell(value, number_format=("SCIENTIFIC", "0.00E+00"))
    if "," in t:
        return Cell(value, number_format=("NUMBER", "#,##0.00" if "." in t else "#,##0"))
    return Cell(value)


def _percent(t: str) -> Cell | None:
    m = _PERCENT.match(t)
    if not m:
        return None
    number = m.group(1)
    pattern = "0.00%" if "." in number else "0%"
    return Cell(float(number.replace(",", "")) / 100, number_format=("PERCENT", pattern))


def _currency(t: str) -> Cell | None:
    m = _CURRENCY.match(t)
    if not m:
        return None
    value = float(m.group(2).replace(",", "") + (m.group(4) or ""))
    return Cell(-value if m.group(1) else value, number_format=("CURRENCY", "$#,##0.00"))


def _datetime(t: str) -> Cell | None:
    try:
        m = _ISO_DATE.match(t)
        if m:
            y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
            return _date_cell(date(y, mo, d), m.group(4), m.group(5), m.group(6), "yyyy-mm-dd")
        m = _US_DATE.match(t)
        if m:
            mo, d, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
            return _date_cell(date(y, mo, d), m.group(4), m.group(5), m.group(6), "m/d/yyyy")
        m = _TIME.match(t)
        if m:
            moment = time(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
            pattern = "h:mm:ss" if m.group(3) else "h:mm"
            value = (moment.hour * 3600 + moment.minute * 60 + moment.second) / 86400
            return Cell(value, number_format=("TIME", pattern))
    except ValueError:  # 2024-02-30, 25:00: not a date, so it stays the text that was typed
        return None
    return None


def _date_cell(day: date, hh: str | None, mm: str | None, ss: str | None, layout: str) -> Cell:
    if hh is None:
        return Cell(float(serial(datetime.combine(day, time()))), number_format=("DATE", layout))
    moment = datetime.combine(day, time(int(hh), int(mm or 0), int(ss or 0)))
    pattern = f"{layout} h:mm:ss" if ss else f"{layout} h:mm"
    return Cell(serial(moment), number_format=("DATE_TIME", pattern))


_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


def _evaluate(expression: str) -> float | str:
    """Arithmetic of numeric literals only; anything else (functions, references) → the stand-in."""
    try:
        tree = ast.parse(expression.replace("^", "**"), mode="eval")
        return float(_eval_node(tree.body))
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError, TypeError):
        return FORMULA_STAND_IN


def _eval_node(node: ast.AST) -> float:
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return float(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_eval_node(node.left), _eval_node(node.right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_eval_node(node.operand))
    raise ValueError("not plain arithmetic")
