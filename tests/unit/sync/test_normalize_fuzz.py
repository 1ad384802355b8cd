"""Fuzzing the normalizers with whatever a cell can hold (text of any script, numbers of any size, NaN,
infinities, booleans, empty): each returns a value or a human error — never raises — and a canonical
value normalizes to itself, so the planner never sees a value change by being read again."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.sync.core import normalize as n

CELLS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=60),
    st.from_regex(r"[+8]?[ (]?\d{1,4}[) -]?\d{2,4}[ -]?\d{2,4}[ -]?\d{0,4}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9._%+-]{0,12}@[A-Za-z0-9.-]{0,12}(\.[a-z]{2,4})?", fullmatch=True),
    st.from_regex(r"-?\d{1,3}([ ,.]\d{3})*([.,]\d{1,3})?\s?(₽|руб|\$|€)?", fullmatch=True),
)
STATUSES = [
    n.Status(10, 1, "Первичный контакт", "Воронка"),
    n.Status(10, 2, "Переговоры", "Воронка"),
    n.Status(10, 142, "Успешно реализовано", "Воронка"),
    n.Status(20, 3, "New", "Other"),
]
USERS = {1: ("Anna Admin", "anna@example.com"), 2: ("Maxim Manager", None)}


def _one_of(p: n.Parsed) -> None:
    assert isinstance(p, n.Parsed)
    assert p.value is None or p.error is None
    assert p.error is None or (isinstance(p.error, str) and p.error)


@pytest.mark.parametrize(
    "normalize",
    [
        n.text,
        n.email,
        n.money,
        n.date,
        lambda raw: n.phone(raw, "RU"),
        lambda raw: n.phone(raw, "US"),
        lambda raw: n.status(raw, STATUSES, 10),
        lambda raw: n.user(raw, USERS),
    ],
    ids=["text", "email", "money", "date", "phone-RU", "phone-US", "status", "user"],
)
@settings(max_examples=400, deadline=None)
@given(raw=CELLS)
def test_never_raises_and_answers_a_value_or_an_error(normalize, raw):
    _one_of(normalize(raw))


@pytest.mark.parametrize(
    "normalize",
    [n.text, n.email, n.money, n.date, lambda raw: n.phone(raw, "RU")],
    ids=["text", "email", "money", "date", "phone"],
)
@settings(max_examples=400, deadline=None)
@given(raw=CELLS)
def test_a_canonical_value_is_its_own_canonical_form(normalize, raw):
    first = normalize(raw).value
    if first is not None:
        assert normalize(first).value == first


@settings(max_examples=300, deadline=None)
@given(raw=CELLS)
def test_status_names_round_trip(raw):
    canonical = n.status(raw, STATUSES, 10).value
    if canonical is not None:
        assert n.status(n.status_name(canonical, STATUSES), STATUSES, 10).value == canonical
