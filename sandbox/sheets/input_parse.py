"""Turn written values into cells: `valueInputOption` RAW vs USER_ENTERED, and ExtendedValue.

USER_ENTERED parses a string as if a person typed it into the sheet; in an en_US spreadsheet:

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
under both options (a non-finite JSON number is refused: struct.proto's number_value cannot hold
NaN or Infinity). `null` skips a cell and `""` clears it. Formulas are not evaluated: a formula of
numeric literals and + - * / ^ ( ) gets its arithmetic result, any other formula the stand-in
`FORMULA_STAND_IN`, so tests that read a formula cell see a fixed, recognisable value.

Other locales (`locales.py`) swap the separators and the date order: in ru_RU `1 500,50` is 1500.5,
`12,5%` is 0.125, `1 500,50 ₽` is money and `15.01.2024` is 2024-01-15, while `1,234.5` and
`1/15/2024` stay text. Everywhere a mantissa needs a digit (`E1`, `e5`, `E-3` are text) and a number
must fit a double (`1e400` stays text, as Sheets holds IEEE 754 doubles only).
"""

from __future__ import annotations

import ast
import functools
import math
import operator
import re
from datetime import date, datetime, time, timedelta

from sandbox.sheets.errors import bad_request
from sandbox.sheets.limits import check_text
from sandbox.sheets.locales import EN_US, SheetLocale
from sandbox.sheets.model import Cell

FORMULA_STAND_IN = "#SANDBOX_FORMULA"
NUM_ERROR = "#NUM!"  # what Sheets shows for a result beyond a double (sheets.wiki "Number": limits)
EPOCH = datetime(1899, 12, 30)
SKIP = object()  # a null in the input: leave the cell as it is

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def serial(moment: datetime) -> float:
    """Google's SERIAL_NUMBER: days since 1899-12-30, the fraction being the time of day."""
    delta = moment - EPOCH
    return delta.days + delta.seconds / 86400


