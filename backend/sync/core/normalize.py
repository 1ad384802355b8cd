"""Normalizers: a raw cell or amoCRM value -> a canonical string, or a human reason it is invalid.

Canonical forms (what the planner compares):
- phone: E.164 via `phonenumbers` with the connection's default region (RU: "8 912 123-45-67" ≡
  "+7 (912) 123-45-67" ≡ "+79121234567"); a number that is not possible for its region is an error;
- e-mail: validated by `email-validator` (no DNS), then lower-cased whole — mailbox providers treat the
  local part case-insensitively in practice, and "Foo@X.ru" vs "foo@x.ru" must be one person;
- money: a whole number ("15 000 ₽", "15,000", 15000.0 -> "15000"); 0 is the same as empty, because
  amoCRM stores an unset budget as 0;
- status: "pipeline_id:status_id", matched by name case-, space- and look-alike-insensitively
  (Cyrillic "Новый" typed with a Latin "o" still matches);
- date: ISO "YYYY-MM-DD" from a Sheets serial number (days since 1899-12-30) or common text forms;
- text: stripped, inner whitespace collapsed; empty -> None; longer than a Google Sheets cell holds
  (50,000 characters: a longer write fails the whole batch) -> cut, ending in a marker that says so.
  Both sides compare the cut form, so a long amoCRM text is written once and then stays unchanged.

Every function returns `Parsed(value, error)`; exactly one of them is meaningful. Pure: no I/O.
Phones and e-mails are memoized (`Parsed` is frozen): one run meets the same value several times — the
sheet read, the write intents, the contact directory — and parsing them is most of a run's CPU.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import phonenumbers
from email_validator import EmailNotValidError, validate_email

Raw = str | int | float | bool | None


@dataclass(frozen=True)
class Parsed:
    value: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


EMPTY = Parsed(None)


def _blank(raw: Raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _short(raw: Raw, limit: int = 40) -> str:
    text = str(raw).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


CELL_CHARS = 50_000  # Google Sheets refuses a longer cell with 400 and writes nothing of the batch


def text(raw: Raw) -> Parsed:
    if _blank(raw):
        return EMPTY
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    value = " ".join(str(raw).split())
    if len(value) > CELL_CHARS:
        marker = f" … [cut to fit a Google Sheets cell: {len(value):,} characters in amoCRM]"
        value = value[: CELL_CHARS - len(marker)] + marker
    return Parsed(value)


# typed: True and 1 are different cells. Sized for a sheet of 16,000 rows read again, not for an import
# of 100,000 whose values are all new: a full cache stays in the worker (docs/performance.md).
_memo = functools.lru_cache(maxsize=1 << 14, typed=True)


@_memo
def phone(raw: Raw, region: str = "RU") -> Parsed:
    if _blank(raw):
        return EMPTY
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)  # a phone typed without "+" becomes a number in Sheets
    source = str(raw).strip()
    if isinstance(raw, int) and not source.startswith(("7", "8")) and len(source) > 10:
        source = "+" + source
    try:
        number = phonenumbers.parse(source, region)
    except phonenumbers.NumberParseException:
        return Parsed(error=f'invalid phone "{_short(raw)}"')
    if not phonenumbers.is_possible_number(number):
        return Parsed(error=f'invalid phone "{_short(raw)}" (wrong number of digits)')
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    again = phonenumbers.format_number(phonenumbers.parse(e164, region), phonenumbers.PhoneNumberFormat.E164)
    if again != e164:  # e.g. "+510000000000": runs of leading zeros phonenumbers cannot keep stable
        return Parsed(error=f'invalid phone "{_short(raw)}"')
    return Parsed(e164)


@_memo
def email(raw: Raw) -> Parsed:
    if _blank(raw):
        return EMPTY
    source = str(raw).strip()
    if source.lower().startswith("mailto:"):
        source = source[7:]
    try:
        result = validate_email(source, check_deliverability=False)
    except EmailNotValidError:
        return Parsed(error=f'invalid email "{_short(raw)}"')
    return Parsed(result.normalized.lower())


_MONEY_NOISE = re.compile(r"[\s\u00a0\u202f'’₽$€£¥]|руб\.?|rub|usd|eur|р\.", re.IGNORECASE)


def forget() -> None:
    """Empty the caches (a worker calls it after each job it runs in its own process)."""
    phone.cache_clear()
    email.cache_clear()


def money(raw: Raw) -> Parsed:
    if _blank(raw):
        return EMPTY
    if isinstance(raw, bool):
        return Parsed(error=f'budget "{raw}" is not a number')
    if isinstance(raw, (int, float)):
        amount = Decimal(str(raw))
    else:
        source = _MONEY_NOISE.sub("", str(raw))
        if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", source):
            source = source.replace(",", "")  # 15,000 or 15,000.50: comma as thousands separator
        elif re.fullmatch(r"-?\d+,\d{1,2}", source):
            source = source.replace(",", ".")  # 1500,50: comma as decimal separator (ru)
        try:
            amount = Decimal(source)
        except InvalidOperation:
            return Parsed(error=f'budget "{_short(raw)}" is not a number')
    if not amount.is_finite():
        return Parsed(error=f'budget "{_short(raw)}" is not a number')
    if amount < 0:
        return Parsed(error=f'budget "{_short(raw)}" is negative')
    whole = amount.to_integral_value()
    if abs(amount - whole) > Decimal("0.000001"):
        return Parsed(error=f'budget "{_short(raw)}" has kopecks/cents; amoCRM budgets are whole numbers')
    if whole > 2_147_483_647:
        return Parsed(error=f'budget "{_short(raw)}" is larger than amoCRM accepts')
    return EMPTY if whole == 0 else Parsed(str(int(whole)))


# Cyrillic letters that look like Latin ones, folded to Latin so "Новый" typed with a Latin "о" matches.
_HOMOGLYPHS = str.maketrans("аеорсухкмтнвіјѕԁ", "aeopcyxkmthbijsd")


def fold(name: str) -> str:
    """Case-, width-, space- and look-alike-insensitive form of a name, for matching only."""
    value = unicodedata.normalize("NFKC", name).casefold().replace("ё", "е")
    value = value.translate(_HOMOGLYPHS)
    value = re.sub(r"[\"'«»“”„`]", "", value)
    value = re.sub(r"[\s\-–—_]+", " ", value)
    return value.strip()


@dataclass(frozen=True)
class Status:
    pipeline_id: int
    status_id: int
    name: str
    pipeline_name: str = ""
    is_unsorted: bool = False  # amoCRM's "incoming leads" stage (type 1)

    @property
    def canonical(self) -> str:
        return f"{self.pipeline_id}:{self.status_id}"


def status(raw: Raw, statuses: Iterable[Status], pipeline_id: int) -> Parsed:
    """A status name (or "Pipeline / Status") in the connection's pipeline -> "pipeline:status"."""
    if _blank(raw):
        return EMPTY
    wanted = fold(str(raw))
    candidates = [s for s in statuses if s.pipeline_id == pipeline_id]
    for s in candidates:
        if fold(s.name) == wanted or fold(f"{s.pipeline_name} / {s.name}") == wanted:
            return Parsed(s.canonical)
    names = ", ".join(s.name for s in candidates[:8])
    return Parsed(error=f'unknown status "{_short(raw)}" (use one of: {names})')


