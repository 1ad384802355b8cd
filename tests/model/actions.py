"""What people do, as functions over a `World`: a person in the sheet, a manager in amoCRM, and the sync's
triggers (edit runs, webhooks, reconciles, full syncs, with faults). Each returns one readable step for
the sequence's log, so a shrunk failure reads as a story and a regression test is a list of these calls.

Arguments are small integers (picked by hypothesis, taken modulo what exists), so every call is valid in
every state and shrinking moves towards the first row, the first column and the first value.
"""

from __future__ import annotations

from backend.store.journal import Journal
from backend.store.ledger import Ledger
from tests.model.sheet import Column, Row
from tests.model.world import CONNECTION, TARGETS, World

POOL = {
    "c_name": ["Ivan", "Olga", "Petr", "Anna Smirnova"],
    "c_phone": ["+79120000001", "+79120000002", "8 912 000-00-03", "12"],
    "c_email": ["a@x.ru", "b@x.ru", "c@x.ru", "not-an-email"],
    "c_deal": ["Kitchen", "Roof", "Windows"],
    "c_price": ["100", "250", "1000", "abc"],
    "c_stage": ["Первичный контакт", "Переговоры", "Успешно реализовано"],
    None: ["call back", "VIP"],
}
COLUMNS = [*TARGETS, "Notes", "key", "lead_id", "sync"]


def _value(cid: str | None, v: int) -> str:
    pool = POOL.get(cid, POOL[None])
    return pool[v % len(pool)]


def _row(w: World, i: int) -> Row:
    if not w.tab.rows:
        w.tab.rows.append(Row())
    return w.tab.rows[i % len(w.tab.rows)]


def _n(w: World, row: Row) -> int:
    return w.tab.rows.index(row) + 2  # as Sheets numbers it


def _column(w: World, which: int) -> Column | None:
    tag = COLUMNS[which % len(COLUMNS)]
    if tag == "Notes":
        return next((c for c in w.tab.columns if c.tag is None), None)
    return w.tab.column(tag)


# --- a person in the sheet ---------------------------------------------------------------------------------


def type_cell(w: World, i: int, col: int, v: int) -> str:
    row, cid = _row(w, i), list(TARGETS)[col % len(TARGETS)]
    value = _value(cid, v)
    w.tab.put(row, cid, value)
    w.edited(row, (cid,))
    return f"type {value!r} into {cid} of row {_n(w, row)}"


def add_row(w: World, values: list[int]) -> str:
    row = Row()
    w.tab.rows.append(row)
    for cid, v in zip(TARGETS, values, strict=False):
        if v >= 0:
            w.tab.put(row, cid, _value(cid, v))
    w.edited(row)
    return f"paste a new row {_n(w, row)}: " + ", ".join(
        f"{c}={w.tab.get(row, c)!r}" for c in TARGETS if w.tab.get(row, c)
    )


def paste_column(w: World, i: int, count: int, col: int, v: int) -> str:
    cid = list(TARGETS)[col % len(TARGETS)]
    start = i % (len(w.tab.rows) + 1)
    rows = []
    for k in range(count):
        if start + k >= len(w.tab.rows):
            w.tab.rows.append(Row())
        row = w.tab.rows[start + k]
        w.tab.put(row, cid, _value(cid, v + k))
        w.edited(row, (cid,))
        rows.append(_n(w, row))
    return f"paste {count} values into {cid} of rows {rows}"


def clear_cell(w: World, i: int, col: int) -> str:
    row, cid = _row(w, i), list(TARGETS)[col % len(TARGETS)]
    w.tab.put(row, cid, "")
    w.edited(row, (cid,))
    return f"clear {cid} of row {_n(w, row)}"


def same_contact(w: World, i: int, j: int, phone: bool) -> str:
    """Two rows with one e-mail (or phone): row i takes row j's."""
    src, dst = _row(w, j), _row(w, i)
    cid = "c_phone" if phone else "c_email"
    w.tab.put(dst, cid, w.tab.get(src, cid))
    w.edited(dst, (cid,))
    return f"type row {_n(w, src)}'s {cid} {w.tab.get(src, cid)!r} into row {_n(w, dst)}"


