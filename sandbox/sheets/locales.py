"""A spreadsheet's locale as typing and FORMATTED_VALUE see it: separators, date order, currency.

Google: "the locale of the spreadsheet … affects formatting details such as functions, dates, and
currency" (SpreadsheetProperties.locale in the discovery document). The symbols come from CLDR through
`babel`, which is what Google's own locale data is built on:

| locale  | decimal | grouping         | typed date   | currency             |
|---------|---------|------------------|--------------|----------------------|
| en_US   | `.`     | `,`              | `1/15/2024`  | `$1,500.50`          |
| ru_RU   | `,`     | no-break space   | `15.01.2024` | `1 500,50 ₽`         |
| es_ES   | `,`     | `.`              | `15/1/2024`  | `1.500,50 €`         |
| pt_BR   | `,`     | `.`              | `15/01/2024` | `R$ 1.500,50`        |

Any other locale babel knows works the same way; an unknown one falls back to en_US (as the sandbox's
choice: Google refuses unknown locales on create/update, which the emulator does not model).
Imports only babel and the standard library.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.numbers import (
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    get_territory_currencies,
)

SPACES = " \u00a0\u202f"  # a person types a plain space where CLDR writes a no-break one


@dataclass(frozen=True)
class SheetLocale:
    code: str
    decimal: str
    group: str
    date_order: str  # "MDY", "DMY" or "YMD": how a typed d/m/y date is read
    date_separator: str
    date_pattern: str  # the Sheets pattern a typed date is shown with, e.g. "dd.mm.yyyy"
    currency: str  # the symbol typed and shown, e.g. "₽"
    currency_before: bool  # "$1" vs "1 ₽"
    currency_gap: str  # what stands between the symbol and the number ("" or a no-break space)

    @property
    def group_chars(self) -> str:
        """Grouping characters accepted in typed numbers (any space where the locale groups with one)."""
        return SPACES if self.group in SPACES else self.group

    def currency_pattern(self) -> str:
        """The Sheets number-format pattern given to a typed amount of money."""
        symbol = self.currency if self.currency == "$" else f'"{self.currency}"'
        if self.currency_before:
            return f"{symbol}{self.currency_gap}#,##0.00"
        return f"#,##0.00{self.currency_gap}{symbol}"

    def localize(self, en: str) -> str:
        """A number written with en_US separators ("1,500.5") in this locale's ("1 500,5")."""
        if self.decimal == "." and self.group == ",":
            return en
        return en.translate(str.maketrans({",": self.group, ".": self.decimal}))


@functools.cache
def locale_of(code: str | None) -> SheetLocale:
    try:
        loc = Locale.parse(code or "en_US")
    except (UnknownLocaleError, ValueError, TypeError):
        loc = Locale.parse("en_US")
    # a bare language ("ru", allowed by the discovery document) takes its most likely territory
    territory = loc.territory or str(get_global("likely_subtags").get(str(loc), "")).rpartition("_")[2]
    currencies = get_territory_currencies(territory) if territory else []
    symbol = get_currency_symbol(currencies[0], loc) if currencies else "$"
    money = loc.currency_formats["standard"].pattern.split(";")[0]
    before = money.index("¤") < money.index("0")
    gap = "\u00a0" if ("¤\u00a0" in money or "\u00a0¤" in money or "¤ " in money or " ¤" in money) else ""
    short = loc.date_formats["short"].pattern
    order = "".join(sorted("dMy", key=short.index)).upper()
    separator = next((ch for ch in short if not ch.isalpha()), "/")
    pattern = separator.join(_SHEETS_DATE_TOKEN[t] for t in re.findall(r"d+|M+|y+", short))
    return SheetLocale(
        code=str(loc),
        decimal=get_decimal_symbol(loc),
        group=get_group_symbol(loc),
        date_order=order,
        date_separator=separator,
        date_pattern=pattern,
        currency=symbol,
        currency_before=before,
        currency_gap=gap,
    )


# CLDR date tokens → Sheets number-format tokens (a typed year is always shown with four digits)
_SHEETS_DATE_TOKEN = {"d": "d", "dd": "dd", "M": "m", "MM": "mm", "y": "yyyy", "yy": "yyyy", "yyyy": "yyyy"}

EN_US = locale_of("en_US")
