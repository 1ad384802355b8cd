"""Normalizers: each input either becomes the canonical value or a human reason."""

import pytest

from backend.sync.core import normalize as n

STATUSES = [
    n.Status(1, 99, "Неразобранное", "Воронка", is_unsorted=True),
    n.Status(1, 10, "Новый", "Воронка"),
    n.Status(1, 11, "Переговоры", "Воронка"),
    n.Status(1, 142, "Успешно реализовано", "Воронка"),
    n.Status(2, 10, "Other pipeline status", "Second"),
]


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("8 912 123-45-67", "+79121234567"),
        ("+7 (912) 123-45-67", "+79121234567"),
        ("89121234567", "+79121234567"),
        (89121234567, "+79121234567"),  # typed without "+", Sheets stored a number
        (79121234567.0, "+79121234567"),
        ("9121234567", "+79121234567"),
        ("+1 650 253 0000", "+16502530000"),
        ("", None),
        (None, None),
    ],
)
def test_phone(raw, value):
    assert n.phone(raw, "RU") == n.Parsed(value)


@pytest.mark.parametrize("raw", ["12345", "abc", "+7 912 123 45 6"])
def test_bad_phone_is_explained(raw):
    p = n.phone(raw, "RU")
    assert not p.ok and p.error.startswith("invalid phone") and str(raw)[:5] in p.error


def test_phone_region_decides_numbers_without_country_code():
    assert n.phone("8 701 123 4567", "KZ").value == "+77011234567"
    assert n.phone("(650) 253-0000", "US").value == "+16502530000"


@pytest.mark.parametrize(
    ("raw", "value"),
    [("Foo@X.ru", "foo@x.ru"), (" foo@x.ru ", "foo@x.ru"), ("mailto:A@b.com", "a@b.com"), ("", None)],
)
def test_email(raw, value):
    assert n.email(raw).value == value and n.email(raw).ok


@pytest.mark.parametrize("raw", ["x@", "a..b@x.ru", "@x.ru", "plain"])
def test_bad_email(raw):
    assert n.email(raw).error == f'invalid email "{raw}"'


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("15 000 ₽", "15000"),
        ("15,000", "15000"),
        ("1 500,00", "1500"),
        (15000.0, "15000"),
        (15000, "15000"),
        ("15000 руб.", "15000"),
        ("$1,200", "1200"),
        ("0", None),  # amoCRM stores "no budget" as 0
        ("", None),
    ],
)
def test_money(raw, value):
    assert n.money(raw) == n.Parsed(value)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [("abc", "is not a number"), ("-5", "negative"), ("12.5", "whole numbers"), (True, "is not a number")],
)
def test_bad_money(raw, reason):
    assert reason in n.money(raw).error


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("Новый", "1:10"),
        ("новый", "1:10"),
        ("Нoвый", "1:10"),  # a Latin "o" inside a Cyrillic word
        ("  ПЕРЕГОВОРЫ ", "1:11"),
        ("Воронка / Переговоры", "1:11"),
        ("успешно  реализовано", "1:142"),
    ],
)
def test_status_by_name(raw, value):
    assert n.status(raw, STATUSES, 1).value == value


def test_status_of_another_pipeline_is_unknown_and_the_message_lists_choices():
    p = n.status("Other pipeline status", STATUSES, 1)
    assert "unknown status" in p.error and "Новый" in p.error


def test_status_name_round_trip():
    assert n.status_name("1:11", STATUSES) == "Переговоры"


@pytest.mark.parametrize(
    ("raw", "value"), [(46350, "2026-11-24"), ("24.11.2026", "2026-11-24"), ("2026-11-24", "2026-11-24")]
)
def test_date(raw, value):
    assert n.date(raw).value == value
    assert n.to_serial(value) == 46350


def test_bad_date():
    assert "is not a date" in n.date("tomorrow").error