def copy_row(w: World, i: int, above: bool) -> str:
    """Copy a whole row, key cells included, and paste it above or below the original."""
    src = _row(w, i)
    copy = Row(dict(src.cells))
    at = w.tab.rows.index(src) + (0 if above else 1)
    w.tab.rows.insert(at, copy)
    w.edited(copy)
    key = str(w.tab.get(src, "key")).strip()
    if src.rid is not None and key and key == str(w.tab.get(copy, "key")).strip():
        root, root_key = w.twins.get(src.rid, (src.rid, key))
        if root_key != key or (root_row := w.row_of(root)) is None or root_row.cells != src.cells:
            root = src.rid  # a copy of a twin that differs from its original now: a twin of its own
        # a copy of a copy nothing tells from the original is that original's twin too: of the three,
        # the run may leave the lead on any one
        w.twins[copy.rid] = (root, key)
    elif src.rid is not None and not key and (lid := w.lead_of(src.rid)) is not None:
        # its key cell was cleared: the lead id cell is what both rows carry of the synced row, and a run
        # gives that row's key back to one of them
        if str(w.tab.get(src, "lead_id")).strip() == str(lid):
            synced = Ledger(w.redis, CONNECTION).keys_for_leads([lid]).get(lid)
            if synced:
                w.twins[copy.rid] = (src.rid, synced)
    return f"copy row {_n(w, src)} with its key cells and paste it as row {_n(w, copy)}"


def move_row(w: World, i: int, j: int) -> str:
    """Cut a whole row and paste it elsewhere (every column moves with it)."""
    row = _row(w, i)
    start = _n(w, row)
    w.tab.rows.remove(row)
    w.tab.rows.insert(j % (len(w.tab.rows) + 1), row)
    w.edited(row)
    return f"cut row {start} and paste it as row {_n(w, row)}"


def cut_data_only(w: World, i: int) -> str:
    """Cut a row's data cells (not the system columns) and paste them into a new row at the end."""
    src = _row(w, i)
    mapped = [c for c in w.tab.data_columns() if c.tag in TARGETS and str(src.cells.get(c.uid, "")).strip()]
    dst = Row(rid=src.rid)
    for c in w.tab.data_columns():
        if c.uid in src.cells:
            dst.cells[c.uid] = src.cells.pop(c.uid)
    src.rid = None
    if len(mapped) <= 1 and w.relabels:
        # one value is no evidence of whose it was: the sheet is the same as after clearing the cell and
        # typing the value into a new row, and the sync cannot tell them apart (tests/model/README.md)
        src.rid, dst.rid = dst.rid, None
    elif dst.rid is not None:
        w.cut_from[dst.rid] = src  # edits before a run may leave it no evidence of whose it was (`recut`)
    w.tab.rows.append(dst)
    w.edited(dst)
    return f"cut the data cells of row {_n(w, src)} (without the system columns) into new row {_n(w, dst)}"


def _sort_key(w: World, col: Column | None):
    return lambda r: str(r.cells.get(col.uid, "")) if col is not None else ""


def sort_sheet(w: World, which: int, desc: bool) -> str:
    col = _column(w, which)
    w.tab.rows.sort(key=_sort_key(w, col), reverse=desc)
    return f"sort the whole sheet by {col.header if col else '?'!r} {'Z-A' if desc else 'A-Z'}"


def sort_range(w: World, which: int, desc: bool, *, during_run: bool = False) -> str:
    """Sort only the data columns: the system columns stay where they were. Between runs, rows the sync
    knows as one stay with their key cells (`World.dealt`); during a run, the run already planned from
    where the data was."""
    col = _column(w, which)
    if col is None or col.tag in ("key", "lead_id", "link", "sync"):
        col = w.tab.data_columns()[0] if w.tab.data_columns() else None
    data_uids = {c.uid for c in w.tab.data_columns()}
    homes = {id(r): r.rid for r in w.tab.rows}
    parts = [(r.rid, {u: v for u, v in r.cells.items() if u in data_uids}) for r in w.tab.rows]
    parts.sort(key=lambda p: str(p[1].get(col.uid, "")) if col else "", reverse=desc)
    for row, (rid, cells) in zip(w.tab.rows, parts, strict=True):
        row.cells = {u: v for u, v in row.cells.items() if u not in data_uids} | cells
        row.rid = rid
    if not during_run:
        w.dealt(homes)
    return f"sort the data columns only (not the system columns) by {col.header if col else '?'!r}"


