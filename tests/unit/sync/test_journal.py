"""The run journal's records, built from real plans of the planner (no I/O): what a run changed, on
which side, before -> after, and why."""

from backend.sync.core import journal as j
from backend.sync.core.model import CONTACT_NAME, LEAD_PRICE, LEAD_STATUS, FieldRule
from tests.unit.sync.world import Row, World

RULES = (FieldRule(CONTACT_NAME, label="Name"), FieldRule(LEAD_PRICE, label="Budget"),
         FieldRule(LEAD_STATUS, label="Status"))  # fmt: skip


def synced(*rows) -> World:
    w = World(rules=RULES, rows=list(rows), defaults={LEAD_STATUS: "10:1"})
    w.apply(w.plan())
    return w


def journal(w: World, kind: str, p, *, failed=(), written=None, created=None):
    before_sheet = {r.key: dict(r.values) for r in w.rows}
    before_amo = {i: w.amo_lead(i).values for i in w.leads}
    written = {rp.key for rp in p.rows} if written is None else written
    return list(j.changes(kind, p, dict.fromkeys(failed, "refused"), created or {}, {}, written,
                          before_sheet, before_amo))  # fmt: skip


def test_a_sheet_edit_is_journaled_on_the_amo_side_with_before_and_after():
    w = synced(Row("a", {CONTACT_NAME: "Ivan", LEAD_PRICE: "100"}))
    lead = w.rows[0].lead_id
    w.rows[0].values[LEAD_PRICE] = "250"
    (c,) = journal(w, "edits", w.plan())
    assert (c.key, c.lead_id, c.side, c.field, c.before, c.after, c.why) == (
        "a", lead, "amo", LEAD_PRICE, "100", "250", "sheet_edit")  # fmt: skip
    assert c.contact_id == w.leads[lead]["contact"]


def test_an_amo_change_is_journaled_on_the_sheet_side_and_only_if_its_cells_were_written():
    w = synced(Row("a", {CONTACT_NAME: "Ivan", LEAD_PRICE: "100"}))
    lead = w.rows[0].lead_id
    w.leads[lead]["values"][LEAD_STATUS] = "10:2"
    w.leads[lead]["updated_at"] = w.tick()
    p = w.plan()
    (c,) = journal(w, "amo", p)
    assert (c.side, c.field, c.before, c.after, c.why) == ("sheet", LEAD_STATUS, "10:1", "10:2", "amo_change")
    assert journal(w, "amo", p, written=set()) == []  # the row was gone when the cells were written
    (c,) = journal(w, "reconcile", p)
    assert c.why == "reconcile"


def test_a_conflict_says_the_policy_decided_and_a_refused_row_is_no_change():
    w = synced(Row("a", {CONTACT_NAME: "Ivan", LEAD_PRICE: "100"}))
    lead = w.rows[0].lead_id
    w.leads[lead]["values"][LEAD_PRICE] = "300"
    w.leads[lead]["updated_at"] = w.tick()
    w.rows[0].values[LEAD_PRICE] = "200"
    w.rows[0].edited_at = w.tick()
    p = w.plan()
    (c,) = journal(w, "edits", p)
    assert (c.side, c.before, c.after, c.why) == ("amo", "300", "200", "conflict_policy")
    assert journal(w, "edits", p, failed=["a"]) == []


def test_created_leads_are_journaled_with_their_ids_and_counted():
    w = World(rules=RULES, rows=[Row("a", {CONTACT_NAME: "Ivan", LEAD_PRICE: "100"}),
                                 Row("b", {CONTACT_NAME: "Olga", LEAD_PRICE: "5"})])  # fmt: skip
    p = w.plan()
    items = journal(w, "full", p, created={"a": 77})  # b's create was refused: not created, no change
    assert [(c.key, c.field, c.before, c.after, c.why) for c in items] == [("a", "lead", None, 77, "created")]
    assert j.count(items, errors=1) == {
        "created": 1, "updated_amo": 0, "updated_sheet": 0, "healed": 0, "errors": 1}  # fmt: skip


def test_records_survive_their_compact_form():
    c = j.Change("k", 1, None, "sheet", LEAD_PRICE, None, "5", "amo_change")
    assert j.Change.from_row(c.to_row()) == c
    m = j.RunMeta("r", "conn", "reconcile", 1.0, 2.0, {"healed": 3})
    assert j.RunMeta.from_json({**m.to_json(), "unknown": 1}) == m


def test_summaries_say_what_a_person_wants_to_know():
    healed = j.RunMeta("r", "c", "reconcile", 1, 2, {"healed": 3})
    assert j.summary(healed) == "3 changes amoCRM did not announce were picked up."
    one = j.RunMeta("r", "c", "reconcile", 1, 2, {"healed": 1})
    assert j.summary(one) == "1 change amoCRM did not announce was picked up."
    assert j.summary(j.RunMeta("r", "c", "reconcile", 1, 2, {})) == "Checked everything: nothing was missed."
    edit = j.RunMeta("r", "c", "edit", 1, 2, {"created": 2, "updated_amo": 1, "errors": 1})
    assert j.summary(edit) == "2 created, 1 updated in amoCRM, 1 with errors."
    assert j.summary(j.RunMeta("r", "c", "amocrm", 1, 2, {})) == "Nothing to change."


def test_run_ids_sort_by_time():
    ids = [j.new_run_id(t) for t in (1_700_000_000.0, 1_700_000_000.5, 1_800_000_000.0)]
    assert ids == sorted(ids) and len(set(ids)) == 3


def test_rows_are_counted_once_per_side_however_many_fields_changed():
    items = [
        j.Change("a", 1, None, "amo", LEAD_PRICE, "1", "2", "sheet_edit"),
        j.Change("a", 1, None, "amo", CONTACT_NAME, "x", "y", "sheet_edit"),
        j.Change("a", 1, None, "sheet", LEAD_STATUS, "10:1", "10:2", "amo_change"),
        j.Change("b", 2, None, "amo", LEAD_PRICE, "3", "4", "sheet_edit"),
    ]
    assert j.count(items, errors=0) == {
        "created": 0, "updated_amo": 2, "updated_sheet": 1, "healed": 0, "errors": 0}  # fmt: skip
