"""The spreadsheet's locale decides how USER_ENTERED text is read and how FORMATTED_VALUE shows numbers.

Sources: SpreadsheetProperties.locale in Google's discovery document (sheets.v4.json, shipped with
google-api-python-client); Google Docs Editors Help "Set a spreadsheet's location & calculation
settings" (the locale "affects formatting details such as functions, dates, and currency"); the
separators, date order and currency placement of each locale are CLDR's (ru: decimal comma, no-break
space grouping, dd.MM.y, "1 500,50 ₽"; pt_BR: "R$ 1.500,50", dd/MM/y; es_ES: "1.500,50 €", d/M/yy),
read through babel. Number-format patterns are locale-independent (`#,##0.00` everywhere).
"""

from __future__ import annotations

import pytest
from sheets_helpers import values_of

NBSP = "\u00a0"

# locale, typed → (UNFORMATTED_VALUE, FORMATTED_VALUE)
TYPED = [
    ("ru_RU", "1 500,50", 1500.5, f"1{NBSP}500,50"),
    ("ru_RU", "1500,5", 1500.5, "1500,5"),
    ("ru_RU", "1,5", 1.5, "1,5"),
    ("ru_RU", "1 500,50 ₽", 1500.5, f"1{NBSP}500,50{NBSP}₽"),
    ("ru_RU", "-1 500 ₽", -1500, f"-1{NBSP}500,00{NBSP}₽"),
    ("ru_RU", "12,5%", 0.125, "12,50%"),
    ("ru_RU", "15.01.2024", 45306, "15.01.2024"),
    ("ru_RU", "15.01.2024 12:00", 45306.5, "15.01.2024 12:00"),
    ("ru_RU", "2024-01-15", 45306, "2024-01-15"),
    ("ru_RU", "1e3", 1000, "1,00E+03"),
    ("ru_RU", "1,234.5", "1,234.5", "1,234.5"),  # en_US shapes are text here
    ("ru_RU", "1/15/2024", "1/15/2024", "1/15/2024"),
    ("ru_RU", "+7 912 345-67-89", "+7 912 345-67-89", "+7 912 345-67-89"),
    ("ru_RU", "89123456789", 89123456789, "89123456789"),
    ("ru", "15 000 ₽", 15000, f"15{NBSP}000,00{NBSP}₽"),  # a bare language takes its likely territory
    ("pt_BR", "1.500,50", 1500.5, "1.500,50"),
    ("pt_BR", "R$ 1.500,50", 1500.5, f"R${NBSP}1.500,50"),
    ("pt_BR", "15/01/2024", 45306, "15/01/2024"),
    ("es_ES", "1.500,50 €", 1500.5, f"1.500,50{NBSP}€"),
    ("es_ES", "15/1/2024", 45306, "15/1/2024"),
    ("en_US", "$1,500.50", 1500.5, "$1,500.50"),
    ("en_US", "1/15/2024", 45306, "1/15/2024"),
    ("en_US", "1,5", "1,5", "1,5"),
    ("en_US", "15.01.2024", "15.01.2024", "15.01.2024"),
]


def create(svc, locale: str) -> str:
    body = {"properties": {"title": f"In {locale}", "locale": locale}}
    return svc.spreadsheets().create(body=body).execute()["spreadsheetId"]


@pytest.mark.parametrize(("locale", "typed", "unformatted", "shown"), TYPED)
def test_typed_values_are_read_in_the_spreadsheet_locale(svc, locale, typed, unformatted, shown):
    sid = create(svc, locale)
    svc.spreadsheets().values().update(
        spreadsheetId=sid, range="A1", valueInputOption="USER_ENTERED", body={"values": [[typed]]}
    ).execute()
    assert values_of(svc, sid, "A1", valueRenderOption="UNFORMATTED_VALUE") == [[unformatted]]
    assert values_of(svc, sid, "A1") == [[shown]]


def test_api_numbers_are_shown_in_the_locale_and_the_locale_can_change(svc):
    sid = create(svc, "ru_RU")
    svc.spreadsheets().values().update(
        spreadsheetId=sid, range="A1", valueInputOption="RAW", body={"values": [[1500.25, 3]]}
    ).execute()
    assert values_of(svc, sid, "A1:B1") == [["1500,25", "3"]]
    request = {"updateSpreadsheetProperties": {"properties": {"locale": "en_US"}, "fields": "locale"}}
    svc.spreadsheets().batchUpdate(spreadsheetId=sid, body={"requests": [request]}).execute()
    assert values_of(svc, sid, "A1:B1") == [["1500.25", "3"]]
    props = svc.spreadsheets().get(spreadsheetId=sid, fields="properties.locale").execute()
    assert props == {"properties": {"locale": "en_US"}}


def test_grid_data_formatted_value_and_pattern_in_ru(svc):
    sid = create(svc, "ru_RU")
    svc.spreadsheets().values().update(
        spreadsheetId=sid,
        range="A1",
        valueInputOption="USER_ENTERED",
        body={"values": [["1 500,50 ₽", "15.01.2024"]]},
    ).execute()
    got = svc.spreadsheets().get(spreadsheetId=sid, ranges=["A1:B1"], includeGridData=True).execute()
    money, day = got["sheets"][0]["data"][0]["rowData"][0]["values"]
    assert money["formattedValue"] == f"1{NBSP}500,50{NBSP}₽"
    assert money["effectiveValue"] == {"numberValue": 1500.5}
    assert money["userEnteredFormat"]["numberFormat"]["type"] == "CURRENCY"
    assert "#,##0.00" in money["userEnteredFormat"]["numberFormat"]["pattern"]
    assert day["userEnteredFormat"]["numberFormat"] == {"type": "DATE", "pattern": "dd.mm.yyyy"}


def test_formatted_string_dates_follow_the_typed_pattern(svc):
    sid = create(svc, "ru_RU")
    svc.spreadsheets().values().update(
        spreadsheetId=sid, range="A1", valueInputOption="USER_ENTERED", body={"values": [["05.03.2024"]]}
    ).execute()
    assert values_of(
        svc, sid, "A1", valueRenderOption="UNFORMATTED_VALUE", dateTimeRenderOption="FORMATTED_STRING"
    ) == [["05.03.2024"]]
    assert values_of(svc, sid, "A1", valueRenderOption="UNFORMATTED_VALUE") == [[45356]]


def test_the_admin_api_creates_a_sheet_in_a_locale(admin, svc):
    sid = admin.create_spreadsheet("Импорт", [["Бюджет"], ["1 500"]], locale="ru_RU")
    assert values_of(svc, sid, "A2", valueRenderOption="UNFORMATTED_VALUE") == [[1500]]
