"""valueInputOption RAW vs USER_ENTERED and the three valueRenderOptions (plus dateTimeRenderOption)."""

from __future__ import annotations

import pytest
from sheets_helpers import values_of

from sandbox.sheets.input_parse import FORMULA_STAND_IN

# typed text → (UNFORMATTED_VALUE, FORMATTED_VALUE) under USER_ENTERED
USER_ENTERED = [
    ("42", 42, "42"),
    (" 42 ", 42, "42"),
    ("007", 7, "7"),
    ("-3.5", -3.5, "-3.5"),
    ("1,234.5", 1234.5, "1,234.50"),
    ("12.5%", 0.125, "12.50%"),
    ("50%", 0.5, "50%"),
    ("$1,234.50", 1234.5, "$1,234.50"),
    ("1e3", 1000, "1.00E+03"),
    ("true", True, "TRUE"),
    ("FALSE", False, "FALSE"),
    ("2024-01-15", 45306, "2024-01-15"),
    ("1/15/2024", 45306, "1/15/2024"),
    ("2024-01-15 12:00", 45306.5, "2024-01-15 12:00"),
    ("18:00", 0.75, "18:00"),
    ("'007", "007", "007"),
    ("2024-02-30", "2024-02-30", "2024-02-30"),
    ("+7 912 345-67-89", "+7 912 345-67-89", "+7 912 345-67-89"),
    ("hello", "hello", "hello"),
]


@pytest.fixture
def blank(admin) -> str:
    return admin.create_spreadsheet("Blank", [])


def write(svc, sid, values, option):
    svc.spreadsheets().values().update(
        spreadsheetId=sid, range="Sheet1!A1", valueInputOption=option, body={"values": values}
    ).execute()


@pytest.mark.parametrize(("typed", "unformatted", "formatted"), USER_ENTERED)
def test_user_entered_parses_like_typing(svc, blank, typed, unformatted, formatted):
    write(svc, blank, [[typed]], "USER_ENTERED")
    assert values_of(svc, blank, "A1", valueRenderOption="UNFORMATTED_VALUE") == [[unformatted]]
    assert values_of(svc, blank, "A1") == [[formatted]]


@pytest.mark.parametrize("typed", ["42", "true", "2024-01-15", "=1+2", "12%"])
def test_raw_keeps_strings_as_strings(svc, blank, typed):
    write(svc, blank, [[typed]], "RAW")
    assert values_of(svc, blank, "A1", valueRenderOption="UNFORMATTED_VALUE") == [[typed]]
    assert values_of(svc, blank, "A1", valueRenderOption="FORMULA") == [[typed]]


def test_json_numbers_and_booleans_keep_their_type_under_both_options(svc, blank):
    write(svc, blank, [[5, 2.5, True]], "RAW")
    assert values_of(svc, blank, valueRenderOption="UNFORMATTED_VALUE") == [[5, 2.5, True]]
    assert values_of(svc, blank) == [["5", "2.5", "TRUE"]]


def test_formulas_are_kept_and_formula_render_returns_them(svc, blank):
    write(svc, blank, [["=SUM(B1:B2)", "=1+2*3"]], "USER_ENTERED")
    assert values_of(svc, blank, valueRenderOption="FORMULA") == [["=SUM(B1:B2)", "=1+2*3"]]
    # Not evaluated: arithmetic of literals gets its result, anything else a fixed stand-in.
    assert values_of(svc, blank, valueRenderOption="UNFORMATTED_VALUE") == [[FORMULA_STAND_IN, 7]]


def test_date_time_render_option(svc, blank):
    write(svc, blank, [["2024-01-15", "1/15/2024 6:30"]], "USER_ENTERED")
    serial = values_of(
        svc, blank, valueRenderOption="UNFORMATTED_VALUE", dateTimeRenderOption="SERIAL_NUMBER"
    )
    assert serial == [[45306, 45306.270833333336]]
    text = values_of(
        svc, blank, valueRenderOption="UNFORMATTED_VALUE", dateTimeRenderOption="FORMATTED_STRING"
    )
    assert text == [["2024-01-15", "1/15/2024 6:30"]]
    # FORMULA renders a date like UNFORMATTED_VALUE does.
    assert values_of(svc, blank, valueRenderOption="FORMULA")[0][0] == 45306


def test_formatted_value_ignores_date_time_render_option(svc, blank):
    write(svc, blank, [["2024-01-15"]], "USER_ENTERED")
    assert values_of(svc, blank, dateTimeRenderOption="SERIAL_NUMBER") == [["2024-01-15"]]


def test_a_cell_keeps_its_number_format_when_a_new_value_is_written(svc, blank):
    write(svc, blank, [["2024-01-15"]], "USER_ENTERED")  # the cell becomes a DATE cell
    write(svc, blank, [[45307]], "RAW")  # a plain number written later shows as a date
    assert values_of(svc, blank) == [["2024-01-16"]]
    svc.spreadsheets().values().clear(spreadsheetId=blank, range="A1", body={}).execute()
    write(svc, blank, [[45308]], "RAW")  # clearing values keeps formatting too
    assert values_of(svc, blank) == [["2024-01-17"]]
    write(svc, blank, [["12%"]], "USER_ENTERED")  # a typed format replaces it
    assert values_of(svc, blank) == [["12%"]]
