"""Alice (tenant A) tries every /api/v1 endpoint with Bob's (tenant B) ids, keys and webhook tokens, over
real HTTP to gunicorn: every attempt is refused, and nothing of Bob's is read or changed.

The table of endpoints is checked against the app's own URL map, so an endpoint added later without a
row here fails this suite."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest
import requests

from backend.app import create_app
from backend.security import signing
from backend.settings import Settings
from bench.tenant import id_token

# Every connection endpoint: method, path after /api/v1/connections/<id>, a valid body for it.
EDIT = {"rows": [{"key": "KEY", "edited_at": 1_700_000_000_000}]}
ENDPOINTS = [
    ("GET", "", None),
    ("DELETE", "", None),
    ("POST", "/connect-ticket", None),
    ("POST", "/secret", None),
    ("GET", "/amo/metadata", None),
    ("GET", "/mapping", None),
    ("PUT", "/mapping", "MAPPING"),
    ("POST", "/mapping/suggest", None),
    ("POST", "/sync/preview", None),
    ("POST", "/sync", {"confirm": True}),
    ("GET", "/jobs/JOB", None),
    ("POST", "/edits", EDIT),
    ("POST", "/reconcile", None),
    ("GET", "/errors", None),
    ("GET", "/rows/KEY/history", None),
    ("POST", "/rows/KEY/retry", None),
    ("GET", "/runs", None),
    ("GET", "/runs/RUN", None),
    ("POST", "/runs/RUN/undo", None),
    ("GET", "/health", None),
]


def _rule(path: str) -> str:
    names = {"JOB": "<job_id>", "KEY": "<key>", "RUN": "<run_id>"}
    return re.sub(r"(JOB|KEY|RUN)", lambda m: names[m.group(1)], path)


def test_the_table_covers_every_api_endpoint(two):
    app = create_app(Settings.from_env(two.product.env))
    served = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/connections/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    table = {(m, "/api/v1/connections/<connection_id>" + _rule(p)) for m, p, _ in ENDPOINTS}
    assert served == table


def _ids(tenant) -> dict[str, str]:
    """A tenant's own job id and row key, and its mapping (to send as a body)."""
    _, rows = tenant.table()
    job = tenant.call("POST", "/sync/preview").json()["job_id"]
    mapping = tenant.call("GET", "/mapping").json()["mapping"]
    run = tenant.call("GET", "/runs").json()["runs"][0]["run_id"]  # its first sync, journaled
    return {"JOB": job, "KEY": rows[0]["amo_sync_id"], "MAPPING": mapping, "RUN": run}


def _fill(path: str, body, ids: dict):
    path = path.replace("JOB", ids["JOB"]).replace("KEY", ids["KEY"]).replace("RUN", ids["RUN"])
    if body == "MAPPING":
        body = ids["MAPPING"]
    elif body is not None:
        body = json.loads(json.dumps(body).replace("KEY", ids["KEY"]))
    return path, body


def _send(two, method, connection_id, path, body, *, key_id, secret, token=""):
    url = f"{two.product.web_url}/api/v1/connections/{connection_id}{path}"
    data = b"" if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["X-Google-Id-Token"] = token
    headers = signing.sign(method, url, headers, data, key_id=key_id, secret=secret)
    return requests.request(method, url, data=data, headers=headers, timeout=30)


def _bob_state(two) -> dict:
    b = two.b
    return {
        "leads": sorted((x["id"], x["price"], x["status_id"]) for x in b.leads()),
        "grid": b.grid(),
        "conn": two.product.redis.hgetall(f"conn:{b.connection_id}"),
        "ledger": two.product.redis.hgetall(f"ledger:{b.connection_id}"),
    }


@pytest.fixture(scope="module")
def ids(two):
    return {"a": _ids(two.a), "b": _ids(two.b)}


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_alice_cannot_reach_bob_with_her_key_his_key_id_or_no_signature(two, ids, method, path, body):
    a, b = two.a, two.b
    bob_path, bob_body = _fill(path, body, ids["b"])
    before = _bob_state(two)
    alice_token = id_token(two.product, "alice@example.com")
    # Alice's key on Bob's connection, Bob's job ids and row keys
    r = _send(
        two,
        method,
        b.connection_id,
        bob_path,
        bob_body,
        key_id=a.connection_id,
        secret=a.secret,
        token=alice_token,
    )
    assert r.status_code == 403 and r.json()["code"] == "forbidden", r.text
    # Bob's connection id as the key id, signed with Alice's secret
    r = _send(
        two,
        method,
        b.connection_id,
        bob_path,
        bob_body,
        key_id=b.connection_id,
        secret=a.secret,
        token=alice_token,
    )
    assert r.status_code == 401 and r.json()["code"] == "signature_invalid", r.text
    # no signature at all
    url = f"{two.product.web_url}/api/v1/connections/{b.connection_id}{bob_path}"
    r = requests.request(method, url, json=bob_body, timeout=30)
    assert r.status_code == 401, r.text
    assert _bob_state(two) == before


