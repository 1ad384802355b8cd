"""A ru_RU spreadsheet end to end: budgets, phones and dates typed the Russian way reach amoCRM, and
amoCRM's changes come back — over the real backend, both emulators, Redis and RQ workers.

In a ru_RU spreadsheet a person's `1 500` or `15 000 ₽` is a number and `15.01.2024` a date (Sheets
reads typed text in the spreadsheet's locale; see tests/fidelity/sheets/test_sheets_locale.py for the
sources); the backend reads UNFORMATTED_VALUE, so it must take those numbers and date serials, and text
cells written the Russian way, the same as in an en_US sheet.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.amocrm.conftest import HOST, connect_flow
from tests.integration.sync.conftest import PERSON, SERVICE_ACCOUNT, Stack

HEADERS = ["Имя", "Телефон", "Email", "Бюджет", "Статус", "Contract date"]
NBSP = "\u00a0"


@pytest.fixture
def ru_stack(sync_backend, sheets):
    def make(rows: list[list], headers: list[str] = HEADERS, option: str = "USER_ENTERED") -> Stack:
        spreadsheet_id = sheets.admin.create_spreadsheet(
            "Продажи",
            [headers, *rows],
            value_input_option=option,
            sheet_title="Сделки",
            owner=PERSON,
            editors=[SERVICE_ACCOUNT],
            locale="ru_RU",  # what a person typed is read as in a Russian-language Google Sheets
        )
        conn, secret = sync_backend.tenants.create(spreadsheet_id, 0, "Сделки", "sub-1", PERSON)
        assert connect_flow(sync_backend, conn.id)[0].status == 200
        stack = Stack(sync_backend, sheets, spreadsheet_id, conn.id, secret)
        suggested = stack.call("POST", "/mapping/suggest")
        assert suggested.status_code == 200, suggested.text
        mapping = suggested.json()["mapping"]
        saved = stack.call("PUT", "/mapping", mapping)
        assert saved.status_code == 200, saved.text
        return stack

    return make


def date_field_id(stack: Stack) -> int:
    fields = stack.amo.admin.account(HOST)["custom_fields"]["leads"]
    return next(f["id"] for f in fields if f["name"] == "Contract date")


def test_a_ru_sheet_syncs_budgets_phones_and_dates_both_ways(ru_stack):
    stack = ru_stack(
        [
            ["Иван Петров", "8 912 000-00-01", "ivan@x.ru", "1 500", "", "15.01.2024"],
            ["Ольга Смирнова", "89120000002", "olga@x.ru", "15 000 ₽", "", "2024-02-01"],
            ["Пётр Иванов", "+7 (912) 000-00-03", "petr@x.ru", "2 500,50", "", "03.03.2024"],
        ]
    )
    # the sheet holds numbers and date serials, as Google would after a person typed them
    raw = stack.grid()
    assert [r[3] for r in raw[1:]] == [1500, 15000, 2500.5]
    assert raw[1][5] == 45306 and raw[1][1] == "8 912 000-00-01" and raw[2][1] == 89120000002
    shown = stack.sheets.admin.values(stack.spreadsheet_id, render="FORMATTED_VALUE")
    assert shown[2][3] == f"15{NBSP}000,00{NBSP}₽" and shown[1][5] == "15.01.2024"

    report = stack.sync()
    assert report["status"] == "finished", report
    stack.settle()
    mapping = stack.call("GET", "/mapping").json()["mapping"]
    targets = {c["header"]: c["target"] for c in mapping["columns"]}
    assert targets["Contract date"].startswith("lead.cf:"), targets

    leads = {x["name"]: x for x in stack.leads()}
    contacts = {c["name"]: c for c in stack.contacts()}
    assert set(contacts) == {"Иван Петров", "Ольга Смирнова"}  # the kopeck budget is refused
    phones = {
        name: next(f for f in c["custom_fields_values"] if f["field_code"] == "PHONE")["values"][0]["value"]
        for name, c in contacts.items()
    }
    assert sorted(phones.values()) == ["+79120000001", "+79120000002"]
    by_price = {x["price"]: x for x in leads.values()}
    assert set(by_price) == {1500, 15000}
    field = date_field_id(stack)

    def contract_date(lead: dict) -> str:
        cf = next(f for f in lead["custom_fields_values"] if f["field_id"] == field)
        return dt.datetime.fromtimestamp(int(cf["values"][0]["value"]), dt.UTC).date().isoformat()

    assert contract_date(by_price[1500]) == "2024-01-15"
    assert contract_date(by_price[15000]) == "2024-02-01"
    petr = dict(zip(stack.grid()[0], stack.grid()[3], strict=False))
    assert "kopecks" in petr.get("amo_sync_status", ""), petr  # read as 2500.5, not as text

    # a person edits a budget the Russian way; amoCRM gets the number
    ivan_key = _key(stack, 1)
    stack.edit("Сделки!D2", [["2 750"]])
    stack.send_edits([ivan_key])
    stack.work()
    ivan_lead = int(stack.row_of(ivan_key)["amo_lead_id"])
    assert next(x for x in stack.leads() if x["id"] == ivan_lead)["price"] == 2750

    # amoCRM changes a budget: the row gets a number, shown with Russian grouping
    stack.amo.admin.manager_update_lead(HOST, ivan_lead, price=32000)
    stack.settle()
    assert stack.row_of(ivan_key)["Бюджет"] == 32000
    shown = stack.sheets.admin.values(stack.spreadsheet_id, render="FORMATTED_VALUE")
    assert shown[1][3] == f"32{NBSP}000"  # the cell keeps the grouping a person's "2 750" gave it
    assert stack.row_of(ivan_key)["Contract date"] == 45306  # the person's date stays a date


def _key(stack: Stack, row: int) -> str:
    grid = stack.grid()
    return grid[row][grid[0].index("amo_sync_id")]


def test_text_cells_written_the_russian_way_are_read_as_numbers_and_dates(ru_stack):
    """Cells formatted as plain text (or pasted as text) keep what was typed: `1 500` with a no-break
    space — how ru_RU shows grouped numbers, so what a copy of a shown value holds — and `1 234,5`."""
    row = ["Анна Кузнецова", "8 912 000-00-09", "anna@x.ru", f"1{NBSP}500", "", "15.01.2024", f"1{NBSP}234,5"]
    stack = ru_stack([row], [*HEADERS, "Amount paid"], option="RAW")
    targets = {c["header"]: c["target"] for c in stack.call("GET", "/mapping").json()["mapping"]["columns"]}
    assert targets["Amount paid"].startswith("lead.cf:"), targets
    assert stack.grid()[1][3] == f"1{NBSP}500"  # text, not a number

    report = stack.sync()
    assert report["status"] == "finished", report
    assert stack.leads(), stack.grid()[1][7:]  # the row's sync status says what was refused
    (lead,) = stack.leads()
    assert lead["price"] == 1500
    paid = int(targets["Amount paid"].split(":")[1])
    values = {f["field_id"]: f["values"][0]["value"] for f in lead["custom_fields_values"]}
    assert float(values[paid]) == 1234.5
    day = dt.datetime.fromtimestamp(int(values[date_field_id(stack)]), dt.UTC).date()
    assert day == dt.date(2024, 1, 15)
