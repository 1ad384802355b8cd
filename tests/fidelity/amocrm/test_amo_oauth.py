"""OAuth 2.0 as amoCRM does it (reference §1): authorize page, codes, JWT access tokens, rotating
refresh tokens, expiry on the virtual clock, revocation and its signed hook."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re

import requests

from sandbox.amocrm import seed

CID, SECRET, REDIRECT = seed.DEFAULT_CLIENT_ID, seed.DEFAULT_CLIENT_SECRET, seed.DEFAULT_REDIRECT_URI


def token_request(amo, body: dict, *, form: bool = False, host: str = seed.DEFAULT_HOST) -> requests.Response:
    url = f"{amo.base(host)}/oauth2/access_token"
    return requests.post(url, data=body, timeout=10) if form else requests.post(url, json=body, timeout=10)


def code_grant(code: str) -> dict:
    return {
        "client_id": CID,
        "client_secret": SECRET,
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
    }


def refresh_grant(refresh_token: str) -> dict:
    return {
        "client_id": CID,
        "client_secret": SECRET,
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "redirect_uri": REDIRECT,
    }


def get_account(amo, access_token: str) -> requests.Response:
    return requests.get(
        amo.api() + "/account", headers={"Authorization": f"Bearer {access_token}"}, timeout=10
    )


def test_authorize_page_redirects_with_code_state_referer_and_client_id(amo):
    page = requests.get(
        f"{amo.url}/oauth", params={"client_id": CID, "state": "xyz", "mode": "post_message"}, timeout=10
    )
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert "acme.amocrm.ru" in page.text and "Allow" in page.text and "Deny" in page.text
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    form.update(account="acme.amocrm.ru", decision="allow")
    resp = requests.post(f"{amo.url}/oauth", data=form, allow_redirects=False, timeout=10)
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    query = dict(re.findall(r"([a-z_]+)=([^&]*)", location.split("?", 1)[1]))
    assert query["state"] == "xyz" and query["referer"] == "acme.amocrm.ru" and query["client_id"] == CID
    assert query["code"].startswith("def50200") and query["platform"] == "1"


def test_authorize_without_state_leaves_state_out(amo):
    query = amo.admin.authorize(CID, "acme.amocrm.ru")
    assert "code" in query and "state" not in query


def test_deny_redirects_with_access_denied(amo):
    query = amo.admin.authorize(CID, "acme.amocrm.ru", state="s1", deny=True)
    assert query == {"error": "access_denied", "client_id": CID, "state": "s1"}


def test_popup_mode_redirects_the_opener(amo):
    page = requests.get(f"{amo.url}/oauth", params={"client_id": CID, "mode": "popup"}, timeout=10)
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    form.update(account="acme.amocrm.ru", decision="allow")
    resp = requests.post(f"{amo.url}/oauth", data=form, allow_redirects=False, timeout=10)
    assert resp.status_code == 200 and "window.opener.location" in resp.text and REDIRECT in resp.text


def test_unknown_client_id_gets_an_error_page(amo):
    resp = requests.get(f"{amo.url}/oauth", params={"client_id": "nope"}, timeout=10)
    assert resp.status_code == 400 and "Integration not found" in resp.text


def test_code_exchange_accepts_json_and_form_bodies(amo):
    for form in (False, True):
        code = amo.admin.authorize(CID, "acme.amocrm.ru")["code"]
        resp = token_request(amo, code_grant(code), form=form)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["token_type"] == "Bearer" and body["expires_in"] == 86400
        assert body["refresh_token"].startswith("def50200")
        assert get_account(amo, body["access_token"]).status_code == 200


def test_code_reuse_is_rejected(amo):
    code = amo.admin.authorize(CID, "acme.amocrm.ru")["code"]
    assert token_request(amo, code_grant(code)).status_code == 200
    again = token_request(amo, code_grant(code))
    assert again.status_code == 400
    assert again.headers["Content-Type"].startswith("application/problem+json")
    assert again.json()["hint"] == "Authorization code has been revoked"
    assert again.json()["type"] == "https://developers.amocrm.ru/v3/errors/OAuthProblemJson"


def test_code_expires_after_20_minutes(amo):
    code = amo.admin.authorize(CID, "acme.amocrm.ru")["code"]
    amo.admin.advance(20 * 60 + 1)
    resp = token_request(amo, code_grant(code))
    assert resp.status_code == 400 and resp.json()["hint"] == "Authorization code has expired"


def test_code_for_another_account_or_garbage_cannot_be_decrypted(amo):
    amo.admin.create_account("beta.kommo.com")
    code = amo.admin.authorize(CID, "beta.kommo.com")["code"]
    assert token_request(amo, code_grant(code)).json()["hint"] == "Cannot decrypt the authorization code"
    assert (
        token_request(amo, code_grant("def50200garbage")).json()["hint"]
        == "Cannot decrypt the authorization code"
    )


def test_wrong_client_secret_is_refused(amo):
    code = amo.admin.authorize(CID, "acme.amocrm.ru")["code"]
    resp = token_request(amo, {**code_grant(code), "client_secret": "wrong"})
    assert resp.status_code == 401 and resp.json()["hint"] == "Client authentication failed"


def test_access_token_is_a_jwt_with_amocrm_claims(amo, amo_account):
    token = amo.tokens()["access_token"]
    header, claims = (
        json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))) for p in token.split(".")[:2]
    )
    assert header["typ"] == "JWT" and header["jti"] == claims["jti"]
    assert claims["aud"] == CID and claims["account_id"] == amo_account["id"]
    assert claims["exp"] - claims["iat"] == 86400 and claims["nbf"] == claims["iat"]
    assert claims["api_domain"] == "api-b.amocrm.ru" and claims["base_domain"] == "amocrm.ru"
    assert int(claims["sub"]) == next(u["id"] for u in amo_account["users"] if u["rights"]["is_admin"])
    assert "crm" in claims["scopes"] and claims["version"] == 2


def test_refresh_rotates_and_the_old_token_works_until_the_new_one_is_used(amo):
    first = amo.tokens()
    second = token_request(amo, refresh_grant(first["refresh_token"])).json()
    assert second["refresh_token"] != first["refresh_token"]
    # The response "was lost": the old refresh token still works, and gives yet another pair.
    replay = token_request(amo, refresh_grant(first["refresh_token"]))
    assert replay.status_code == 200
    third = replay.json()
    # Using a successor retires its predecessor and the predecessor's other successors.
    fourth = token_request(amo, refresh_grant(third["refresh_token"]))
    assert fourth.status_code == 200
    for dead in (first["refresh_token"], second["refresh_token"]):
        resp = token_request(amo, refresh_grant(dead))
        assert resp.status_code == 400 and resp.json()["hint"] == "Token has been revoked"
    assert get_account(amo, fourth.json()["access_token"]).status_code == 200


def test_access_token_expires_after_24_hours(amo):
    token = amo.tokens()["access_token"]
    amo.admin.advance(86400 - 5)
    assert get_account(amo, token).status_code == 200
    amo.admin.advance(5)
    resp = get_account(amo, token)
    assert resp.status_code == 401
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    assert resp.json()["title"] == "Unauthorized" and resp.json()["status"] == 401


def test_refresh_token_lapses_after_3_months(amo):
    pair = amo.tokens()
    amo.admin.advance(89 * 86400)
    assert token_request(amo, refresh_grant(pair["refresh_token"])).status_code == 200
    pair = amo.tokens()
    amo.admin.advance(90 * 86400)
    resp = token_request(amo, refresh_grant(pair["refresh_token"]))
    assert resp.status_code == 400 and resp.json()["hint"] == "Token has expired"


def test_missing_or_foreign_tokens_are_401(amo):
    assert requests.get(amo.api() + "/leads", timeout=10).status_code == 401
    assert get_account(amo, "not.a.jwt").status_code == 401
    amo.admin.create_account("beta.kommo.com")
    acme_token = amo.tokens()["access_token"]
    resp = requests.get(
        amo.api("beta.kommo.com") + "/account", headers={"Authorization": f"Bearer {acme_token}"}, timeout=10
    )
    assert resp.status_code == 401


def test_revoking_a_grant_gives_401_and_sends_the_signed_hook(amo, receiver, amo_account):
    amo.admin.update_integration(CID, revoke_hook_url=receiver.url)
    pair = amo.tokens()
    assert amo.admin.revoke(CID, "acme.amocrm.ru") == 1
    assert get_account(amo, pair["access_token"]).status_code == 401
    resp = token_request(amo, refresh_grant(pair["refresh_token"]))
    assert resp.status_code == 400 and resp.json()["hint"] == "Token has been revoked"
    (call,) = receiver.wait(1)
    assert call.method == "GET" and call.headers["User-Agent"] == "amoService-oAuth-Code-Sender/1.0"
    assert call.args["client_uuid"] == CID and call.args["account_id"] == str(amo_account["id"])
    expected = hmac.new(SECRET.encode(), f"{CID}|{amo_account['id']}".encode(), hashlib.sha256).hexdigest()
    assert call.args["signature"] == expected


def test_kommo_accounts_get_platform_2_and_english_errors(amo):
    amo.admin.create_account("beta.kommo.com")
    query = amo.admin.authorize(CID, "beta.kommo.com")
    assert query["referer"] == "beta.kommo.com" and query["platform"] == "2"
    resp = token_request(amo, code_grant("def50200x"), host="beta.kommo.com")
    assert resp.json()["title"] == "Bad request"
