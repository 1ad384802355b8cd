"""Every sidebar screen in headless Chromium at the sidebar's 300 px width (issue 14, item 6; Activity and
Health: issue 17).

The page is the real one: `showSidebar` evaluated by the HtmlService double (tests/e2e/sidebar_screens.js),
with the real CSS and script. Its `google.script.run` answers with what the real server functions
returned for that screen over the Apps Script doubles and the fake backend of tests/addon; a call with
no answer left never returns, so the screen stays put for the checks and the screenshot
(test-artifacts/e2e/sidebar/). Checked on every screen: no horizontal scrollbar, and the screen's title
(focused when the screen opens) shows a focus outline; on the mapping screen (12 columns), Save stays
within the frame while scrolling, and the formula column says its results fire no edit trigger.
Chromium runs with classic scrollbars (Playwright's headless default hides them), as a person whose
system has non-overlay scrollbars sees the 300 px frame: the scrollbar takes 15 px of it.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS, CHROMIUM, FLAGS, ROOT

SHOTS = ARTIFACTS / "sidebar"
WIDTH, HEIGHT = 300, 640

# google.script.run over recorded answers: one per call, in order; with none left the call hangs.
# Every call and its arguments are kept in window.__calls.
SHIM = """<script>
window.__answers = %s;
window.google = { script: { run: (function runner(ok, fail) {
  return new Proxy({}, { get: function (_, name) {
    if (name === 'withSuccessHandler') return function (f) { return runner(f, fail); };
    if (name === 'withFailureHandler') return function (f) { return runner(ok, f); };
    return function () {
      (window.__calls = window.__calls || []).push([name, Array.prototype.slice.call(arguments)]);
      var left = window.__answers[name] || [];
      if (!left.length) return;
      var answer = left.shift();
      setTimeout(function () {
        if (answer && answer.error) fail(new Error(answer.error)); else ok(answer);
      }, 0);
    };
  } });
})(null, null) } };
</script>"""


@pytest.fixture
def browser(tmp_path):
    """(context, page, page_errors) like conftest's, but scrollbars take their room."""
    from playwright.sync_api import sync_playwright

    expect.set_options(timeout=20_000)
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            ignore_default_args=["--hide-scrollbars"],
            viewport={"width": WIDTH, "height": HEIGHT},
        )
        page = context.pages[0] if context.pages else context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            yield context, page, errors
        finally:
            context.close()