def from_serial(value: float) -> datetime:
    days = int(value // 1)
    seconds = round((value - days) * 86400)
    return EPOCH + timedelta(days=days, seconds=seconds)


def parse_value(
    raw: object, option: str, where: str, loc: SheetLocale = EN_US
) -> object:  # Cell, None (clear) or SKIP
    """One written value → a Cell, None (clear the cell) or SKIP (leave it)."""
    if raw is None:
        return SKIP
    if isinstance(raw, bool):
        return Cell(raw)
    if isinstance(raw, int | float):
        if not math.isfinite(raw):  # struct.proto: NaN and Infinity are no number_value
            raise bad_request(f"Invalid {where}: the number {raw!r} is not finite")
        return Cell(float(raw))
    if not isinstance(raw, str):
        kind = "list_value" if isinstance(raw, list) else "struct_value"
        raise bad_request(f"Invalid {where}: {kind}")
    check_text(raw)
    if raw == "":
        return None
    if option == "RAW":
        return Cell(raw)
    return parse_typed(raw, loc)


def parse_typed(text: str, loc: SheetLocale = EN_US) -> Cell:
    """A string as if typed into the UI (USER_ENTERED) of a spreadsheet in locale `loc`."""
    if text.startswith("'"):
        return Cell(text[1:])
    if text.startswith("=") and len(text) > 1:
        return formula_cell(text)
    t = text.strip()
    if t.upper() in ("TRUE", "FALSE"):
        return Cell(t.upper() == "TRUE")
    for parser in (_number, _percent, _currency, _datetime):
        cell = parser(t, loc)
        if cell is not None:
            return cell
    return Cell(text)


def formula_cell(text: str) -> Cell:
    return Cell(_evaluate(text[1:]), formula=text)


def from_extended(value: dict | None, where: str) -> Cell | None:
    """An ExtendedValue (updateCells / repeatCell) → a cell; `stringValue` is never parsed."""
    if not value:
        return None
    for text in value.values():
        check_text(text)
    if "formulaValue" in value:
        return formula_cell(str(value["formulaValue"]))
    if "stringValue" in value:
        return Cell(str(value["stringValue"])) if value["stringValue"] != "" else None
    if "numberValue" in value:
        number = float(value["numberValue"])
        if not math.isfinite(number):  # struct.proto / proto3 JSON: no NaN or Infinity as a number
            raise bad_request(f"Invalid {where}: the number {number!r} is not finite")
        return Cell(number)
    if "boolValue" in value:
        return Cell(bool(value["boolValue"]))
    if "errorValue" in value:
        raise bad_request(f"Invalid {where}: errorValue is read-only")
    raise bad_request(f"Invalid {where}: unknown ExtendedValue {sorted(value)}")


@functools.cache
def _patterns(loc: SheetLocale) -> dict[str, re.Pattern[str]]:
    """The locale's typed shapes. A mantissa needs a digit ("E1" is text, "1e3" a number); grouping
    takes groups of three after the first."""
    g, d = f"[{re.escape(loc.group_chars)}]", re.escape(loc.decimal)
    number = rf"(?:(?:\d{{1,3}}(?:{g}\d{{3}})+|\d+)(?:{d}\d+)?|{d}\d+)"
    sym, space = re.escape(loc.currency), "[ \u00a0\u202f]?"
    symbols = f"(?:{sym}|\\$)" if loc.currency != "$" else sym
    sep = re.escape(loc.date_separator)
    moment = r"(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?"
    day = (
        r"(\d{4})" + sep + r"(\d{1,2})" + sep + r"(\d{1,2})"
        if loc.date_order == "YMD"
        else (r"(\d{1,2})" + sep + r"(\d{1,2})" + sep + r"(\d{4})")
    )
    return {
        "number": re.compile(rf"^[+-]?{number}(?:[eE][+-]?\d+)?$"),
        "percent": re.compile(rf"^([+-]?{number})[ \u00a0\u202f]?%$"),
        "currency": re.compile(rf"^(-?)(?:{symbols}{space}(-?)({number})|(-?)({number}){space}{symbols})$"),
        "date": re.compile(f"^{day}{moment}$"),
    }


def _to_float(text: str, loc: SheetLocale) -> float | None:
    """Typed digits in the locale → a finite double, else None (the text stays text)."""
    plain = text
    for ch in loc.group_chars:
        plain = plain.replace(ch, "")
    value = float(plain.replace(loc.decimal, "."))
    return value if math.isfinite(value) else None  # 1e400 is no double: Sheets keeps the text


def _number(t: str, loc: SheetLocale) -> Cell | None:
    if not _patterns(loc)["number"].match(t):
        return None
    value = _to_float(t, loc)
    if value is None:
        return None
    if "e" in t.lower():
        return Cell(value, number_format=("SCIENTIFIC", "0.00E+00"))
    if any(ch in t for ch in loc.group_chars):
        return Cell(value, number_format=("NUMBER", "#,##0.00" if loc.decimal in t else "#,##0"))
    return Cell(value)


def _percent(t: str, loc: SheetLocale) -> Cell | None:
    m = _patterns(loc)["percent"].match(t)
    value = _to_float(m.group(1), loc) if m else None
    if value is None:
        return None
    pattern = "0.00%" if loc.decimal in m.group(1) else "0%"  # type: ignore[union-attr]
    return Cell(value / 100, number_format=("PERCENT", pattern))


def _currency(t: str, loc: SheetLocale) -> Cell | None:
    m = _patterns(loc)["currency"].match(t)
    if not m:
        return None
    sign = m.group(1) or m.group(2) or m.group(4)
    value = _to_float(m.group(3) or m.group(5), loc)
    if value is None:
        return None
    pattern = loc.currency_pattern() if loc.currency in t else "$#,##0.00"
    return Cell(-value if sign else value, number_format=("CURRENCY", pattern))


def _datetime(t: str, loc: SheetLocale) -> Cell | None:
    try:
        m = _ISO_DATE.match(t)
        if m:
            y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
            return _date_cell(date(y, mo, d), m.group(4), m.group(5), m.group(6), "yyyy-mm-dd")
        m = _patterns(loc)["date"].match(t)
        if m:
            a, b, c = int(m.group(1)), int(m.group(2)), int(m.group(3))
            y, mo, d = {"MDY": (c, a, b), "DMY": (c, b, a), "YMD": (a, b, c)}[loc.date_order]
            return _date_cell(date(y, mo, d), m.group(4), m.group(5), m.group(6), loc.date_pattern)
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
        value = float(_eval_node(tree.body))
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError, TypeError):
        return FORMULA_STAND_IN
    return value if math.isfinite(value) else NUM_ERROR  # past a double: Sheets shows #NUM!


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
