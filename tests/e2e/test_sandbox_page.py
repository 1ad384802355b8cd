"""The add-on's whole first-use flow in a real browser (issue 7, "Real browser"), on the sandbox page.

The real `addon/Sidebar.html` and the real server-side add-on code run over the Apps Script doubles in
the page; their SpreadsheetApp is the Sheets emulator, their UrlFetchApp reaches the live backend (under
gunicorn, with two RQ worker processes and a real Redis), and the connect popup goes through the
backend's connect page and the amoCRM emulator's OAuth page. Nothing is stubbed. Each state is saved as
a PNG in test-artifacts/e2e/.
"""

from __future__ import annotations

import time

from playwright.sync_api import FrameLocator, Page, expect

from sandbox.amocrm.client import AmoSandbox
from sandbox.local import AMO_HOST, SERVICE_ACCOUNT
from sandbox.sheets.client import SheetsSandbox
from tests.e2e.conftest import ARTIFACTS, BAD_EMAIL, BAD_ROW

FIXED_EMAIL = "anna@example.com"


class Shots:
    """Numbered screenshots of the page (or a popup) in the order the states are reached."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, page: Page, name: str) -> None:
        self.n += 1
        page.screenshot(path=str(ARTIFACTS / f"{self.n:02d}-{name}.png"))


def column_of(page: Page, header: str) -> str:
    """The column letter under which the header row shows `header`."""
    cell = page.locator("#grid tbody tr").first.locator("td", has_text=header)
    return cell.get_attribute("data-a1").rstrip("1")  # type: ignore[union-attr]


def cell(page: Page, a1: str):
    return page.locator(f'#grid td[data-a1="{a1}"]')


def wait_for_error_list(sidebar: FrameLocator, *, gone: str, timeout_s: float = 20) -> None:
    """Refresh the sidebar's error list (its own button) until `gone` is no longer in it."""
    deadline = time.monotonic() + timeout_s
    while True:
        sidebar.locator("#btn-errors").click()
        expect(sidebar.locator("#btn-errors")).to_be_enabled()
        if gone not in sidebar.locator("#errors").inner_text() or time.monotonic() > deadline:
            return
        time.sleep(0.5)


