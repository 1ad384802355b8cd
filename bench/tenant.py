"""One tenant of a running `Product`: a spreadsheet connected to an amoCRM account, set up the way the
add-on and a person do it — over real HTTP to the gunicorn web service, nothing written into Redis:

1. the person's spreadsheet is created in the Sheets emulator and shared with the service account;
2. register: challenge (Google ID token) -> the challenge written as spreadsheet developer metadata by
   the person (Sheets API, the person's own token) -> register returns the connection id and secret;
3. connect amoCRM: a connect ticket -> the connect page -> amoCRM's authorize page (Allow, the
   tenant's account) -> the backend's callback;
4. the suggested mapping is saved.

Afterwards every call is RFC 9421-signed with the connection's secret, as the add-on signs them.
"""

from __future__ import annotations

import base64
import html
import json
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build_from_document
from rq.job import Job

from backend.security import signing
from bench.product import ADDON_CLIENT_ID, SERVICE_ACCOUNT, Product
from sandbox.amocrm import seed
from sandbox.demo_flows import confirm_connect
from sandbox.sheets.discovery import document

PERSON = "manager@example.com"
HEADERS = ["Имя", "Телефон", "Email", "Бюджет", "Статус"]
FINAL = ("finished", "failed", "waiting_confirmation")


class SetupError(RuntimeError):
    pass


def _ok(resp: requests.Response, *codes: int) -> dict:
    if resp.status_code not in (codes or (200,)):
        raise SetupError(f"{resp.request.method} {resp.url}: {resp.status_code} {resp.text[:300]}")
    return resp.json() if resp.content else {}


@dataclass
class Tenant:
    product: Product
    host: str
    spreadsheet_id: str
    connection_id: str
    secret: bytes
    title: str = "Leads"
    # what this tenant sent that must never be logged (the log scan looks for them)
    sent_secrets: deque = field(default_factory=lambda: deque(maxlen=2000), repr=False)

    # --- set up --------------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        product: Product,
        rows: list[list[Any]],
        headers: list[str] = HEADERS,
        *,
        host: str = seed.DEFAULT_HOST,
        title: str = "Leads",
        person: str = PERSON,
    ) -> Tenant:
        if host not in {a["host"] for a in product.amo.accounts()}:
            product.amo.create_account(host)
        sid = product.sheets.create_spreadsheet(
            "Sales", [headers, *rows], sheet_title=title, owner=person, editors=[SERVICE_ACCOUNT]
        )
        connection_id, secret = register(product, sid, person, title)
        tenant = cls(product, host, sid, connection_id, secret, title)
        product.tenants.append(tenant)
        tenant.connect_amo(person)
        suggested = _ok(tenant.call("POST", "/mapping/suggest"))["mapping"]
        _ok(tenant.call("PUT", "/mapping", suggested))
        return tenant

    def connect_amo(self, person: str = PERSON) -> None:
        ticket = _ok(self.call("POST", "/connect-ticket", id_token=id_token(self.product, person)))
        s = requests.Session()
        start = s.get(ticket["url"], timeout=30)
        authorize = html.unescape(re.search(r'id="connect" href="([^"]+)"', start.text).group(1))
        page = s.get(authorize, timeout=30)
        form = {
            n: html.unescape(v)
            for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text)
        }
        form.update({"account": self.host, "decision": "allow", "user_id": ""})
        answer = s.post(authorize.split("?")[0], data=form, allow_redirects=False, timeout=30)
        location = answer.headers["Location"]
        query = dict(parse_qsl(urlsplit(location).query))
        self.sent_secrets.extend(v for k, v in query.items() if k in ("code", "state"))
        self.sent_secrets.append(ticket["url"].split("ticket=", 1)[1])
        back = confirm_connect(
            s, s.get(location.split("?")[0], params=dict(parse_qsl(urlsplit(location).query)), timeout=60)
        )
        if back.status_code != 200:
            raise SetupError(f"connecting amoCRM failed: {back.status_code} {back.text[:300]}")

    # --- the add-on's calls --------------------------------------------------------------------------

    def url(self, path: str = "") -> str:
        return f"{self.product.web_url}/api/v1/connections/{self.connection_id}{path}"

    def call(self, method: str, path: str = "", body: Any = None, *, id_token: str = "") -> requests.Response:
        url = self.url(path)
        data = b"" if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if id_token:
            headers["X-Google-Id-Token"] = id_token
            self.sent_secrets.append(id_token)
        headers = signing.sign(method, url, headers, data, key_id=self.connection_id, secret=self.secret)
        self.sent_secrets.append(headers["Signature"].split(":")[1])  # sig1=:<base64>:
        return requests.request(method, url, data=data, headers=headers, timeout=60)

    def start_sync(self, *, confirm: bool = True) -> str:
        return _ok(self.call("POST", "/sync", {"confirm": confirm}), 202)["job_id"]

    def job(self, job_id: str) -> dict:
        return _ok(self.call("GET", f"/jobs/{job_id}"))

    def wait_job(self, job_id: str, timeout_s: float = 600, poll_s: float = 0.2) -> dict:
        deadline = time.monotonic() + timeout_s
        while True:
            job = self.job(job_id)
            if job["status"] in FINAL:
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {job['status']} after {timeout_s:.0f} s: {job}")
            time.sleep(poll_s)

    def rq_job(self, job_id: str) -> Job:
        """The RQ job itself (start and end times, the run's report in `meta`), read from Redis —
        precise without polling the web service often."""
        return Job.fetch(job_id, connection=self.product.redis)

    def sync(self, *, confirm: bool = True, timeout_s: float = 600) -> dict:
        return self.wait_job(self.start_sync(confirm=confirm), timeout_s)

    def send_edits(self, keys: list[str], at: float | None = None) -> dict:
        at_ms = int((at or time.time()) * 1000)
        return _ok(self.call("POST", "/edits", {"rows": [{"key": k, "edited_at": at_ms} for k in keys]}), 202)

    def state(self) -> dict:
        return _ok(self.call("GET"))

    def errors(self) -> list[dict]:
        return _ok(self.call("GET", "/errors"))["errors"]

    # --- looking at both sides -----------------------------------------------------------------------

    def grid(self) -> list[list[Any]]:
        return self.product.sheets.values(self.spreadsheet_id, self.title)

    def table(self) -> tuple[list[str], list[dict[str, Any]]]:
        """The header row and every data row as a dict by header (short rows padded)."""
        grid = self.grid()
        head = [str(h) for h in grid[0]]
        rows = [dict(zip(head, [*r, *[""] * (len(head) - len(r))], strict=False)) for r in grid[1:]]
        return head, rows

    def leads(self) -> list[dict]:
        return [x for x in self.product.amo.leads(self.host) if not x.get("is_deleted")]

    def contacts(self) -> list[dict]:
        return [x for x in self.product.amo.contacts(self.host) if not x.get("is_deleted")]

    def edit(self, a1: str, values: list[list[Any]], person: str = PERSON) -> None:
        self.product.sheets.edit_cells(self.spreadsheet_id, a1, values, user=person)


