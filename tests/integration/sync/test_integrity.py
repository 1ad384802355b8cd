"""Sync integrity under what people really do to a sheet (issue 13), end to end: both emulators, a real
Redis, the backend's HTTP API and RQ workers. Each test is one rule of docs/sync.md "Invariants"."""

import os

import pytest

from tests.integration.amocrm.conftest import HOST
from tests.integration.sync.messy import HEADERS

PERSON = "manager@example.com"


@pytest.fixture
def small(make_stack):
    stack = make_stack(
        [
            ["Иван Петров", "8 912 000-00-01", "ivan@x.ru", "100", ""],
            ["Olga Smirnova", "8 912 000-00-02", "olga@x.ru", "200", ""],
            ["Пётр Иванов", "8 912 000-00-03", "petr@x.ru", "300", ""],
        ],
        HEADERS,
    )
    assert stack.sync()["status"] == "finished"
    stack.settle()
    return stack


def crm(stack) -> dict:
    """What amoCRM holds, by lead id: (lead name, price, contact name, e-mail)."""
    contacts = {c["id"]: c for c in stack.contacts()}
    out = {}
    for lead in stack.leads():
        main = (lead.get("_embedded") or {}).get("contacts") or [{}]
        c = contacts.get(main[0].get("id"), {})
        emails = [
            v["value"]
            for f in c.get("custom_fields_values") or []
            if f.get("field_code") == "EMAIL"
            for v in f["values"]
        ]
        out[lead["id"]] = (lead["name"], lead["price"], c.get("name"), emails[:1])
    return out


def key_of(stack, name: str) -> str:
    grid = stack.grid()
    n, k = grid[0].index("Имя"), grid[0].index("amo_sync_id")
    return next(r[k] for r in grid[1:] if len(r) > k and r[0 if n == 0 else n] == name)


def state(stack) -> dict:
    r = stack.call("GET", "")
    assert r.status_code == 200, r.text
    return r.json()


def sync_job(stack, **kw) -> dict:
    return stack.sync(**kw)


# --- a run whose sheet lacks a column stops before any write and says which and what to do ---------


def test_a_deleted_email_column_stops_edit_and_full_runs_before_any_write(small):
    before = crm(small)
    olga = key_of(small, "Olga Smirnova")
    small.sheets.admin.delete_columns(small.spreadsheet_id, "C", user=PERSON)  # Email
    small.edit("Leads!C3", [["250"]])  # Бюджет is column C now
    small.send_edits([olga])
    small.work()
    assert crm(small) == before  # no e-mail cleared, no budget pushed: nothing was synced
    said = "The Email column is missing: put it back or change the mapping. Nothing was synced."
    assert small.row_of(olga)["amo_sync_status"] == f"⚠ {said}"
    assert said in state(small)["last_error"]
    job = sync_job(small)
    assert job["status"] == "failed" and said in job["error"]["detail"], job
    assert job["error"]["code"] == "mapping_invalid"
    assert crm(small) == before
    # every row says it, not only the edited one
    assert {small.row_of(key_of(small, n))["amo_sync_status"] for n in ("Иван Петров", "Пётр Иванов")} == {
        f"⚠ {said}"
    }


def test_a_deleted_key_column_stops_the_run_and_saving_the_mapping_gives_every_row_its_key_back(small):
    before = crm(small)
    grid = small.grid()
    k = grid[0].index("amo_sync_id")
    letter = chr(ord("A") + k)
    small.sheets.admin.delete_columns(small.spreadsheet_id, letter, user=PERSON)
    job = sync_job(small)
    assert job["status"] == "failed", job
    assert "The amo_sync_id column is missing" in job["error"]["detail"]
    assert crm(small) == before
    # the sidebar's way back: save the mapping again, which adds the key column
    mapping = small.call("GET", "/mapping").json()["mapping"]
    assert small.call("PUT", "/mapping", mapping).status_code == 200
    job = sync_job(small)
    assert job["status"] == "finished", job
    assert job["preview"]["create"] == 0 and job["preview"]["unchanged"] == 3, job["preview"]
    assert crm(small) == before and len(small.leads()) == 3
    grid = small.grid()
    assert len({r[grid[0].index("amo_sync_id")] for r in grid[1:]}) == 3  # each row keyed again


