"""The demo's steps, each the way a person (or amoCRM) does it, over real HTTP to the running stack.

The add-on's calls are made exactly as `addon/Backend.js` makes them: signed per RFC 9421 with the
document's secret, plus a Google ID token (minted by the Sheets emulator's issuer) where needed.
A person's actions in the sheet go through the Sheets emulator's "person" admin API; a manager's actions
in amoCRM through the amoCRM emulator's manager API (both fire what the real services fire).
"""

from __future__ import annotations

import base64
import functools
import html
import os
import re
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from cryptography.fernet import Fernet

from backend.security import signing
from backend.sync import normalize as n
from sandbox.amocrm import seed
from sandbox.amocrm.client import AmoSandbox
from sandbox.sheets.client import SheetsSandbox

PERSON = "manager@example.com"
SERVICE_ACCOUNT = "sync@sandbox-project.iam.gserviceaccount.com"
ADDON_AUDIENCE = "sandbox-addon.apps.googleusercontent.com"
_current = {"step": "start"}


class FlowError(RuntimeError):
    pass


def current_step() -> str:
    return _current["step"]


def step(name: str) -> Callable:
    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            _current["step"] = name
            return fn(*args, **kwargs)

        return inner

    return wrap


def demo_env(web_url: str) -> dict[str, str]:
    """The embedded default: a complete configuration with throwaway secrets and no credentials."""
    return {
        "APP_ENV": "development",
        "LOG_LEVEL": os.environ.get("DEMO_LOG_LEVEL", "INFO"),
        "PUBLIC_BASE_URL": web_url,
        "SECRET_KEY": "demo-" + Fernet.generate_key().decode(),
        "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "AMO_CLIENT_ID": seed.DEFAULT_CLIENT_ID,
        "AMO_CLIENT_SECRET": seed.DEFAULT_CLIENT_SECRET,
        "AMO_REDIRECT_URI": f"{web_url}/oauth/amocrm/callback",
        "GOOGLE_OAUTH_CLIENT_IDS": ADDON_AUDIENCE,
        "SHEETS_SERVICE_ACCOUNT_EMAIL": SERVICE_ACCOUNT,
    }