def id_token(product: Product, person: str) -> str:
    """What ScriptApp.getIdentityToken() returns for the person (signed by the emulator's issuer)."""
    return product.sheets.mint_id_token(
        person, sub="sub-" + person.split("@")[0], aud=ADDON_CLIENT_ID, issued_at=time.time()
    )


def register(product: Product, spreadsheet_id: str, person: str, title: str) -> tuple[str, bytes]:
    """The add-on's Set up: challenge, proof written by the person, register. Returns (id, secret)."""
    token = id_token(product, person)
    target = {"spreadsheet_id": spreadsheet_id, "sheet_id": 0, "sheet_title": title}
    api = f"{product.web_url}/api/v1"
    challenge = _ok(requests.post(f"{api}/register/challenge", json=target, headers=_idt(token), timeout=30))
    person_api = build_from_document(
        json.dumps(document()),
        credentials=Credentials(product.sheets.mint_access_token(person)),
        client_options={"api_endpoint": product.sheets.api_endpoint},
    )
    meta = {
        "metadataKey": challenge["metadata_key"],
        "metadataValue": challenge["metadata_value"],
        "visibility": "DOCUMENT",
        "location": {"spreadsheet": True},
    }
    body = {"requests": [{"createDeveloperMetadata": {"developerMetadata": meta}}]}
    person_api.spreadsheets().batchUpdate(spreadsheetId=spreadsheet_id, body=body).execute()
    done = _ok(
        requests.post(
            f"{api}/register",
            json={**target, "challenge_id": challenge["challenge_id"]},
            headers=_idt(token),
            timeout=30,
        )
    )
    return done["connection_id"], base64.b64decode(done["secret"])


def _idt(token: str) -> dict[str, str]:
    return {"X-Google-Id-Token": token}
