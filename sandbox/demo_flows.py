"""The demo's steps, each the way a person (or amoCRM) does it, over real HTTP to the running stack.

The add-on's calls are made exactly as `addon/Backend.js` makes them: signed per RFC 9421 with the
document's secret, plus a Google ID token (minted by the Sheets emulator's issuer) where needed.
A person's actions in the sheet go through the Sheets emulator's "person" admin API; a manager's actions
in amoCRM through the amoCRM emulator's manager API (both fire what the real services fire).
"""

from __future__ import annotations

import functools
import html
import json
import re
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import requests

from backend.sync.core import normalize as n
from sandbox import local
from sandbox.amocrm import seed
from sandbox.amocrm.client import AmoSandbox
from sandbox.sheets.client import SheetsSandbox

PERSON = local.USER
ADDON_AUDIENCE = local.AUDIENCE
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


def confirm_connect(browser: requests.Session, page: requests.Response) -> requests.Response:
    """The callback page asks which sheet is being connected: the person presses "Connect this sheet"."""
    form = re.search(r'<form method="post" action="([^"]+)" id="confirm">(.*?)</form>', page.text, re.S)
    if not form:
        return page
    fields = {n: html.unescape(v) for n, v in re.findall(r'name="([^"]+)" value="([^"]*)">', form.group(2))}
    return browser.post(urljoin(page.url, form.group(1)), data={**fields, "decision": "connect"}, timeout=60)


