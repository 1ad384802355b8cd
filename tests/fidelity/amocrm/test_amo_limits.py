"""Limits (reference §2): 7 req/s per account → 429, repeated 429s → nginx 403 ban, 250 per batch,
list limits, and the forced-failure knobs."""

from __future__ import annotations

import time

import requests


def test_eighth_request_within_a_second_gets_429_at_the_real_7_rps(amo, amo_api):
    amo.admin.set_faults(rps=7)
    amo.admin.advance(1)  # the fixture's token exchange counts too (see the token-endpoint test)
    started = time.monotonic()
    codes = [amo_api.get("/account").status_code for _ in range(8)]
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, "the 8 requests must fall in one second for this test to mean anything"
    assert codes == [200] * 7 + [429]
    resp = amo_api.get("/account")
    assert resp.status_code == 429
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    body = resp.json()
    assert body["title"] == "Too Many Requests" and body["type"] == "https://httpstatus.es/429"
    assert body["status"] == 429 and 1 <= body["retry_after"] <= 1
    assert "Retry-After" not in resp.headers  # documented: the body's retry_after only
    amo.admin.advance(1)  # the sliding window moves on virtual time
    assert amo_api.get("/account").status_code == 200


def test_html_429_has_no_retry_after_header(amo, amo_api):
    amo.admin.set_faults(rps=1, html_errors=True)
    amo.admin.advance(1)  # past the fixture's token exchange
    assert amo_api.get("/account").status_code == 200
    resp = amo_api.get("/account")
    assert resp.status_code == 429 and resp.headers["Content-Type"].startswith("text/html")
    assert "Retry-After" not in resp.headers and "<html>" in resp.text


def test_repeated_429s_become_an_html_403_ban_until_reset(amo, amo_api):
    amo.admin.set_faults(rps=1, ban_after=3)
    amo.admin.advance(1)  # past the fixture's token exchange
    assert amo_api.get("/leads").status_code == 204
    assert [amo_api.get("/leads").status_code for _ in range(3)] == [429, 429, 429]
    amo.admin.advance(60)  # waiting does not lift a ban
    resp = amo_api.get("/leads")
    assert resp.status_code == 403 and resp.headers["Content-Type"].startswith("text/html")
    assert "403 Forbidden" in resp.text and "nginx" in resp.text
    assert amo.admin.banned() == ["acme.amocrm.ru"]
    token = amo_api.session.post(f"{amo.base()}/oauth2/access_token", json={}).status_code
    assert token == 403  # the whole account is blocked, token endpoint included
    amo.admin.reset_limits("acme.amocrm.ru")
    assert amo_api.get("/leads").status_code == 204


def test_a_success_between_429s_resets_the_ban_count(amo, amo_api):
    amo.admin.set_faults(rps=1, ban_after=2)
    amo.admin.advance(1)  # past the fixture's token exchange
    assert amo_api.get("/leads").status_code == 204
    assert amo_api.get("/leads").status_code == 429
    amo.admin.advance(1)
    assert amo_api.get("/leads").status_code == 204
    assert amo_api.get("/leads").status_code == 429
    amo.admin.advance(1)
    assert amo_api.get("/leads").status_code == 204  # not banned: never 2 in a row


def test_rate_limit_is_per_account(amo, amo_api):
    amo.admin.create_account("beta.kommo.com")
    beta = amo.session("beta.kommo.com")
    amo.admin.set_faults(rps=2)
    amo.admin.advance(1)  # past the fixture's token exchange
    assert [amo_api.get("/account").status_code for _ in range(3)] == [200, 200, 429]
    assert beta.get(amo.api("beta.kommo.com") + "/account").status_code == 200


def test_more_than_250_entities_in_one_write_is_422(amo, amo_api):
    resp = amo_api.post("/leads", [{"name": f"L{i}"} for i in range(251)])
    assert resp.status_code == 422
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    assert resp.json()["detail"] == "Limit 250 per page"
    assert amo.admin.leads("acme.amocrm.ru") == []
    assert amo_api.post("/contacts", [{"name": "c"}] * 251).status_code == 422
    assert amo_api.patch("/leads", [{"id": 1}] * 251).status_code == 422
    assert amo_api.post("/leads", [{"name": f"L{i}"} for i in range(250)]).status_code == 200