def filter_rows(w: World, which: int) -> str:
    """A filter hides rows in the person's view; the API still reads and writes every row."""
    col = _column(w, which)
    return f"filter by {col.header if col else '?'!r} (hidden rows are still read by the API)"


def insert_row(w: World, i: int) -> str:
    at = i % (len(w.tab.rows) + 1)
    w.tab.rows.insert(at, Row())
    return f"insert an empty row at row {at + 2}"


def delete_row(w: World, i: int) -> str:
    row = _row(w, i)
    n = _n(w, row)
    w.tab.rows.remove(row)
    return f"delete row {n}"


def insert_column(w: World, pos: int) -> str:
    at = pos % (len(w.tab.columns) + 1)
    w.tab.columns.insert(at, Column(None, "New"))
    return f"insert an empty column at position {at + 1}"


def delete_column(w: World, which: int) -> str:
    col = _column(w, which)
    if col is None:
        return "delete a column that is already gone"
    w.tab.columns.remove(col)
    return f"delete the column {col.header!r}"


def move_column(w: World, which: int, pos: int) -> str:
    col = _column(w, which)
    if col is None:
        return "move a column that is already gone"
    w.tab.columns.remove(col)
    w.tab.columns.insert(pos % (len(w.tab.columns) + 1), col)
    return f"move the column {col.header!r} to position {w.tab.columns.index(col) + 1}"


def rename_header(w: World, which: int, clear: bool) -> str:
    col = _column(w, which)
    if col is None:
        return "rename a column that is gone"
    old, col.header = col.header, "" if clear else col.header + " (renamed)"
    return f"{'clear' if clear else 'rename'} the header {old!r}"


def clear_key(w: World, i: int) -> str:
    row = _row(w, i)
    w.tab.put(row, "key", "")
    w.untied(row)
    return f"clear the key cell of row {_n(w, row)}"


# --- a manager in amoCRM ------------------------------------------------------------------------------------


def _lead(w: World, k: int) -> int | None:
    ids = sorted(w.acct.leads)
    return ids[k % len(ids)] if ids else None


def edit_lead(w: World, k: int, what: int, v: int) -> str:
    lid = _lead(w, k)
    if lid is None:
        return "edit a lead (there is none)"
    lead = w.acct.leads[lid]
    field = ("name", "price", "status_id")[what % 3]
    value = [_value("c_deal", v), int(_value("c_price", v % 3)), (10, 11, 142)[v % 3]][what % 3]
    lead[field] = value
    w.acct.touch_lead(lid)
    return f"manager sets {field} of lead {lid} to {value!r}"


def edit_contact(w: World, k: int, what: int, v: int) -> str:
    lid = _lead(w, k)
    cid = w.acct.main_contact(lid) if lid is not None else None
    if cid is None:
        return "edit a contact (there is none)"
    if what % 3 == 0:
        w.acct.contacts[cid]["name"] = _value("c_name", v)
        w.acct.contacts[cid]["updated_at"] = w.acct.tick()
        w.acct.changed_contacts.add(cid)
        return f"manager renames contact {cid} to {w.acct.contacts[cid]['name']!r}"
    code = "PHONE" if what % 3 == 1 else "EMAIL"
    value = _value("c_phone" if code == "PHONE" else "c_email", v % 3)
    w.acct.set_contact(cid, {code: value})
    return f"manager sets {code} of contact {cid} to {value!r}"


def delete_lead(w: World, k: int) -> str:
    lid = _lead(w, k)
    if lid is None:
        return "delete a lead (there is none)"
    w.acct.delete_lead(lid)
    return f"manager deletes lead {lid}"