@pytest.fixture(scope="module")
def served() -> dict:
    out = subprocess.run(
        ["node", str(ROOT / "tests" / "e2e" / "sidebar_screens.js")],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return json.loads(out.stdout)


def open_screen(page: Page, served: dict, name: str) -> None:
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    page.goto("about:blank")  # a new window: the last screen's timers (job polling) stop
    shim = SHIM % json.dumps(served["screens"][name])
    page.set_content(served["html"].replace("<head>", "<head>" + shim, 1))


def no_horizontal_scroll(page: Page) -> None:
    sizes = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert sizes[0] <= sizes[1], f"content {sizes[0]} px wide in a {sizes[1]} px frame"


def focused_with_outline(page: Page, selector: str) -> None:
    style = page.evaluate(
        """(sel) => {
          const el = document.querySelector(sel);
          const s = getComputedStyle(el);
          return {active: document.activeElement === el, style: s.outlineStyle, width: s.outlineWidth};
        }""",
        selector,
    )
    assert style == {"active": True, "style": "solid", "width": "2px"}, (selector, style)


def shot(page: Page, name: str, full: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)


def test_loading_failed_setup_and_connect(browser, served):
    _, page, errors = browser
    open_screen(page, served, "loading")
    expect(page.locator("#loading-text")).to_be_visible()
    no_horizontal_scroll(page)
    shot(page, "01-loading")
    open_screen(page, served, "failed")
    expect(page.locator("#btn-retry")).to_be_visible()
    expect(page.locator("#error")).to_contain_text("Cannot reach the sync service")
    no_horizontal_scroll(page)
    shot(page, "01b-failed")
    for n, name in enumerate(["setup", "connect"], 2):
        open_screen(page, served, name)
        expect(page.locator(f"#screen-{name}")).to_be_visible()
        expect(page.locator("#setup-sheet")).to_have_text("Leads")
        focused_with_outline(page, f"#{name}-title")
        no_horizontal_scroll(page)
        shot(page, f"0{n}-{name}")
    assert errors == []


def test_mapping_of_twelve_columns_keeps_save_in_reach_and_marks_the_formula_column(browser, served):
    _, page, errors = browser
    open_screen(page, served, "mapping")
    expect(page.locator("#screen-mapping")).to_be_visible()
    expect(page.locator("#columns fieldset")).to_have_count(12)
    focused_with_outline(page, "#mapping-title")
    no_horizontal_scroll(page)
    height = page.evaluate("() => document.documentElement.scrollHeight")
    assert height > 3 * HEIGHT, f"the screen is long ({height} px), so Save must stay in reach"
    save = page.locator("#btn-save-mapping")
    for at in (0, height // 2, height):
        page.evaluate("(y) => window.scrollTo(0, y)", at)
        box = save.bounding_box()
        assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= HEIGHT, (at, box)
    page.evaluate("() => window.scrollTo(0, 0)")
    shot(page, "04-mapping-top")
    formula = page.locator('#columns fieldset[data-header="Full title"] .formula-note')
    expect(formula).to_contain_text("fire no edit trigger")
    expect(page.locator(".formula-note")).to_have_count(1)
    formula.scroll_into_view_if_needed()
    shot(page, "05-mapping-formula-column")
    shot(page, "06-mapping-full", full=True)
    assert errors == []


def test_ready_preview_progress_result(browser, served):
    _, page, errors = browser
    open_screen(page, served, "ready")
    expect(page.locator("#screen-ready")).to_be_visible()
    expect(page.locator("#errors li")).to_have_count(2)
    focused_with_outline(page, "#ready-title")
    expect(page.locator("#btn-autosync")).to_have_text("Take over auto-sync")
    expect(page.locator("#autosync-status")).to_contain_text("run by colleague@example.com")
    no_horizontal_scroll(page)
    shot(page, "07-ready")
    shot(page, "08-ready-full", full=True)

    open_screen(page, served, "preview")
    page.locator("#btn-sync").click()
    expect(page.locator("#preview")).to_be_visible()
    expect(page.locator("#btn-confirm")).to_have_text("Sync anyway")
    focused_with_outline(page, "#preview-title")
    no_horizontal_scroll(page)
    shot(page, "09-preview")

    open_screen(page, served, "progress")
    page.locator("#btn-sync").click()
    page.locator("#btn-confirm").click()
    expect(page.locator("#bar")).to_have_attribute("aria-valuenow", "40")
    no_horizontal_scroll(page)
    shot(page, "10-progress")

    open_screen(page, served, "result")
    page.locator("#btn-sync").click()
    page.locator("#btn-confirm").click()
    expect(page.locator("#result")).to_be_visible()
    focused_with_outline(page, "#result-title")
    no_horizontal_scroll(page)
    shot(page, "11-result")
    assert errors == []


def test_activity_lists_runs_and_opens_one_and_health_says_what_to_do(browser, served):
    _, page, errors = browser
    open_screen(page, served, "activity")
    page.locator("#btn-activity").click()
    expect(page.locator("#screen-activity")).to_be_visible()
    focused_with_outline(page, "#activity-title")
    expect(page.locator("#runs li")).to_have_count(4)
    expect(page.locator("#runs li").nth(1)).to_contain_text("Regular check")
    expect(page.locator("#runs li").nth(1)).to_contain_text(
        "3 changes amoCRM did not announce were picked up."
    )
    expect(page.locator("#btn-runs-more")).to_be_visible()
    no_horizontal_scroll(page)
    shot(page, "12-activity")
    page.locator("#runs li button").first.click()
    expect(page.locator("#run")).to_be_visible()
    focused_with_outline(page, "#run-title")
    expect(page.locator("#run-title")).to_contain_text("Changes in amoCRM")
    expect(page.locator("#run-changes li")).to_have_count(2)
    expect(page.locator("#run-changes li").first).to_have_text(
        "Lead 30512345, Stage in the sheet: “New lead” → “Talks” (changed in amoCRM)"
    )
    no_horizontal_scroll(page)
    page.locator("#run").scroll_into_view_if_needed()
    shot(page, "13-activity-run")
    shot(page, "14-activity-full", full=True)

    open_screen(page, served, "health")
    page.locator("#btn-health-open").click()
    expect(page.locator("#screen-health")).to_be_visible()
    focused_with_outline(page, "#health-title")
    items = page.locator("#health-items li")
    expect(items).to_have_count(4)
    expect(page.locator("#health-items li.bad")).to_have_count(2)
    expect(items.first).to_contain_text("reconnect amoCRM")
    expect(items.nth(3)).to_contain_text("12 changes queued, about 95 s.")
    no_horizontal_scroll(page)
    shot(page, "15-health", full=True)
    page.locator("#btn-health-back").click()
    expect(page.locator("#screen-ready")).to_be_visible()
    assert errors == []


def test_undo_this_run_asks_twice_then_lists_the_undo_on_top(browser, served):
    _, page, errors = browser
    open_screen(page, served, "undo")
    page.locator("#btn-activity").click()
    page.locator("#runs li button").first.click()
    undo = page.locator("#btn-run-undo")
    expect(undo).to_have_text("Undo this run")
    undo.click()
    expect(undo).to_have_text("Click again to undo")
    shot(page, "16-activity-undo-armed")
    undo.click()
    expect(page.locator("#message")).to_have_text("Undone: 1 field restored, 1 kept, 0 created leads kept.")
    expect(page.locator("#runs li")).to_have_count(5)
    expect(page.locator("#run")).to_be_hidden()
    expect(page.locator("#runs li").first).to_contain_text("Undo: 1 restored, 1 kept (changed since).")
    no_horizontal_scroll(page)
    page.evaluate("() => window.scrollTo(0, 0)")
    shot(page, "17-activity-undone")
    page.locator("#runs li button").first.click()  # the undo itself: what it kept, and why
    expect(page.locator("#run-changes li")).to_have_count(2)
    expect(page.locator("#run-changes li").nth(1)).to_have_text(
        "Kept: lead 30512346, Lead: budget — changed in amoCRM since by Maxim Manager"
        " at 12/5/2026, 2:04:00 PM (now “900”)."
    )
    expect(page.locator("#run-changes li").first).to_have_text(
        "Lead 30512345, Stage in the sheet: “Talks” → “New lead” (undone)"
    )
    page.evaluate(
        "() => document.querySelector('#run-changes li:last-child').scrollIntoView({block: 'center'})"
    )
    shot(page, "17b-undo-run-kept")
    assert errors == []


def test_an_undo_past_the_guard_says_why_and_goes_on_when_confirmed(browser, served):
    _, page, errors = browser
    open_screen(page, served, "undoGuard")
    page.locator("#btn-activity").click()
    page.locator("#runs li button").first.click()
    undo = page.locator("#btn-run-undo")
    undo.click()
    undo.click()
    expect(undo).to_have_text("Undo anyway")
    expect(page.locator("#run-guard")).to_have_text(
        "Please check first: the undo would change 52 of 60 synced rows (limit 20%)."
    )
    expect(page.locator("#run-guard")).to_be_in_viewport()
    no_horizontal_scroll(page)
    shot(page, "18-activity-undo-guard")
    undo.click()
    expect(page.locator("#message")).to_have_text("Undone: 1 field restored, 1 kept, 0 created leads kept.")
    expect(page.locator("#run-guard")).to_be_hidden()
    assert errors == []


def test_undo_of_a_run_that_created_leads_offers_the_stages_to_move_them_to(browser, served):
    _, page, errors = browser
    open_screen(page, served, "undoImport")
    page.locator("#btn-activity").click()
    page.locator("#runs li button").first.click()
    expect(page.locator("#run")).to_be_visible()
    stage = page.locator("#undo-stage")
    expect(stage).to_be_visible()
    expect(stage.locator("option")).to_have_text(["their current stage (tag only)", "New lead", "Talks"])
    stage.select_option(label="Talks")
    no_horizontal_scroll(page)
    page.evaluate("() => document.getElementById('undo-stage').scrollIntoView({block: 'center'})")
    shot(page, "19-undo-import-stage")
    page.locator("#btn-run-undo").click()
    page.locator("#btn-run-undo").click()
    expect(page.locator("#message")).to_have_text("Undone: 0 fields restored, 0 kept, 12 created leads kept.")
    calls = page.evaluate("() => window.__calls.filter((c) => c[0] === 'undoRun')")
    assert calls == [["undoRun", ["1764936000000-d1b2c3d4", 142002, False]]]
    open_screen(page, served, "undo")  # a run that created nothing offers no stages
    page.locator("#btn-activity").click()
    page.locator("#runs li button").first.click()
    expect(page.locator("#run")).to_be_visible()
    expect(page.locator("#undo-stage-field")).to_be_hidden()
    assert errors == []
