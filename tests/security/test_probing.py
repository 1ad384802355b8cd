"""Smaller attacks over the real processes: probing which connection ids exist, replaying a signed
request inside a long signature window, and forged ID-token key ids that would make every request
refetch Google's certificates."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from backend.security import signing
from bench.product import SERVICE_ACCOUNT, Limits, Product
from bench.rows import new_rows
from bench.tenant import HEADERS, _idt, id_token, register
from sandbox.redis_server import free_port


def test_an_unknown_connection_and_a_wrong_key_get_the_same_answer(two):
    """Signed with a made-up secret, a request for a connection that exists (Bob's) and one for an id
    that does not must look the same: otherwise the answers enumerate connection ids."""
    answers = []
    for cid in (two.b.connection_id, "c_" + "Q" * 16):
        url = f"{two.product.web_url}/api/v1/connections/{cid}"
        headers = signing.sign("GET", url, {}, b"", key_id=cid, secret=b"guessed" * 5)
        r = requests.get(url, headers=headers, timeout=30)
        answers.append((r.status_code, r.headers["Content-Type"], r.json()))
    assert answers[0] == answers[1], answers
    assert answers[0][0] == 401


class _CountingCerts(BaseHTTPRequestHandler):
    """Google's certificate URL as the backend sees it: the Sheets emulator's certificates, counted."""

    upstream = ""
    fetched = 0

    def do_GET(self):
        type(self).fetched += 1
        body = requests.get(type(self).upstream, timeout=10).content
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def long_window(tmp_path_factory):
    """A product whose signature window is an hour (SIGNATURE_MAX_AGE_S may be set up to 3600) and whose
    Google certificate URL counts its fetches; one registered sheet."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _CountingCerts)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        "SIGNATURE_MAX_AGE_S": "3600",
        "GOOGLE_CERTS_URL": f"http://127.0.0.1:{server.server_address[1]}/oauth2/v1/certs",
    }
    limits = Limits(sheets_reads_per_minute=100_000, sheets_writes_per_minute=100_000)
    with Product.start(tmp_path_factory.mktemp("window-logs"), limits, workers=1, env=env) as product:
        _CountingCerts.upstream = product.sheets.certs_url
        sid = product.sheets.create_spreadsheet(
            "Sales", [HEADERS, *new_rows(1)], owner="ann@example.com", editors=[SERVICE_ACCOUNT]
        )
        cid, secret = register(product, sid, "ann@example.com", "Leads")
        yield product, cid, secret
    server.shutdown()


def test_a_request_signed_ahead_is_refused_again_for_as_long_as_the_window_accepts_it(long_window):
    """`created` may be up to an hour away either side: a request stamped 50 minutes ahead is good for
    an hour and 50 minutes, and its nonce must be remembered that long (it was kept 10 minutes)."""
    product, cid, secret = long_window
    url = f"{product.web_url}/api/v1/connections/{cid}/errors"
    ahead = int(time.time()) + 3000
    stamp = dt.datetime.fromtimestamp(ahead, dt.UTC)
    headers = signing.sign("GET", url, {}, b"", key_id=cid, secret=secret, created=stamp)
    assert requests.get(url, headers=headers, timeout=30).status_code == 200
    (nonce_key,) = product.redis.scan_iter(f"nonce:{cid}:*")
    assert product.redis.ttl(nonce_key) >= ahead + 3600 - int(time.time()) - 5
    again = requests.get(url, headers=headers, timeout=30)
    assert again.status_code == 401 and "replayed" in again.json()["detail"]


def _forged_kid(token: str, kid: str) -> str:
    head, payload, sig = token.split(".")
    header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    header["kid"] = kid
    new_head = base64.urlsafe_b64encode(json.dumps(header).encode()).decode().rstrip("=")
    return f"{new_head}.{payload}.{sig}"


def test_forged_key_ids_do_not_make_every_request_refetch_googles_certificates(long_window):
    product, _, _ = long_window
    api = f"{product.web_url}/api/v1/register/challenge"
    body = {"spreadsheet_id": "1" + "A" * 20, "sheet_id": 0}
    good = id_token(product, "ann@example.com")
    assert requests.post(api, json=body, headers=_idt(good), timeout=30).status_code == 200
    before = _CountingCerts.fetched
    for i in range(40):
        r = requests.post(api, json=body, headers=_idt(_forged_kid(good, f"forged-{i}")), timeout=30)
        assert r.status_code == 401 and r.json()["code"] == "id_token_invalid"
    # one refetch per web process at most (a key Google rotated in), not one per forged request
    assert _CountingCerts.fetched - before <= 2, _CountingCerts.fetched - before
    assert requests.post(api, json=body, headers=_idt(good), timeout=30).status_code == 200


def test_a_replayed_access_revoked_notice_does_not_disconnect_a_working_account(two):
    """amoCRM's "access revoked" notice is an HMAC of client id and account id — no time stamp, so one
    leaked URL would work forever. The backend asks amoCRM first; the account still answers, so the
    sheet stays connected."""
    import hashlib
    import hmac

    env = two.product.env
    account_id = two.product.amo.account(two.a.host)["id"]
    client_id = env["AMO_CLIENT_ID"]
    sig = hmac.new(
        env["AMO_CLIENT_SECRET"].encode(), f"{client_id}|{account_id}".encode(), hashlib.sha256
    ).hexdigest()
    notice = {"client_uuid": client_id, "account_id": account_id, "signature": sig}
    for _ in range(3):
        r = requests.get(f"{two.product.web_url}/webhooks/amocrm/revoked", params=notice, timeout=30)
        assert r.status_code == 200
    amo = two.a.state()["amo"]
    assert amo["connected"] and amo["status"] == "ok", amo