def merge_leads(w: World, k1: int, k2: int) -> str:
    """amoCRM's merge: the second lead is gone, the first keeps its fields and gains the second's contact."""
    a, b = _lead(w, k1), _lead(w, k2)
    if a is None or a == b:
        return "merge a lead with itself (nothing happens)"
    other = w.acct.main_contact(b)
    w.acct.delete_lead(b)
    if other is not None and all(c["id"] != other for c in w.acct.leads[a]["_embedded"]["contacts"]):
        w.acct.leads[a]["_embedded"]["contacts"].append({"id": other, "is_main": False})
    w.acct.touch_lead(a)
    return f"manager merges lead {b} into lead {a}"


def share_contact(w: World, k1: int, k2: int) -> str:
    """One contact on many leads: lead k1's main contact becomes lead k2's contact."""
    a, b = _lead(w, k1), _lead(w, k2)
    cid = w.acct.main_contact(b) if b is not None else None
    if a is None or cid is None or a == b:
        return "share a contact (nothing to share)"
    contacts = [{**c, "is_main": False} for c in w.acct.leads[a]["_embedded"]["contacts"] if c["id"] != cid]
    w.acct.leads[a]["_embedded"]["contacts"] = [{"id": cid, "is_main": True}, *contacts]
    w.acct.touch_lead(a)
    return f"manager makes contact {cid} the main contact of lead {a} too"


def new_lead_in_amo(w: World, v: int, with_contact: bool) -> str:
    cid = (
        w.acct.new_contact(_value("c_name", v), _value("c_phone", v % 3), _value("c_email", v % 3))
        if with_contact
        else None
    )
    lid = w.acct.new_lead(_value("c_deal", v), 500, 10, cid)
    return f"manager creates lead {lid} in amoCRM" + (f" with contact {cid}" if cid else "")


def delete_newest_lead(w: World) -> str:
    """Only its contact stays: a person already known to amoCRM."""
    w.acct.delete_lead(max(w.acct.leads))
    return "manager deletes that lead (its contact stays)"


# --- the sync's triggers ------------------------------------------------------------------------------------

FAULTS = ("429", "5xx", "timeout")


def full_sync(w: World, confirm: bool) -> str:
    status = w.run("full", confirm=confirm)
    return f"full sync{' (confirmed)' if confirm else ''}: {status}"


def forget_edits(w: World) -> str:
    """The sheet as synced before the sequence starts: the edits that built it were all seen."""
    w.pending_edits.clear()
    w.edited_cols.clear()
    return "(that sync saw every edit so far)"


def edit_run(w: World) -> str:
    if not w.pending_edits:
        return "edit run (nothing queued)"
    keys = sorted(w.pending_edits)
    status = w.run("edits", keys=keys)
    if status != "failed":
        w.pending_edits.clear()
        w.edited_cols.clear()
    return f"edit run for {len(keys)} row(s): {status}"


def deliver_edits(w: World, at: int, fault: int) -> str:
    """The add-on delivers the queued edits with the rows' values (addon/Edits.js): planned from those
    values without reading the sheet (sync/edit_run.py), the answers written into the rows by key; what
    that run cannot judge goes to a run that reads the sheet. `fault` < len(FAULTS): amoCRM fails at call
    `at` (the rows stay queued with their values, as the backend keeps them for the retry)."""
    if not w.pending_edits:
        return "the add-on delivers nothing (nothing queued)"
    keys = sorted(w.pending_edits)
    amo_fault = (at, FAULTS[fault]) if fault < len(FAULTS) else None
    status = w.run_edits(keys, amo_fault=amo_fault)
    if status != "failed":
        w.pending_edits.clear()
        w.edited_cols.clear()
    what = f" (amoCRM {amo_fault[1]} at call {at})" if amo_fault else ""
    return f"the add-on delivers {len(keys)} edited row(s) with their values{what}: {status}"


def webhook(w: World, mode: int) -> str:
    """amoCRM's webhook for what changed: delivered, dropped or delivered twice."""
    leads, contacts = sorted(w.acct.changed_leads), sorted(w.acct.changed_contacts)
    how = ("delivered", "dropped", "delivered twice")[mode % 3]
    if mode % 3 != 1 and (leads or contacts):
        for _ in range(1 if mode % 3 == 0 else 2):
            if w.run("amo", lead_ids=leads, contact_ids=contacts) == "failed":
                return f"webhook for leads {leads} contacts {contacts}: {how}, the run failed (queued again)"
    w.acct.changed_leads.clear()
    w.acct.changed_contacts.clear()
    return f"webhook for leads {leads} contacts {contacts}: {how}"