def status_name(canonical: str | None, statuses: Iterable[Status]) -> str | None:
    if canonical is None:
        return None
    for s in statuses:
        if s.canonical == canonical:
            return s.name
    return canonical


def user(raw: Raw, users: Mapping[int, tuple[str, str]]) -> Parsed:
    """A responsible user by name or e-mail (users: id -> (name, email)) -> the user id."""
    if _blank(raw):
        return EMPTY
    if (
        isinstance(raw, (int, float))
        and not isinstance(raw, bool)
        and math.isfinite(raw)
        and int(raw) in users
    ):
        return Parsed(str(int(raw)))  # (a checkbox's TRUE is not user 1; an infinite number is no user)
    wanted = fold(str(raw))
    for uid, (name, mail) in sorted(users.items()):
        if wanted in (fold(name), fold(mail or "")):
            return Parsed(str(uid))
    return Parsed(error=f'unknown user "{_short(raw)}"')


_SHEETS_EPOCH = dt.date(1899, 12, 30)
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d.%m.%y", "%Y/%m/%d")


def date(raw: Raw) -> Parsed:
    if _blank(raw):
        return EMPTY
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if not 1 <= raw < 2958466:  # 0001-01-01 .. 9999-12-31 in Sheets serial days
            return Parsed(error=f'date "{raw}" is out of range')
        return Parsed((_SHEETS_EPOCH + dt.timedelta(days=int(raw))).isoformat())
    source = str(raw).strip()
    for fmt in _DATE_FORMATS:
        try:
            return Parsed(dt.datetime.strptime(source, fmt).date().isoformat())
        except ValueError:
            continue
    return Parsed(error=f'date "{_short(raw)}" is not a date (use 2026-11-24 or 24.11.2026)')


def to_serial(iso: str) -> int:
    """ISO date -> Sheets serial day number (for writing dates back as dates)."""
    return (dt.date.fromisoformat(iso) - _SHEETS_EPOCH).days