def test_a_header_renamed_into_another_fields_name_or_a_deleted_header_row_stops_the_run(small):
    before = crm(small)
    small.sheets.admin.rename_header(small.spreadsheet_id, "Email", "Phone", user=PERSON)
    job = sync_job(small)
    assert job["status"] == "failed" and "is now headed “Phone”" in job["error"]["detail"], job
    small.sheets.admin.rename_header(small.spreadsheet_id, "Phone", "E-mail", user=PERSON)  # same meaning
    assert sync_job(small)["status"] == "finished"
    small.sheets.admin.delete_rows(small.spreadsheet_id, 1, 1, user=PERSON)  # the header row
    job = sync_job(small)
    assert job["status"] == "failed" and "Row 1 no longer holds the headers" in job["error"]["detail"], job
    assert crm(small) == before


# --- every cell goes where its row and column are now ------------------------------------------------


def test_a_column_inserted_and_rows_sorted_during_a_run_move_no_lead_id_into_a_persons_data(make_stack):
    from backend.sync.run import run_sync

    stack = make_stack(
        [
            ["Иван Петров", "8 912 000-00-01", "ivan@x.ru", "100", ""],
            ["Olga Smirnova", "8 912 000-00-02", "olga@x.ru", "200", ""],
        ],
        HEADERS,
    )
    admin, sid = stack.sheets.admin, stack.spreadsheet_id
    done = []

    def progress(phase: str, _done: int, _total: int) -> None:
        if phase == "creating leads" and not done:  # amoCRM is being written; the sheet not yet
            done.append(phase)
            admin.insert_columns(sid, "A", 2, user=PERSON)
            admin.sort(sid, "Leads!A2:K3", "C", ascending=False, user=PERSON)  # by name, Olga first

    report = run_sync(stack.backend.services, stack.connection_id, kind="full", progress=progress)
    assert done and report.status == "finished" and report.result["leads_created"] == 2
    grid = stack.grid()
    h = grid[0]
    assert h[:2] == ["", ""] and h[2:7] == HEADERS
    leads = {x["id"]: x for x in stack.leads()}
    for r in grid[1:]:
        assert r[0] == r[1] == ""  # the inserted columns stay empty
        row = dict(zip(h, r, strict=False))
        lead = leads[int(row["amo_lead_id"])]
        contact = next(c for c in stack.contacts() if c["id"] == lead["_embedded"]["contacts"][0]["id"])
        assert contact["name"] == row["Имя"] and lead["price"] == int(row["Бюджет"])
        assert row["amo_link"] == f"https://{HOST}/leads/detail/{lead['id']}"
        assert row["amo_sync_status"].startswith("✓")


# --- a shared contact changes only by its owner's change ---------------------------------------------


def test_a_new_row_with_an_existing_contacts_email_and_another_name_does_not_rename_the_contact(small):
    before = crm(small)
    small.edit("Leads!A5:E5", [["Bob Brown", "", "olga@x.ru", "500", ""]])
    job = sync_job(small)
    assert job["status"] == "finished" and job["result"]["leads_created"] == 1, job
    after = crm(small)
    assert {k: v for k, v in after.items() if k in before} == before  # Olga's contact keeps her name
    (new,) = set(after) - set(before)
    assert after[new] == ("Bob Brown", 500, "Olga Smirnova", ["olga@x.ru"])  # joined her contact
    bob = small.row_of(key_of(small, "Bob Brown"))
    assert bob["Имя"] == "Bob Brown"  # the person's cell is not overwritten
    assert bob["amo_sync_status"].startswith("⚠ Имя: the amoCRM contact this row joined")
    assert "“Olga Smirnova”" in bob["amo_sync_status"]
    small.settle()
    again = sync_job(small)  # stable: shown again, never applied
    assert again["preview"]["update_amo"] == 0 and crm(small) == after


# --- of two rows with one key, the one that agrees with the ledger keeps it ---------------------------


def test_a_synced_row_copied_with_its_key_cells_above_the_original_becomes_a_new_lead(small):
    before = crm(small)
    olga_key = key_of(small, "Olga Smirnova")
    original = small.grid()[2]  # Olga's row, every cell (key, lead id, link, status too)
    small.sheets.admin.insert_rows(small.spreadsheet_id, 3, 1, user=PERSON)
    copy = ["Olga Copy", "8 912 000-00-09", "copy@x.ru", 999, *original[4:]]
    small.edit("Leads!A3:I3", [copy])  # pasted above the original, then edited
    job = sync_job(small)
    assert job["status"] == "finished" and job["result"]["leads_created"] == 1, job
    after = crm(small)
    assert {k: v for k, v in after.items() if k in before} == before  # Olga's lead and contact untouched
    (new,) = set(after) - set(before)
    assert after[new] == ("Olga Copy", 999, "Olga Copy", ["copy@x.ru"])
    assert small.row_of(olga_key)["Имя"] == "Olga Smirnova"  # the original kept its key
    copy_row = small.row_of(key_of(small, "Olga Copy"))
    assert copy_row["amo_lead_id"] == new and copy_row["amo_sync_status"].startswith("✓")


