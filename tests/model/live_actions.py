"""The end-to-end checker's steps: the planner level's person actions (`actions.py`) applied to the real
spreadsheet, the column operations and the manager's actions through the emulators, and the sync's
triggers and faults over the running product. Each returns one readable step."""

from __future__ import annotations

import time

from rq.job import Job

from backend.sheets.layout import letter
from backend.sync.core.model import (
    CONTACT_EMAIL,
    CONTACT_NAME,
    CONTACT_PHONE,
    LEAD_NAME,
    LEAD_PRICE,
    LEAD_STATUS,
)
from tests.model import actions as a
from tests.model.live import ABANDONED, LiveWorld, _LiveBefore
from tests.model.world import _Undoing

ROW_ACTIONS = {
    "type_cell": a.type_cell,
    "add_row": a.add_row,
    "paste_column": a.paste_column,
    "clear_cell": a.clear_cell,
    "same_contact": a.same_contact,
    "copy_row": a.copy_row,
    "move_row": a.move_row,
    "cut_data_only": a.cut_data_only,
    "sort_sheet": a.sort_sheet,
    "sort_range": a.sort_range,
    "filter_rows": a.filter_rows,
    "insert_row": a.insert_row,
    "delete_row": a.delete_row,
    "clear_key": a.clear_key,
}
COLUMN_TAGS = [*(c for c in a.COLUMNS if c != "Notes")]  # the checker's Notes column names the rows


def person(w: LiveWorld, name: str, *args) -> str:
    """A person's action on cells and rows, typed into the real sheet."""
    w.pull()
    rows = len(w.tab.rows)
    step = ROW_ACTIONS[name](w, *args)
    w.push(rows)
    w.pull()
    return step


def _col(w: LiveWorld, which: int):
    return w.tab.column(COLUMN_TAGS[which % len(COLUMN_TAGS)])


def column(w: LiveWorld, name: str, which: int, arg: int) -> str:
    """A person's action on a whole column, through the Sheets UI operations."""
    w.pull()
    sid, title, api = w.tenant.spreadsheet_id, w.tenant.title, w.sheets_api
    col = _col(w, which)
    if name == "insert_column":
        at = arg % (len(w.tab.columns) + 1)
        api.insert_columns(sid, letter(at), 1, sheet=title, user="manager@example.com")
        step = f"insert an empty column at position {at + 1}"
    elif col is None:
        step = f"{name}: the column is already gone"
    elif name == "delete_column":
        api.delete_columns(sid, letter(w.tab.columns.index(col)), 1, sheet=title, user="manager@example.com")
        step = f"delete the column {col.header!r}"
    elif name == "move_column":
        before = letter(arg % (len(w.tab.columns) + 1))
        api.move_columns(
            sid, letter(w.tab.columns.index(col)), 1, before, sheet=title, user="manager@example.com"
        )
        step = f"move the column {col.header!r} before column {before}"
    else:
        new = "" if arg % 2 else f"{col.header} (renamed)"
        if col.header:
            api.rename_header(sid, col.header, new, sheet=title, user="manager@example.com")
        else:  # a header deleted before: the person types into its empty cell (nothing to find it by)
            a1 = f"'{title}'!{letter(w.tab.columns.index(col))}1"
            api.edit_cells(sid, a1, [[new]], user="manager@example.com")
        step = f"rename the header {col.header!r} to {new!r}"
    w.pull()
    return step


# --- a manager in amoCRM ---------------------------------------------------------------------------------


def _lead(w: LiveWorld, k: int) -> int | None:
    ids = sorted(w.acct.leads)
    return ids[k % len(ids)] if ids else None


def _stages(w: LiveWorld) -> list[int]:
    p = w.ctx.catalog.pipeline(w.ctx.pipeline_id)
    return [s.status_id for s in p.statuses if not s.is_unsorted] if p else []