@pytest.mark.parametrize(
    ("method", "path", "body"), [e for e in ENDPOINTS if any(n in e[1] for n in ("JOB", "KEY", "RUN"))]
)
def test_bobs_job_ids_and_row_keys_mean_nothing_under_alices_connection(two, ids, method, path, body):
    """Alice, properly signed on her own connection, names Bob's job, run or row: his job and his run
    are unknown there (404: she can neither read nor undo his run); his row key addresses only
    Alice's own rows (no history, a retry that touches nothing of Bob's)."""
    a = two.a
    alice_path, alice_body = _fill(path, body, ids["b"])
    before = _bob_state(two)
    r = a.call(method, alice_path, alice_body)
    if "JOB" in path or "RUN" in path:
        assert r.status_code == 404, r.text
    elif path.endswith("/history"):
        assert r.status_code == 200 and r.json()["history"] == [], r.text
    else:
        assert r.status_code == 202, r.text
    from bench.settle import settle

    settle(two.product)
    assert _bob_state(two) == before


def test_alices_activity_lists_none_of_bobs_runs(two, ids):
    runs = two.a.call("GET", "/runs").json()["runs"]
    assert runs and ids["b"]["RUN"] not in {r["run_id"] for r in runs}


def test_webhook_tokens_do_not_cross_accounts(two):
    """A webhook token opens only its own account: Bob's token with Alice's account (and the other way
    round) is refused and enqueues nothing; a made-up token is unknown."""
    amo = two.product.amo
    hooks = {
        t.host: next(
            h["destination"] for h in amo.webhooks(t.host) if h["destination"].startswith(two.product.web_url)
        )
        for t in (two.a, two.b)
    }
    accounts = {t.host: amo.account(t.host)["id"] for t in (two.a, two.b)}
    lead = two.b.leads()[0]["id"]
    before = _bob_state(two)

    def post(url, account_id):
        body = urlencode({"account[id]": account_id, "leads[update][0][id]": lead})
        return requests.post(
            url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=30
        )

    assert post(hooks[two.b.host], accounts[two.a.host]).status_code == 403
    assert post(hooks[two.a.host], accounts[two.b.host]).status_code == 403
    assert post(hooks[two.b.host].rsplit("/", 1)[0] + "/not-a-token", accounts[two.b.host]).status_code == 404
    assert not two.product.redis.smembers(f"amo:changed-leads:{accounts[two.a.host]}")
    assert _bob_state(two) == before


def test_a_connect_ticket_cannot_be_forged_for_another_connection(two):
    """Tickets are signed with the server's key: one made with any other key, or Bob's payload under
    Alice's signature, opens nothing."""
    from itsdangerous import URLSafeTimedSerializer

    a, b = two.a, two.b
    url = a.call("POST", "/connect-ticket", id_token=id_token(two.product, "alice@example.com")).json()["url"]
    alices = url.split("ticket=", 1)[1]
    guessed = URLSafeTimedSerializer("guessed-key", salt="amo-connect-ticket").dumps({"c": b.connection_id})
    spliced = guessed.split(".", 1)[0] + "." + alices.split(".", 1)[1]
    start = f"{two.product.web_url}/oauth/amocrm/start"
    assert requests.get(start, params={"ticket": alices}, timeout=30).status_code == 200
    for forged in (guessed, spliced):
        page = requests.get(start, params={"ticket": forged}, timeout=30)
        assert page.status_code == 400 and "not valid" in page.text


def test_alice_cannot_register_bobs_spreadsheet(two):
    """Knowing a spreadsheet id proves nothing: Alice is not an editor of Bob's sheet, so she cannot
    write the challenge there, and Bob's challenge is bound to Bob."""
    from bench.tenant import _idt

    api = f"{two.product.web_url}/api/v1"
    target = {"spreadsheet_id": two.b.spreadsheet_id, "sheet_id": 0}
    alice, bob = id_token(two.product, "alice@example.com"), id_token(two.product, "bob@example.com")
    mine = requests.post(f"{api}/register/challenge", json=target, headers=_idt(alice), timeout=30).json()
    done = requests.post(
        f"{api}/register",
        json={**target, "challenge_id": mine["challenge_id"]},
        headers=_idt(alice),
        timeout=30,
    )
    assert done.status_code == 403 and done.json()["code"] == "proof_failed"
    his = requests.post(f"{api}/register/challenge", json=target, headers=_idt(bob), timeout=30).json()
    stolen = requests.post(
        f"{api}/register",
        json={**target, "challenge_id": his["challenge_id"]},
        headers=_idt(alice),
        timeout=30,
    )
    assert stolen.status_code == 403 and stolen.json()["code"] == "proof_failed"
    assert "secret" not in stolen.text and "secret" not in done.text


def test_a_replayed_request_is_refused(two):
    a = two.a
    url = a.url("/errors")
    headers = signing.sign("GET", url, {}, b"", key_id=a.connection_id, secret=a.secret)
    assert requests.get(url, headers=headers, timeout=30).status_code == 200
    again = requests.get(url, headers=headers, timeout=30)
    assert again.status_code == 401 and "replayed" in again.json()["detail"]
