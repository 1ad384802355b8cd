"""Attacks on connecting amoCRM, over the real processes (gunicorn, RQ worker, Redis, both emulators):

- an attacker starts the connect flow for their own sheet and sends amoCRM's authorize URL to an amoCRM
  admin; one "Allow" in the admin's browser must bind nothing (the state is bound to the browser that
  opened the start page);
- even in the right browser nothing is bound until the person saw which sheet is being connected and
  confirmed it (a same-origin POST with a one-time token);
- a flow finished after its sheet was disconnected must not leave a ghost connection that breaks the
  webhook sync of every other sheet on that amoCRM account.
"""

from __future__ import annotations

import html
import re
import time
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from bench.rows import new_rows
from bench.settle import settle
from bench.tenant import Tenant, confirm_connect, id_token
from tests.security.conftest import new_sheet

VICTIM_HOST = "victim.amocrm.ru"
ATTACKER = "mallory@example.com"


@pytest.fixture(scope="module")
def victim(two) -> Tenant:
    """A third tenant: the amoCRM account whose admin the attacker targets, with a synced sheet."""
    v = Tenant.create(two.product, new_rows(3, start=500), host=VICTIM_HOST, person="victor@example.com")
    assert v.sync()["status"] == "finished"
    settle(two.product)
    return v


def _start(tenant: Tenant, person: str) -> tuple[requests.Session, str]:
    """The sidebar's Connect amoCRM: the start page in the person's browser; returns it and the
    authorize URL behind its button."""
    ticket = tenant.call("POST", "/connect-ticket", id_token=id_token(tenant.product, person)).json()
    browser = requests.Session()
    start = browser.get(ticket["url"], timeout=30)
    assert start.status_code == 200, start.text
    return browser, html.unescape(re.search(r'id="connect" href="([^"]+)"', start.text).group(1))