def test_set_up_connect_map_sync_then_fix_and_retry_a_bad_row(site, browser):
    context, page, page_errors = browser
    shot = Shots()
    sheets = SheetsSandbox(site.product.sheets)
    amo = AmoSandbox(site.product.amo)
    page.goto(site.url)
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    sidebar = page.frame_locator("#sidebar")

    # 1. Set up: registers with proof of control and shares the file with the backend's service account
    expect(sidebar.locator("#screen-setup")).to_be_visible()
    expect(sidebar.locator("#setup-sheet")).to_have_text("Leads")
    shot(page, "setup")
    sidebar.locator("#btn-setup").click()
    expect(sidebar.locator("#screen-connect")).to_be_visible()
    assert SERVICE_ACCOUNT in sheets.sharing(site.spreadsheet_id)["editors"]
    shot(page, "connect")

    # 2. Connect amoCRM in the popup: the backend's connect page → amoCRM's authorize page → back
    with context.expect_page() as opened:
        sidebar.locator("#btn-connect").click()
    popup = opened.value
    popup.locator("#connect").click()
    expect(popup.locator("button.allow")).to_be_visible()
    shot(popup, "amocrm-authorize")
    popup.locator("button.allow").click()
    # back on the backend: which sheet is about to be connected, confirmed by the person
    expect(popup.locator("#amo-host")).to_have_text(AMO_HOST)
    expect(popup.locator("#sheet-tab")).to_have_text("Leads")
    popup.locator("#confirm-connect").click()
    expect(popup.locator("h1")).to_have_text(f"Connected to {AMO_HOST}")
    shot(popup, "connected")

    # 3. The sidebar notices by itself and suggests a mapping from the headers
    expect(sidebar.locator("#screen-mapping")).to_be_visible()
    suggested = {
        fs.get_attribute("data-header"): fs.locator("select").first.input_value()
        for fs in sidebar.locator("#columns fieldset").all()
    }
    assert suggested["Имя"] == "contact.name" and suggested["Email"] == "contact.email"
    assert suggested["Телефон"] == "contact.phone" and suggested["Бюджет"] == "lead.price"
    assert suggested["Сделка"] == "lead.name" and suggested["Комментарий"] == ""
    shot(page, "mapping-suggested")
    sidebar.locator("#btn-save-mapping").click()
    expect(sidebar.locator("#screen-ready")).to_be_visible()
    expect(page.locator("#grid tbody tr").first).to_contain_text("amo_sync_status")  # the sync's own columns

    # 4. Sync now → preview → confirm → progress to 100 % → result
    sidebar.locator("#btn-sync").click()
    expect(sidebar.locator("#preview")).to_be_visible()
    preview = sidebar.locator("#preview-counts").inner_text()
    assert "New leads" in preview and "Rows with errors" in preview
    shot(page, "preview")
    sidebar.locator("#btn-confirm").click()
    expect(sidebar.locator("#progress")).to_be_visible()
    shot(page, "progress")
    expect(sidebar.locator("#result")).to_be_visible(timeout=60_000)
    expect(sidebar.locator("#bar")).to_have_attribute("aria-valuenow", "100")
    expect(sidebar.locator("#message")).to_have_text("Sync finished.")
    shot(page, "result")

    # 5. The bad row is in the errors list, and its status cell explains it
    bad = sidebar.locator("#errors li", has_text=f"Row {BAD_ROW}:")
    expect(bad).to_contain_text(f'invalid email "{BAD_EMAIL}"')
    status, email, lead = (
        column_of(page, "amo_sync_status"),
        column_of(page, "Email"),
        column_of(page, "amo_lead_id"),
    )
    expect(cell(page, f"{status}{BAD_ROW}")).to_contain_text("⚠")
    expect(cell(page, f"{lead}{BAD_ROW}")).to_have_text("")
    bad.scroll_into_view_if_needed()
    shot(page, "error-listed")

    # 6. Fix the cell in the grid (a person's edit), then "Retry row"
    cell(page, f"{email}{BAD_ROW}").click()
    page.keyboard.type(FIXED_EMAIL)
    page.keyboard.press("Enter")
    expect(cell(page, f"{email}{BAD_ROW}")).to_have_text(FIXED_EMAIL)
    assert [(e["user"], e["changeType"], e["range"]) for e in sheets.edits(site.spreadsheet_id)] == [
        ("you@example.com", "EDIT", f"Leads!{email}{BAD_ROW}")
    ]
    shot(page, "cell-fixed")
    sidebar.get_by_role("button", name=f"Retry row {BAD_ROW}", exact=True).click()
    expect(sidebar.locator("#message")).to_have_text(f"Row {BAD_ROW} will be synced again.")
    wait_for_error_list(sidebar, gone=f"Row {BAD_ROW}:")
    expect(sidebar.locator("#errors")).not_to_contain_text(f"Row {BAD_ROW}:")
    expect(cell(page, f"{status}{BAD_ROW}")).to_contain_text("✓")
    lead_id = int(cell(page, f"{lead}{BAD_ROW}").inner_text())
    (created,) = [x for x in amo.leads(AMO_HOST) if x["id"] == lead_id]
    assert created["name"] == site.rows[BAD_ROW - 1][0]
    (contact_id,) = [c["id"] for c in created["_embedded"]["contacts"]]
    (contact,) = [c for c in amo.contacts(AMO_HOST) if c["id"] == contact_id]
    emails = [
        v["value"]
        for f in contact["custom_fields_values"] or []
        for v in f["values"]
        if "@" in str(v["value"])
    ]
    assert emails == [FIXED_EMAIL]
    shot(page, "row-retried")

    # 7. A manager moves that lead on the amoCRM board: amoCRM's webhook brings the stage to the sheet
    stage = column_of(page, "Статус")
    picker = page.frame_locator("#amo-board").locator(f'select.move[data-lead-id="{lead_id}"]')
    picker.select_option(label="Переговоры")
    expect(cell(page, f"{stage}{BAD_ROW}")).to_have_text("Переговоры")
    shot(page, "moved-in-amocrm")

    # 8. With auto-sync on, typing in the grid runs the add-on's edit trigger: the budget reaches amoCRM
    sidebar.locator("#btn-autosync").click()
    expect(sidebar.locator("#btn-autosync")).to_have_text("Turn off auto-sync")
    budget = column_of(page, "Бюджет")
    cell(page, f"{budget}{BAD_ROW}").click()
    page.keyboard.type("99000")
    page.keyboard.press("Enter")
    expect(page.locator("#log li").first).to_contain_text(f"edit Leads!{budget}{BAD_ROW}")
    deadline = time.monotonic() + 20
    while next(x for x in amo.leads(AMO_HOST) if x["id"] == lead_id)["price"] != 99000:
        assert time.monotonic() < deadline, "the edit did not reach amoCRM"
        time.sleep(0.3)
    shot(page, "typed-with-auto-sync")

    # 9. Reopening the document keeps what Apps Script keeps: the connection and this user's trigger
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(sidebar.locator("#screen-ready")).to_be_visible()
    expect(sidebar.locator("#btn-autosync")).to_have_text("Turn off auto-sync")
    assert page_errors == []