# --- guards: every kind of run, creates counted, scrambled pairings refused ---------------------------


def tripped(job) -> set[str]:
    return {g["name"] for g in job.get("guards") or [] if g["tripped"]}


def test_a_range_sorted_without_the_system_columns_is_refused_and_changes_nothing(small):
    before = crm(small)
    keys = {n: key_of(small, n) for n in ("Иван Петров", "Olga Smirnova", "Пётр Иванов")}
    small.sheets.admin.sort(small.spreadsheet_id, "Leads!A2:E4", "D", ascending=False, user=PERSON)
    job = sync_job(small)
    assert job["status"] == "waiting_confirmation" and "rows_scrambled" in tripped(job), job
    assert crm(small) == before
    # a manager's change to one of those leads arrives by webhook: refused there too
    ivan_lead = int(small.row_of(keys["Иван Петров"])["amo_lead_id"])  # his row now shows Пётр's values
    small.amo.admin.manager_update_lead(HOST, ivan_lead, price=777)
    small.settle()
    assert "a range sorted without the amo_sync_id" in state(small)["last_error"]
    expected = {**before, ivan_lead: (*before[ivan_lead][:1], 777, *before[ivan_lead][2:])}
    assert crm(small) == expected
    # even confirmed, the scrambled rows are held and say why; no lead takes another row's values
    job = sync_job(small, confirm=True)
    assert job["status"] == "finished", job
    assert crm(small) == expected
    held = "⚠ this row shows the values of another synced row"
    assert small.row_of(keys["Иван Петров"])["amo_sync_status"].startswith(held)
    assert small.row_of(keys["Пётр Иванов"])["amo_sync_status"].startswith(held)
    assert small.row_of(keys["Olga Smirnova"])["amo_sync_status"].startswith("✓")  # not moved by the sort


def test_rows_cut_without_the_system_columns_wait_for_confirmation_instead_of_duplicating(small):
    before = crm(small)
    olga = small.grid()[2][:5]
    small.edit("Leads!A3:E3", [["", "", "", "", ""]])  # cut …
    small.edit("Leads!A6:E6", [olga])  # … and pasted lower, without the amo_* cells
    new_key = "rCutPasteRow1"
    small.edit("Leads!F6", [[new_key]])  # the add-on keys the pasted row and sends the edit
    small.send_edits([new_key])
    small.work()
    assert crm(small) == before and len(small.leads()) == 3  # no duplicate lead, nothing cleared
    assert "cut and pasted without the amo_sync_id" in state(small)["last_error"]
    job = sync_job(small)
    assert job["status"] == "waiting_confirmation" and "moved_without_keys" in tripped(job), job
    assert crm(small) == before


# --- an ambiguous create is recovered by the row's tag, not by content -------------------------------


def children(pid: int) -> list[int]:
    """Child processes of `pid` (Linux /proc)."""
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            out += [int(x) for x in f.read().split()]
    return out