def _allow(browser: requests.Session, authorize: str, host: str) -> str:
    """amoCRM's authorize page in `browser`: pick the account, press Allow; returns the redirect back."""
    page = browser.get(authorize, timeout=30)
    form = {
        n: html.unescape(v)
        for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text)
    }
    form.update({"account": host, "decision": "allow", "user_id": ""})
    answer = browser.post(authorize.split("?")[0], data=form, allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def _follow(browser: requests.Session, location: str) -> requests.Response:
    return browser.get(location.split("?")[0], params=dict(parse_qsl(urlsplit(location).query)), timeout=60)


def _account_id(product, host: str) -> int:
    return product.amo.account(host)["id"]


def _listed(product, host: str) -> set[str]:
    return {m.decode() for m in product.redis.smembers(f"amo:account-conns:{_account_id(product, host)}")}


def test_an_authorize_url_finished_in_someone_elses_browser_binds_nothing(two, victim):
    product = two.product
    mallory = new_sheet(product, ATTACKER)
    _, authorize = _start(mallory, ATTACKER)  # the attacker's browser got the cookie; the URL is sent on
    admin = requests.Session()  # the victim admin's browser: never saw the start page
    back = _follow(admin, _allow(admin, authorize, VICTIM_HOST))
    assert back.status_code == 403 and "started in another browser" in back.text, back.text
    assert 'id="confirm"' not in back.text
    # the admin, puzzled, presses reload: still nothing
    assert "Connected" not in admin.get(back.url, timeout=30).text
    assert mallory.state()["amo"] == {"connected": False}
    assert _listed(product, VICTIM_HOST) == {victim.connection_id}
    assert mallory.call("GET", "/amo/metadata").status_code == 409  # nothing of the victim's to read


def test_nothing_is_bound_before_the_person_confirms_which_sheet(two, victim):
    product = two.product
    sheet = new_sheet(product, "victor@example.com", title="Second tab")
    browser, authorize = _start(sheet, "victor@example.com")
    back = _follow(browser, _allow(browser, authorize, VICTIM_HOST))
    assert back.status_code == 200 and 'id="confirm"' in back.text
    # the page names the sheet, the spreadsheet, who set it up and the amoCRM account
    for shown in ("Second tab", sheet.spreadsheet_id, "victor@example.com", VICTIM_HOST):
        assert shown in back.text
    assert sheet.state()["amo"] == {"connected": False}
    fields = dict(re.findall(r'name="(state|csrf)" value="([^"]*)"', back.text))
    confirm_url = f"{product.web_url}/oauth/amocrm/confirm"
    # another site's form posting into the confirm endpoint: no cookie (SameSite=Lax), a guessed token
    forged = requests.post(confirm_url, data={**fields, "decision": "connect"}, timeout=30)
    assert forged.status_code == 403
    assert sheet.state()["amo"] == {"connected": False}  # and that try used the state up
    assert confirm_connect(browser, back).status_code == 400
    # a fresh flow confirmed by the person with the wrong token: refused; with the right one: bound
    browser, authorize = _start(sheet, "victor@example.com")
    back = _follow(browser, _allow(browser, authorize, VICTIM_HOST))
    fields = dict(re.findall(r'name="(state|csrf)" value="([^"]*)"', back.text))
    wrong = browser.post(confirm_url, data={**fields, "csrf": "x" * 32, "decision": "connect"}, timeout=30)
    assert wrong.status_code == 403 and sheet.state()["amo"] == {"connected": False}
    browser, authorize = _start(sheet, "victor@example.com")
    done = confirm_connect(browser, _follow(browser, _allow(browser, authorize, VICTIM_HOST)))
    assert done.status_code == 200 and f"Connected to {VICTIM_HOST}" in done.text
    assert sheet.state()["amo"]["host"] == VICTIM_HOST
    assert sheet.call("DELETE", id_token=id_token(product, "victor@example.com")).status_code == 200
    assert _listed(product, VICTIM_HOST) == {victim.connection_id}


def _lead_reaches_sheet(tenant: Tenant, timeout_s: float = 60) -> bool:
    """A manager changes one of the tenant's leads in amoCRM; its webhook must bring it to the sheet."""
    product = tenant.product
    lead = tenant.leads()[0]
    price = int(lead.get("price") or 0) + 4321
    product.amo.manager_update_lead(tenant.host, lead["id"], price=price)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        _, rows = tenant.table()
        if any(str(price) in [str(v) for v in r.values()] for r in rows):
            return True
        time.sleep(0.5)
    return False


def test_a_flow_finished_after_disconnect_leaves_no_ghost_and_webhooks_keep_flowing(two, victim):
    product = two.product
    person = "victor@example.com"
    sheet = new_sheet(product, person, title="Short-lived")
    browser, authorize = _start(sheet, person)
    back = _follow(browser, _allow(browser, authorize, VICTIM_HOST))
    assert 'id="confirm"' in back.text
    # the person disconnects the sheet in the sidebar, then presses Connect in the forgotten popup
    assert sheet.call("DELETE", id_token=id_token(product, person)).status_code == 200
    late = confirm_connect(browser, back)
    assert late.status_code in (400, 409) and "Connected" not in late.text
    assert _listed(product, VICTIM_HOST) == {victim.connection_id}
    assert not product.redis.exists(f"conn:{sheet.connection_id}")
    assert _lead_reaches_sheet(victim), "the victim account's webhook changes stopped reaching its sheet"


def test_a_half_connection_listed_for_an_account_is_skipped_and_cleaned_up(two, victim):
    """What older versions left behind (a connection hash holding only account_id, listed for the
    account), or a connection whose fields do not parse: the account's webhook drain skips them (the
    half one is removed) and still syncs its other sheets."""
    product = two.product
    account_id = _account_id(product, VICTIM_HOST)
    product.redis.hset("conn:c_ghostghostghost", "account_id", account_id)
    # and one whose stored mapping does not parse: skipped, but kept for a person to look at
    broken = {"spreadsheet_id": "1" + "B" * 20, "sheet_id": 0, "account_id": account_id, "mapping": "{"}
    product.redis.hset("conn:c_brokenbrokenbr", mapping=broken)
    product.redis.sadd(f"amo:account-conns:{account_id}", "c_ghostghostghost", "c_brokenbrokenbr")
    try:
        assert _lead_reaches_sheet(victim), "one unreadable connection stopped the account's webhook sync"
        settle(product)
        assert _listed(product, VICTIM_HOST) == {victim.connection_id, "c_brokenbrokenbr"}
        assert not product.redis.exists("conn:c_ghostghostghost")
    finally:
        product.redis.srem(f"amo:account-conns:{account_id}", "c_brokenbrokenbr")
        product.redis.delete("conn:c_brokenbrokenbr")