def reconcile(w: World) -> str:
    return f"reconcile: {w.run('reconcile')}"


def faulty_run(w: World, kind: int, at: int, fault: int) -> str:
    """A run where amoCRM (or Sheets) fails at the n-th call; the next runs must pick up the pieces."""
    name = ("full", "edits", "reconcile", "amo")[kind % 4]
    sheets = fault % (len(FAULTS) + 1) == len(FAULTS)
    amo_fault = None if sheets else (at, FAULTS[fault % (len(FAULTS) + 1)])
    keys = sorted(w.pending_edits) if name == "edits" else None
    status = w.run(
        name,
        keys=keys,
        lead_ids=sorted(w.acct.changed_leads),
        contact_ids=sorted(w.acct.changed_contacts),
        amo_fault=amo_fault,
        sheets_fault=at if sheets else None,
    )
    what = f"Sheets 503 at call {at}" if sheets else f"amoCRM {amo_fault[1]} at call {at}"
    return f"{name} run with {what}: {status}"


MEANWHILE = ("sort_sheet", "insert_column", "move_column", "delete_row", "sort_range")


def run_while_person_acts(w: World, kind: int, what: int, arg: int) -> str:
    """A run during which the person sorts, inserts or moves a column, or deletes a row — right before
    the run writes the sheet."""
    name = ("full", "edits")[kind % 2]
    act = MEANWHILE[what % len(MEANWHILE)]
    done: list[str] = []

    def meanwhile() -> None:
        if act == "sort_sheet":
            done.append(sort_sheet(w, arg, bool(arg % 2)))
        elif act == "insert_column":
            done.append(insert_column(w, arg))
        elif act == "move_column":
            done.append(move_column(w, arg, arg + 3))
        elif act == "delete_row":
            done.append(delete_row(w, arg) if w.tab.rows else "nothing to delete")
        else:
            done.append(sort_range(w, arg, bool(arg % 2), during_run=True))

    keys = sorted(w.pending_edits) if name == "edits" else None
    status = w.run(name, keys=keys, meanwhile=meanwhile)
    if name == "edits" and status != "failed":
        w.pending_edits.clear()
        w.edited_cols.clear()
    return (
        f"{name} run while the person does: {done[0] if done else act + ' (the run wrote nothing)'}: {status}"
    )


def quiet_reconcile(w: World) -> str:
    """Nobody acts, nothing fails: reconcile until it settles, then both sides must agree."""
    for _ in range(3):
        status = w.run("reconcile")
        if status == "waiting_confirmation":
            break
    w.check_quiet()
    return f"quiet reconcile: {status}"


UNDO_STAGES = (None, 11, 143)  # the person's pick for the leads an undone run created: none, or a stage


def undo_recent(w: World, back: int, stage: int, confirm: bool, at: int = 0, fault: int = 0) -> str:
    """A person presses Undo on one of the recent runs of the Activity list that changed something
    (`back`: 0 the newest), picks
    a stage for the leads it created (or none: they are only tagged); `at` > 0: amoCRM fails at that
    call of the undo."""
    runs = [m for m in Journal(w.redis, CONNECTION).runs(limit=20) if m.changes][:4]
    if not runs:
        return "undo a run (none journaled changed anything)"
    meta = runs[back % len(runs)]
    picked = UNDO_STAGES[stage % len(UNDO_STAGES)]
    amo_fault = (at, FAULTS[fault % len(FAULTS)]) if at else None
    status = w.undo(meta.run_id, picked, confirm=confirm, amo_fault=amo_fault)
    which = "the newest run" if back % len(runs) == 0 else f"the run {back % len(runs) + 1}th from the top"
    return (
        f"person undoes {which} ({meta.trigger}, {meta.changes} change(s))"
        + (f", leads it created to stage {picked}" if picked else "")
        + (" (confirmed)" if confirm else "")
        + (f" with amoCRM {amo_fault[1]} at call {at}" if amo_fault else "")
        + f": {status}"
    )