def wait_for_workers(web_url: str, count: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while requests.get(f"{web_url}/readyz", timeout=5).json()["checks"]["queue"]["workers"] < count:
        if time.monotonic() > deadline:
            raise FlowError(f"{count} workers did not register within {timeout_s:.0f} s")
        time.sleep(0.1)


def wait_until(what: str, predicate: Callable[[], Any], timeout_s: float = 60, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise FlowError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(every)


class Flows:
    def __init__(self, web_url: str, amo_url: str, sheets_url: str, env: dict[str, str]):
        self.web = web_url
        self.amo = AmoSandbox(amo_url)
        self.sheets = SheetsSandbox(sheets_url)
        self.sheets_url = sheets_url
        self.env = env
        self.http = requests.Session()
        self.spreadsheet_id = ""
        self.connection_id = ""
        self.secret = b""
        self.host = seed.DEFAULT_HOST

    # --- the add-on's calls ------------------------------------------------------------------------

    def id_token(self) -> str:
        return self.sheets.mint_id_token(PERSON, "person-sub-1", ADDON_AUDIENCE, 3600, issued_at=time.time())

    def call(self, method: str, path: str, body: Any = None, *, id_token: bool = False) -> Any:
        url = f"{self.web}/api/v1/connections/{self.connection_id}{path}"
        data = b"" if body is None else requests.models.complexjson.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if body is not None else {}
        headers = signing.sign(method, url, headers, data, key_id=self.connection_id, secret=self.secret)
        if id_token:
            headers["X-Google-Id-Token"] = self.id_token()
        r = self.http.request(method, url, data=data, headers=headers, timeout=60)
        if r.status_code >= 400:
            raise FlowError(f"{method} {path} answered {r.status_code}: {r.text[:300]}")
        return r.json()

    def wait_job(self, job_id: str, timeout_s: float = 150, show: bool = False) -> dict:
        last = ""

        def done() -> dict | None:
            nonlocal last
            job = self.call("GET", f"/jobs/{job_id}")
            p = job.get("progress") or {}
            line = f"{p.get('phase', '')} {p.get('percent', 0):.0f}%"
            if show and line != last:
                print(f"      … {line}", flush=True)
                last = line
            return job if job["status"] in ("finished", "failed", "waiting_confirmation") else None

        job = wait_until(f"job {job_id}", done, timeout_s, every=0.2)
        if job["status"] != "finished":
            raise FlowError(f"job {job_id} ended {job['status']}: {job.get('error') or job.get('guards')}")
        return job

    # --- steps ---------------------------------------------------------------------------------------

    @step("spreadsheet from sandbox/data")
    def create_spreadsheet(self, headers: list[str], rows: list[list[str]]) -> None:
        self.headers = headers
        self.spreadsheet_id = self.sheets.create_spreadsheet(
            "Sales", [headers, *rows], sheet_title="Leads", owner=PERSON
        )

    @step("register (proof of control)")
    def register(self) -> None:
        token = self.id_token()
        body = {"spreadsheet_id": self.spreadsheet_id, "sheet_id": 0, "sheet_title": "Leads"}
        ch = self.http.post(
            f"{self.web}/api/v1/register/challenge",
            json=body,
            headers={"X-Google-Id-Token": token},
            timeout=30,
        )
        if ch.status_code != 200:
            raise FlowError(f"challenge answered {ch.status_code}: {ch.text[:200]}")
        c = ch.json()
        self.sheets.share(self.spreadsheet_id, c["service_account_email"])  # Spreadsheet.addEditor
        person = self.sheets.mint_access_token(PERSON)
        meta = {"metadataKey": c["metadata_key"], "metadataValue": c["metadata_value"]}
        meta |= {"visibility": "DOCUMENT", "location": {"spreadsheet": True}}
        r = self.http.post(
            f"{self.sheets_url}/v4/spreadsheets/{self.spreadsheet_id}:batchUpdate",
            json={"requests": [{"createDeveloperMetadata": {"developerMetadata": meta}}]},
            headers={"Authorization": f"Bearer {person}"},
            timeout=30,
        )
        r.raise_for_status()
        reg = self.http.post(
            f"{self.web}/api/v1/register", json={**body, "challenge_id": c["challenge_id"]},
            headers={"X-Google-Id-Token": token}, timeout=30,
        )  # fmt: skip
        if reg.status_code != 200:
            raise FlowError(f"register answered {reg.status_code}: {reg.text[:200]}")
        self.connection_id = reg.json()["connection_id"]
        self.secret = base64.b64decode(reg.json()["secret"])

    @step("connect amoCRM (OAuth pages)")
    def connect_amocrm(self) -> str:
        url = self.call("POST", "/connect-ticket", id_token=True)["url"]
        browser = requests.Session()
        start = browser.get(url, timeout=30)
        authorize = html.unescape(re.search(r'id="connect" href="([^"]+)"', start.text).group(1))
        page = browser.get(authorize, timeout=30)
        form = {
            k: html.unescape(v)
            for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text)
        }
        form.update({"account": self.host, "decision": "allow", "user_id": ""})
        answer = browser.post(authorize.split("?")[0], data=form, allow_redirects=False, timeout=30)
        location = answer.headers.get("Location", "")
        back = browser.get(
            location.split("?")[0], params=dict(parse_qsl(urlsplit(location).query)), timeout=60
        )
        if f"Connected to {self.host}" not in back.text:
            raise FlowError(f"the OAuth callback did not connect: {back.status_code}")
        return self.host

    @step("accept the suggested mapping")
    def accept_suggested_mapping(self) -> dict:
        suggested = self.call("POST", "/mapping/suggest")["mapping"]
        return self.call("PUT", "/mapping", suggested)["mapping"]

    def reset_counters(self) -> None:
        self.amo.reset_counters()
        self.sheets.reset_counters()

    def counts(self) -> dict[str, int]:
        return {"amo": self.amo.counters()["total"], "sheets": sum(self.sheets.counters().values())}

    @step("preview")
    def preview(self) -> dict:
        job = self.call("POST", "/sync/preview")
        return self.wait_job(job["job_id"])["preview"]

    @step("full sync")
    def full_sync(self) -> tuple[dict, dict]:
        before = self.counts()
        job = self.call("POST", "/sync", {"confirm": False})
        result = self.wait_job(job["job_id"], show=True)["result"]
        after = self.counts()
        return result, {k: after[k] - before[k] for k in after}

    # --- the sheet, read back --------------------------------------------------------------------------

    def grid(self) -> list[list]:
        return self.sheets.values(self.spreadsheet_id)

    def records(self) -> list[dict]:
        grid = self.grid()
        head = grid[0]
        return [
            dict(zip(head, row + [""] * (len(head) - len(row)), strict=True)) | {"_row": i + 2}
            for i, row in enumerate(grid[1:])
        ]

    def lead(self, lead_id: int) -> dict:
        return next(x for x in self.amo.leads(self.host) if x["id"] == lead_id)

    @step("a person edits 2 cells, pastes 3 rows")
    def person_edits_and_pastes(self) -> dict:
        synced = [r for r in self.records() if r.get("amo_lead_id")]
        first, second = synced[0], synced[1]
        col = {h: chr(65 + i) for i, h in enumerate(self.grid()[0])}
        self.sheets.edit_cells(
            self.spreadsheet_id, f"Leads!{col['Бюджет']}{first['_row']}", [[123456]], user=PERSON
        )
        self.sheets.edit_cells(
            self.spreadsheet_id, f"Leads!{col['Статус']}{second['_row']}", [["Переговоры"]], user=PERSON
        )
        end = len(self.grid()) + 1
        pasted = [
            [
                "Paste deal 1",
                "Paste Person 1",
                "+7 901 000-00-01",
                "paste1@example.com",
                "10 000",
                "",
                "Website",
                "",
                "",
            ],
            [
                "Вставка 2",
                "Вставка Два",
                "8 901 000-00-02",
                "paste2@example.com",
                "20000",
                "переговоры",
                "",
                "CEO",
                "",
            ],
            ["Paste deal 3", "Paste Three", "+7 (901) 000-00-03", "", "$300", "", "", "", "from a paste"],
        ]
        last = chr(64 + len(pasted[0]))
        self.sheets.edit_cells(self.spreadsheet_id, f"Leads!A{end}:{last}{end + 2}", pasted, user=PERSON)
        sent = time.perf_counter()
        now_ms = int(time.time() * 1000)
        self.call(
            "POST",
            "/edits",
            {
                "rows": [
                    {"key": r["amo_sync_id"], "row": r["_row"], "edited_at": now_ms} for r in (first, second)
                ]
            },
        )
        lead_id = int(first["amo_lead_id"])
        wait_until("the edited budget in amoCRM", lambda: self.lead(lead_id)["price"] == 123456)
        latency = (time.perf_counter() - sent) * 1000
        wait_until(
            "the pasted rows synced",
            lambda: all(r.get("amo_lead_id") for r in self.records()[end - 2 : end + 1]),
        )
        return {"latency_ms": latency}

    @step("a manager moves a lead in amoCRM")
    def manager_moves_a_lead(self) -> dict:
        stage = self.stage("Принимают решение")
        elsewhere = {x["id"] for x in self.amo.leads(self.host) if x["status_id"] != stage["id"]}
        row = next(r for r in self.records() if r.get("amo_lead_id") and int(r["amo_lead_id"]) in elsewhere)
        started = time.perf_counter()
        self.amo.manager_set_status(self.host, int(row["amo_lead_id"]), stage["id"])
        key = row["amo_sync_id"]
        wait_until(
            "the new status in the sheet",
            lambda: any(r["amo_sync_id"] == key and r["Статус"] == stage["name"] for r in self.records()),
        )
        return {"latency_ms": (time.perf_counter() - started) * 1000, "status": stage["name"]}

    def stage(self, name: str) -> dict:
        pipeline = next(p for p in self.amo.account(self.host)["pipelines"] if p["is_main"])
        return next(s for s in pipeline["statuses"] if s["name"] == name)

    @step("someone sorts the sheet")
    def someone_sorts_the_sheet(self) -> dict:
        last_col = chr(64 + len(self.grid()[0]))
        self.sheets.sort(self.spreadsheet_id, f"Leads!A2:{last_col}{len(self.grid())}", "A", user=PERSON)
        job = self.call("POST", "/reconcile")
        healed = self.wait_job(job["job_id"])["result"]["healed"] if "job_id" in job else 0
        leads = {x["id"]: x for x in self.amo.leads(self.host)}
        checked = 0
        for r in self.records():
            if r.get("amo_lead_id") and r["Бюджет"] not in ("", None):
                lead = leads[int(r["amo_lead_id"])]
                if n.money(r["Бюджет"]).value != n.money(lead["price"]).value:
                    raise FlowError(f"row {r['_row']} no longer matches lead {lead['id']} after the sort")
                checked += 1
        return {"healed": healed, "checked": checked}

    @step("webhooks dropped, reconcile heals")
    def webhooks_dropped_then_reconcile(self) -> dict:
        self.amo.set_faults(webhook_drop=1000)
        stage = self.stage("Согласование договора")
        elsewhere = {
            x["id"]
            for x in self.amo.leads(self.host)
            if x["status_id"] != stage["id"] and x["price"] != 777000
        }
        synced = [r for r in self.records() if r.get("amo_lead_id") and int(r["amo_lead_id"]) in elsewhere][
            :3
        ]
        self.amo.manager_set_status(self.host, int(synced[0]["amo_lead_id"]), stage["id"])
        self.amo.manager_set_status(self.host, int(synced[1]["amo_lead_id"]), stage["id"])
        self.amo.manager_update_lead(self.host, int(synced[2]["amo_lead_id"]), price=777000)
        self.amo.advance(600)  # ten minutes of silence
        self.amo.set_faults(webhook_drop=0)
        job = self.call("POST", "/reconcile")
        healed = self.wait_job(job["job_id"])["result"]["healed"]
        by_key = {r["amo_sync_id"]: r for r in self.records()}
        row = [by_key[r["amo_sync_id"]] for r in synced]
        ok = [row[0]["Статус"] == stage["name"], row[1]["Статус"] == stage["name"]]
        ok.append(n.money(row[2]["Бюджет"]).value == "777000")
        if not all(ok):
            raise FlowError(f"reconcile did not heal every change: {ok}")
        return {"changed": 3, "healed": healed}

    @step("final check")
    def final_counts(self) -> dict:
        records = self.records()
        leads = [x for x in self.amo.leads(self.host) if not x.get("is_deleted")]
        contacts = [x for x in self.amo.contacts(self.host) if not x.get("is_deleted")]
        lead_ids = Counter(str(r["amo_lead_id"]) for r in records if r.get("amo_lead_id"))
        identities: Counter = Counter()
        for c in contacts:
            for f in c.get("custom_fields_values") or []:
                for v in f.get("values") or []:
                    key = (
                        n.email(v["value"]).value
                        if f.get("field_code") == "EMAIL"
                        else n.phone(v["value"]).value
                    )
                    if key:
                        identities[key] += 1
        blank = [r for r in records if not any(str(r.get(h, "")).strip() for h in self.headers)]
        explained = [r for r in records if str(r.get("amo_sync_status", "")).startswith("⚠")]
        synced = [r for r in records if r.get("amo_lead_id")]
        return {
            "rows": len(records),
            "leads": len(leads),
            "contacts": len(contacts),
            "rows_with_lead": len(synced),
            "duplicate_leads": sum(1 for c in lead_ids.values() if c > 1),
            "duplicate_contacts": sum(1 for c in identities.values() if c > 1),
            "explained_errors": len(explained),
            "unexplained": len(records) - len(blank) - len(explained) - len(synced),
        }