def manager(w: LiveWorld, name: str, k: int, what: int, v: int, hook: int = 0) -> str:
    """A manager's action in amoCRM and the runs its webhook starts (delivered, dropped or delivered
    twice), judged as one step: what the manager changed is exempt."""
    w.pull()
    before = _LiveBefore(w)
    how = ("", ", webhook dropped", ", webhook delivered twice")[hook % 3]
    if hook % 3:
        w.amo_api.set_faults(**{("webhook_drop" if hook % 3 == 1 else "webhook_duplicate"): 1})
    try:
        step = _manager_acts(w, name, k, what, v)
        status = w.live_step(lambda: None, before=before)
    finally:
        w.amo_api.set_faults(webhook_drop=0, webhook_duplicate=0)
    return f"{step}{how}: {status}"


def _manager_acts(w: LiveWorld, name: str, k: int, what: int, v: int) -> str:
    host, api = w.tenant.host, w.amo_api
    lid, other = _lead(w, k), _lead(w, what)
    if name == "new_lead_in_amo":
        coded = _coded("PHONE", a._value("c_phone", v % 3)) + _coded("EMAIL", a._value("c_email", v % 3))
        c = api.manager_create_contact(host, name=a._value("c_name", v), custom_fields_values=coded)
        made = api.manager_create_lead(host, name=a._value("c_deal", v), price=500, contact_id=c["id"])
        w.exempt |= {(int(made["id"]), "*"), (int(c["id"]), "*")}
        return f"manager creates lead {made['id']} with contact {c['id']}"
    if lid is None:
        return f"{name}: there is no lead"
    if name == "edit_lead":
        field = ("name", "price", "status_id")[what % 3]
        value = [a._value("c_deal", v), int(a._value("c_price", v % 3)), _stages(w)[v % len(_stages(w))]][
            what % 3
        ]
        extra = {"pipeline_id": w.ctx.pipeline_id} if field == "status_id" else {}
        api.manager_update_lead(host, lid, **{field: value}, **extra)
        w.exempt.add((lid, {"name": LEAD_NAME, "price": LEAD_PRICE, "status_id": LEAD_STATUS}[field]))
        return f"manager sets {field} of lead {lid} to {value!r}"
    if name == "edit_contact":
        cid = w.acct.main_contact(lid)
        if cid is None:
            return "edit a contact (the lead has none)"
        if what % 3 == 0:
            api.manager_update_contact(host, cid, name=a._value("c_name", v))
            w.exempt.add((cid, CONTACT_NAME))
            return f"manager renames contact {cid} to {a._value('c_name', v)!r}"
        code = "PHONE" if what % 3 == 1 else "EMAIL"
        value = a._value("c_phone" if code == "PHONE" else "c_email", v % 3)
        api.manager_update_contact(host, cid, custom_fields_values=_coded(code, value))
        w.exempt.add((cid, CONTACT_PHONE if code == "PHONE" else CONTACT_EMAIL))
        return f"manager sets {code} of contact {cid} to {value!r}"
    if name == "delete_lead":
        api.manager_delete_lead(host, lid)
        w.exempt.add((lid, "*"))
        return f"manager deletes lead {lid}"
    if other is None or other == lid:
        return "merge a lead with itself (nothing happens)"
    api.manager_merge_leads(host, lid, other)
    w.exempt |= {(lid, "*"), (other, "*")}
    return f"manager merges lead {other} into lead {lid}"


def _coded(code: str, value: str) -> list[dict]:
    return [{"field_code": code, "values": [{"value": value, "enum_code": "WORK"}]}]


# --- the sync's triggers and faults ----------------------------------------------------------------------


def edit_run(w: LiveWorld) -> str:
    keys = sorted(w.pending_edits)
    if not keys:
        return "edit run (nothing queued)"

    def send():  # addon/Edits.js: the rows with their values, then the answers written into them
        rows = w.as_sent(keys)
        r = w.tenant.call("POST", "/edits", {"rows": rows, "headers": w.headers()})
        if r.status_code != 202:
            w.flag("run_crashed", f"POST /edits answered {r.status_code}: {r.text[:200]}")
            return
        w.pending_edits.clear()
        w.edited_cols.clear()
        w.write_answers(rows, r.json().get("rows", []))

    return f"the add-on sends {len(keys)} edited row(s) with their values: {w.live_step(send)}"