@pytest.mark.parametrize("killed_at", ["POST /api/v4/contacts", "POST /api/v4/leads"])
def test_a_worker_killed_while_amocrm_creates_is_recovered_by_the_rows_tag(
    make_stack, subprocess_env, killed_at
):
    """kill -9 of the worker while amoCRM applies a create: the next run finds what was created by the
    tag naming its row — even after an automation moved the new lead's stage — and creates nothing twice.
    Name-only rows: nothing but the tag could tell which contact is whose."""
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT

    stack = make_stack([["Иван Петров", "", "", "100", ""], ["Olga Smirnova", "", "", "200", ""]], HEADERS)
    amo = stack.amo.admin
    env = {**subprocess_env, **stack.backend.env}
    worker = subprocess.Popen(
        [sys.executable, "-m", "backend", "worker", "--name", "doomed"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        seen = amo.counters()["total"]
        amo.force(delay=1.0, count=1)  # every amoCRM call of the run takes a second: time to kill it
        r = stack.call("POST", "/sync", {"confirm": False})
        assert r.status_code == 202
        deadline = time.time() + 60
        while time.time() < deadline:
            c = amo.counters()
            if c["by_endpoint"].get(killed_at, 0):
                for pid in [*children(worker.pid), worker.pid]:  # RQ runs the job in a forked work horse
                    os.kill(pid, signal.SIGKILL)  # amoCRM is applying the create right now
                break
            if c["total"] > seen:
                seen = c["total"]
                amo.force(delay=1.0, count=1)
            time.sleep(0.005)
        else:
            raise AssertionError("the run never reached " + killed_at)
        worker.wait(10)
    finally:
        worker.kill()
    entity = "leads" if killed_at.endswith("leads") else "contacts"
    deadline = time.time() + 10
    while time.time() < deadline and len(getattr(stack, entity)()) < 2:
        time.sleep(0.05)
    made = getattr(stack, entity)()
    assert len(made) == 2  # the create was applied; the killed run never recorded it
    if entity == "leads":  # an automation moves a new lead's stage before anyone looks
        pipeline = next(p for p in amo.account(HOST)["pipelines"] if p["is_main"])
        moved = next(s["id"] for s in pipeline["statuses"] if s["name"] == "Переговоры")
        amo.manager_set_status(HOST, made[0]["id"], moved)

    from backend.store import locks

    stack.redis.delete(locks.connection_lock_name(stack.connection_id))  # as its 60 s TTL would
    job = stack.sync()
    assert job["status"] == "finished", job
    stack.settle()
    assert len(stack.leads()) == 2 and len(stack.contacts()) == 2  # nothing created twice
    names = {c["name"] for c in stack.contacts()}
    assert names == {"Иван Петров", "Olga Smirnova"}
    grid = stack.grid()
    h = grid[0]
    assert len({r[h.index("amo_lead_id")] for r in grid[1:]}) == 2
    if entity == "leads":
        assert "Переговоры" in [r[h.index("Статус")] for r in grid[1:]]


def test_an_edit_run_pasting_many_new_rows_waits_for_confirmation_like_any_other_run(small):
    before = crm(small)
    keys = [f"rPastedRow{i:03}" for i in range(5)]
    small.edit("Leads!A5:F9", [[f"New {i}", "", f"new{i}@x.ru", str(10 * i), "", keys[i]] for i in range(5)])
    small.send_edits(keys)
    small.work()
    assert crm(small) == before  # five creates on a sheet of three synced rows: held for a person
    said = state(small)["last_error"]
    assert said.startswith("Changes from the sheet are waiting for confirmation") and "5 of 3" in said
    job = sync_job(small, confirm=True)  # the person reviews and confirms
    assert job["status"] == "finished" and job["result"]["leads_created"] == 5, job
    assert state(small)["last_error"] == ""


def test_an_exact_copy_of_a_synced_row_pasted_above_it_holds_both_until_a_person_says_which(small):
    """Checker findings (09:58, 10:28): nothing tells an exact copy from its original, so neither may
    take a second lead; both are held and say what to do."""
    before = crm(small)
    olga_key = key_of(small, "Olga Smirnova")
    original = small.grid()[2]
    small.sheets.admin.insert_rows(small.spreadsheet_id, 3, 1, user=PERSON)
    small.edit("Leads!A3:I3", [original])
    small.send_edits([olga_key])
    small.work()
    assert crm(small) == before and len(small.leads()) == 3
    grid = small.grid()
    h = grid[0]
    rows = [
        dict(zip(h, r, strict=False))
        for r in grid[1:]
        if len(r) > 5 and r[h.index("amo_sync_id")] == olga_key
    ]
    assert len(rows) == 2
    held = [r["amo_sync_status"] for r in rows if r["amo_sync_status"].startswith("⚠ rows ")]
    assert len(held) == 2 and all("are copies of one synced row" in h for h in held)
    job = sync_job(small)
    assert job["status"] == "finished" and job["result"]["create"] == 0, job
    assert crm(small) == before
    small.sheets.admin.delete_rows(small.spreadsheet_id, 3, 1, user=PERSON)  # the person deletes one
    job = sync_job(small)
    assert job["status"] == "finished" and job["result"]["create"] == 0, job
    assert small.row_of(olga_key)["amo_sync_status"].startswith("✓") and crm(small) == before


def test_a_synced_row_whose_cells_were_all_emptied_clears_nothing_in_amocrm(small):
    """Checker finding (10:17): a cut whose pasted copy a person confirmed as new left the source row
    empty, and the next run emptied its lead and the contact shared with other rows."""
    before = crm(small)
    olga = key_of(small, "Olga Smirnova")
    small.edit("Leads!A3:E3", [["", "", "", "", ""]])
    small.send_edits([olga])
    small.work()
    job = sync_job(small, confirm=True)
    assert job["status"] == "finished", job
    assert crm(small) == before
    assert small.row_of(olga)["amo_sync_status"].startswith("⚠ this row's cells are empty")