def test_list_limit_defaults_to_50_and_is_capped_at_250(amo_api):
    amo_api.create_leads([{"name": f"L{i}"} for i in range(250)])
    amo_api.create_leads([{"name": f"M{i}"} for i in range(10)])
    assert len(amo_api.get("/leads").json()["_embedded"]["leads"]) == 50
    capped = amo_api.get("/leads", params={"limit": 500}).json()
    assert len(capped["_embedded"]["leads"]) == 250 and "limit=250" in capped["_links"]["next"]["href"]


def test_forced_5xx_responses_then_normal_service(amo, amo_api):
    amo.admin.force(status=500, count=1)
    amo.admin.force(status=502, count=1)
    amo.admin.force(status=504, count=1)
    first = amo_api.get("/leads")
    assert (
        first.status_code == 500
        and first.json()["title"] == "ErrInternalServer"
        and "trace_id" in first.json()
    )
    assert [amo_api.get("/leads").status_code for _ in range(3)] == [502, 504, 204]
    amo.admin.set_faults(html_errors=True)
    amo.admin.force(status=504)
    resp = amo_api.get("/leads")
    assert resp.status_code == 504 and resp.headers["Content-Type"].startswith("text/html")


def test_forced_429_and_forced_delay(amo, amo_api):
    amo.admin.force(status=429, count=2)
    assert [amo_api.get("/leads").status_code for _ in range(3)] == [429, 429, 204]
    amo.admin.force(delay=0.3)
    started = time.monotonic()
    assert amo_api.get("/leads").status_code == 204
    assert time.monotonic() - started >= 0.3


def test_rate_limit_can_be_switched_off(amo, amo_api):
    amo.admin.set_faults(rps=1, rate_limit=False)
    assert {amo_api.get("/leads").status_code for _ in range(5)} == {204}


def test_the_429_body_is_the_documented_one_with_its_retry_after(amo, amo_api):
    """Kommo's HTTP-errors page documents the 429 body exactly, with `retry_after` in it (reference
    §2.1); the `retry_after` knob sets the value (the page's example says 300)."""
    amo.admin.set_faults(rps=1, retry_after=300)
    amo.admin.advance(1)
    assert amo_api.get("/account").status_code == 200
    resp = amo_api.get("/account")
    assert resp.status_code == 429
    assert resp.json() == {
        "title": "Too Many Requests",
        "type": "https://httpstatus.es/429",
        "status": 429,
        "detail": "You have sent too many requests in a given amount of time. Please try again later.",
        "retry_after": 300,
    }


def test_the_token_endpoint_shares_the_rate_limit(amo, amo_account):
    """The limit is "7 requests per second for IP" (Kommo's HTTP-errors page, reference §2.1), which
    suggests every request counts, `/oauth2/access_token` included; unconfirmed, so it is a knob."""
    url = f"{amo.base('acme.amocrm.ru')}/oauth2/access_token"
    body = {"client_id": "x", "client_secret": "y", "grant_type": "refresh_token", "refresh_token": "z"}
    amo.admin.set_faults(rps=2)
    amo.admin.advance(1)
    assert 429 not in [requests.post(url, json=body, timeout=10).status_code for _ in range(3)]  # default
    amo.admin.set_faults(token_rate_limit=True)
    amo.admin.advance(1)
    url = f"{amo.base('acme.amocrm.ru')}/oauth2/access_token"
    body = {"client_id": "x", "client_secret": "y", "grant_type": "refresh_token", "refresh_token": "z"}
    codes = [requests.post(url, json=body, timeout=10).status_code for _ in range(3)]
    assert codes[:2] != [429, 429] and codes[2] == 429, codes
    resp = requests.post(url, json=body, timeout=10)
    assert resp.status_code == 429 and resp.json()["retry_after"] >= 1