def full_sync(w: LiveWorld, confirm: bool) -> str:
    status = w.live_step(lambda: w.tenant.start_sync(confirm=confirm) and None)
    return f"full sync{' (confirmed)' if confirm else ''}: {status}"


def reconcile(w: LiveWorld) -> str:
    return f"reconcile: {w.live_step(lambda: w.tenant.call('POST', '/reconcile') and None)}"


def faulty_run(w: LiveWorld, kind: int, count: int, fault: int) -> str:
    """A full sync or an edit run while amoCRM answers 429, 5xx or times out (or Sheets answers 503)."""
    what = ("amoCRM 429", "amoCRM 503", "amoCRM timeout", "Sheets 503")[fault % 4]
    keys = sorted(w.pending_edits)
    name = "edits" if kind % 2 and keys else "full"

    def start():
        if fault % 4 == 0:
            w.amo_api.force(status=429, count=count)
        elif fault % 4 == 1:
            w.amo_api.force(status=503, count=count)
        elif fault % 4 == 2:
            w.amo_api.force(delay=3.0, count=1)
        else:
            w.sheets_api.set_faults(status=503, count=count)
        if name == "edits":
            w.tenant.send_edits(keys)
            w.pending_edits.clear()
            w.edited_cols.clear()
        else:
            w.tenant.start_sync(confirm=True)

    return f"{name} run with {what} x{count}: {w.live_step(start)}"


def undo_recent(w: LiveWorld, back: int, stage: int, confirm: bool) -> str:
    """A person presses Undo on one of the four newest runs this oracle saw change something (a step in
    which one journaled run did; an undo is one too, so it can be undone), and picks a stage for the
    leads it created, or none. Judged like any step, with what that run changed as the person's request
    (`World._undone_amo`, `_undone_cell`)."""
    done = [d for d in reversed(w.done) if d.run_id][:4]
    if not done:
        return "undo a run (none seen changing anything)"
    d = done[back % len(done)]
    stages = _stages(w)
    picked = stages[stage % len(stages)] if stage % 3 and stages else None
    body = {"confirm": confirm} | ({"stage": picked} if picked else {})
    job: list[str] = []

    def start():
        r = w.tenant.call("POST", f"/runs/{d.run_id}/undo", body)
        if r.status_code != 202:
            raise AssertionError(f"undo of {d.run_id} answered {r.status_code}: {r.text}")
        job.append(r.json()["job_id"])

    w.undoing = _Undoing(d, None if picked is None else f"{w.ctx.pipeline_id}:{picked}")
    try:
        w.live_step(start)
        status = w.tenant.job(job[0])["status"] if job else "not started"
        if status == "finished":
            w._judge_undo_marks()
    finally:
        w.undoing = None
    which = "the newest run seen" if back % len(done) == 0 else f"run {back % len(done) + 1} from the top"
    return (
        f"person undoes {which} ({d.run_id})"
        + (f", leads it created to stage {picked}" if picked else "")
        + (" (confirmed)" if confirm else "")
        + f": {status}"
    )


def kill_worker(w: LiveWorld) -> str:
    """kill -9 of the worker running a full sync, then a new worker; the next runs pick up the pieces."""
    done: list[str] = []

    def start():
        job_id = w.tenant.start_sync(confirm=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            job = Job.fetch(job_id, connection=w.product.redis)
            if job.get_status() == "started" and job.worker_name:
                ABANDONED.add(job_id)
                w.product.kill_worker(job.worker_name)
                w.product.start_worker(f"{job.worker_name}-r")
                done.append(f"killed {job.worker_name}")
                return
            if job.get_status() in ("finished", "failed"):
                break
            time.sleep(0.005)
        done.append("the job ended before the kill")

    status = w.live_step(start)
    return f"full sync, kill -9 of its worker ({done[0] if done else '?'}): {status}"


def quiet_reconcile(w: LiveWorld) -> str:
    reconcile(w)
    status = reconcile(w)
    w.check_quiet()
    return f"quiet {status}"