def wait_until(what: str, predicate: Callable[[], Any], timeout_s: float = 60, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise FlowError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(every)


class Addon:
    """The real add-on code (addon/) in a Node process over the gas doubles (sandbox/addon_driver.js):
    its spreadsheet is the Sheets emulator's, its UrlFetchApp reaches the live backend."""

    def __init__(self, sheets_url: str, spreadsheet_id: str, user: str, backend_url: str):
        driver = Path(__file__).parent / "addon_driver.js"
        args = ["node", str(driver), sheets_url, spreadsheet_id, user, backend_url, ADDON_AUDIENCE]
        self.proc = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )

    def _send(self, command: dict) -> Any:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(command, ensure_ascii=False) + "\n")
        answer = json.loads(
            self.proc.stdout.readline() or '{"ok": false, "error": "the add-on process died"}'
        )
        if not answer["ok"]:
            raise FlowError(f"the add-on said: {answer['error']}")
        return answer["result"]

    def call(self, name: str, *args: Any) -> Any:
        """A google.script.run call from the sidebar."""
        return self._send({"call": name, "args": list(args)})

    def person_types(self, row: int, column: int, values: list[list]) -> Any:
        """A person types or pastes into the sheet: the cells change, the installed trigger runs."""
        return self._send({"edit": ["Leads", row, column, values]})

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()  # type: ignore[union-attr]
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Flows:
    def __init__(self, web_url: str, amo_url: str, sheets_url: str, redis_url: str):
        self.web = web_url
        self.amo = AmoSandbox(amo_url)
        self.sheets = SheetsSandbox(sheets_url)
        self.sheets_url = sheets_url
        self.redis_url = redis_url
        self.http = requests.Session()
        self.spreadsheet_id = ""
        self.connection_id = ""
        self.host = seed.DEFAULT_HOST
        self.addon: Addon | None = None

    def close(self) -> None:
        if self.addon is not None:
            self.addon.close()

    # --- the add-on's calls ------------------------------------------------------------------------

    def wait_job(self, job_id: str, timeout_s: float = 150, show: bool = False) -> dict:
        """Poll the job the way the sidebar's progress bar does (Server.getJob)."""
        last = ""

        def done() -> dict | None:
            nonlocal last
            job = self.addon.call("getJob", job_id)  # type: ignore[union-attr]
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

    def run_reconcile(self) -> dict:
        """What the scheduler does every 15 minutes (python -m backend scheduler), for this connection."""
        from redis import Redis
        from rq.job import Job

        from backend import queues
        from backend.sync import jobs

        redis = Redis.from_url(self.redis_url)
        job = queues.enqueue(
            redis, queues.SYNC, jobs.reconcile, self.connection_id, meta={"connection_id": self.connection_id}
        )
        finished = wait_until(
            "the reconcile",
            lambda: Job.fetch(job.id, connection=redis).get_status() in ("finished", "failed"),
            120,
        )
        job = Job.fetch(job.id, connection=redis)
        if job.get_status() != "finished" or finished is None:
            raise FlowError(f"reconcile ended {job.get_status()}")
        return job.meta["report"]["result"]

    # --- steps ---------------------------------------------------------------------------------------

    @step("spreadsheet from sandbox/data")
    def create_spreadsheet(self, headers: list[str], rows: list[list[str]]) -> None:
        self.headers = headers
        self.spreadsheet_id = self.sheets.create_spreadsheet(
            "Sales", [headers, *rows], sheet_title="Leads", owner=PERSON
        )

    @step("register (proof of control)")
    def register(self) -> None:
        """The sidebar's Set up: the add-on shares the file with the service account, writes the backend's
        challenge into the document and registers (addon/Register.js)."""
        self.addon = Addon(self.sheets_url, self.spreadsheet_id, PERSON, self.web)
        state = self.addon.call("setUp")
        if state.get("stage") != "connect":
            raise FlowError(
                f"after Set up the sidebar is in stage {state.get('stage')}: {state.get('problem')}"
            )
        self.connection_id = state["connectionId"]

    @step("connect amoCRM (OAuth pages)")
    def connect_amocrm(self) -> str:
        """The sidebar's Connect amoCRM: its popup shows the connect page; the person allows access."""
        url = self.addon.call("startConnect")["url"]  # type: ignore[union-attr]
        browser = requests.Session()
        start = browser.get(url, timeout=30)
        authorize = html.unescape(re.search(r'id="connect" href="([^"]+)"', start.text).group(1))
        page = browser.get(authorize, timeout=30)
        hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text)
        form = {k: html.unescape(v) for k, v in hidden}
        form.update({"account": self.host, "decision": "allow", "user_id": ""})
        answer = browser.post(authorize.split("?")[0], data=form, allow_redirects=False, timeout=30)
        location = answer.headers.get("Location", "")
        back = browser.get(
            location.split("?")[0], params=dict(parse_qsl(urlsplit(location).query)), timeout=60
        )
        back = confirm_connect(browser, back)  # the page shows which sheet is connected; confirm it
        if f"Connected to {self.host}" not in back.text:
            raise FlowError(f"the OAuth callback did not connect: {back.status_code}")
        if self.addon.call("getState")["stage"] != "mapping":  # type: ignore[union-attr]
            raise FlowError("the sidebar did not move on to the mapping")
        return self.host

    @step("accept the suggested mapping")
    def accept_suggested_mapping(self) -> dict:
        suggested = self.addon.call("suggestMapping")["mapping"]  # type: ignore[union-attr]
        return self.addon.call("saveMapping", suggested)["mapping"]  # type: ignore[union-attr]

    def reset_counters(self) -> None:
        self.amo.reset_counters()
        self.sheets.reset_counters()

    def counts(self) -> dict[str, int]:
        return {"amo": self.amo.counters()["total"], "sheets": sum(self.sheets.counters().values())}

    @step("preview")
    def preview(self) -> dict:
        job = self.addon.call("previewSync")  # type: ignore[union-attr]
        return self.wait_job(job["job_id"])["preview"]

    @step("full sync")
    def full_sync(self) -> tuple[dict, dict]:
        before = self.counts()
        job = self.addon.call("startSync", False)  # type: ignore[union-attr]
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
        """Auto-sync on (the installable edit trigger), then typing and pasting in the sheet."""
        self.addon.call("turnOnAutoSync")  # type: ignore[union-attr]
        head = self.grid()[0]
        synced = [r for r in self.records() if r.get("amo_lead_id")]
        first, second = synced[0], synced[1]
        lead_id = int(first["amo_lead_id"])
        typed = time.perf_counter()
        self.addon.person_types(first["_row"], head.index("Бюджет") + 1, [[123456]])  # type: ignore[union-attr]
        wait_until("the edited budget in amoCRM", lambda: self.lead(lead_id)["price"] == 123456)
        latency = (time.perf_counter() - typed) * 1000
        self.addon.person_types(second["_row"], head.index("Статус") + 1, [["Переговоры"]])  # type: ignore[union-attr]
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
        self.addon.person_types(end, 1, pasted)  # type: ignore[union-attr]
        wait_until(
            "the pasted rows synced",
            lambda: all(r.get("amo_lead_id") for r in self.records()[end - 2 : end + 1]),
        )
        wait_until(
            "the edited status in amoCRM",
            lambda: self.lead(int(second["amo_lead_id"]))["status_id"] == self.stage("Переговоры")["id"],
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
        healed = self.run_reconcile()["healed"]
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
        healed = self.run_reconcile()["healed"]
        by_key = {r["amo_sync_id"]: r for r in self.records()}
        row = [by_key[r["amo_sync_id"]] for r in synced]
        ok = [row[0]["Статус"] == stage["name"], row[1]["Статус"] == stage["name"]]
        ok.append(n.money(row[2]["Бюджет"]).value == "777000")
        if not all(ok):
            raise FlowError(f"reconcile did not heal every change: {ok}")
        return {"changed": 3, "healed": healed}

    @step("undo the reconcile run")
    def undo_the_reconcile(self) -> dict:
        """From the sidebar's Activity: open the reconcile run, Undo this run; then read both sides
        back — each field it changed shows its earlier value again in amoCRM and in the sheet."""
        addon = self.addon
        assert addon is not None
        run = next(r for r in addon.call("getRuns")["runs"] if r["trigger"] == "reconcile")
        changes = addon.call("getRun", run["run_id"])["changes"]
        job = self.wait_job(addon.call("undoRun", run["run_id"])["job_id"])
        result = job["result"]
        leads = {x["id"]: x for x in self.amo.leads(self.host)}
        rows = {r["amo_sync_id"]: r for r in self.records()}
        names = {f"{s['pipeline_id']}:{s['id']}": s["name"] for s in self._statuses()}
        checked = 0
        for c in changes:
            lead, row = leads[c["lead_id"]], rows[c["key"]]
            if c["field"] == "lead.status":
                now = (f"{lead['pipeline_id']}:{lead['status_id']}", row["Статус"])
                want = (c["before"], names[c["before"]])
            else:
                now = (n.money(lead["price"]).value, n.money(row["Бюджет"]).value)
                want = (c["before"], c["before"])
            if now != want:
                raise FlowError(f"{c['field']} of lead {c['lead_id']} is {now} after the undo, not {want}")
            checked += 1
        return {"restored": result["restored"], "kept": result["kept"], "checked": checked}

    def _statuses(self) -> list[dict]:
        pipeline = next(p for p in self.amo.account(self.host)["pipelines"] if p["is_main"])
        return [{**s, "pipeline_id": pipeline["id"]} for s in pipeline["statuses"]]

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
