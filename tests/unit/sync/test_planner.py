"""Planner scenarios: each starts from a small world, changes something, and checks the plan."""

from backend.sync.core.model import (
    CONTACT_EMAIL,
    CONTACT_NAME,
    CONTACT_PHONE,
    LEAD_NAME,
    LEAD_PRICE,
    LEAD_STATUS,
    Direction,
    FieldRule,
    Outcome,
    Policy,
)
from tests.unit.sync.world import Row, World

RULES = (
    FieldRule(CONTACT_NAME, label="Name"),
    FieldRule(CONTACT_PHONE, label="Phone"),
    FieldRule(CONTACT_EMAIL, label="Email"),
    FieldRule(LEAD_PRICE, label="Budget"),
    FieldRule(LEAD_STATUS, label="Status"),
)
DEFAULTS = {LEAD_STATUS: "10:1"}


def world(*rows, rules=RULES) -> World:
    return World(rules=rules, rows=list(rows), defaults=dict(DEFAULTS))


def row(key, name=None, phone=None, email=None, price=None, status=None, **kw) -> Row:
    return Row(key, {CONTACT_NAME: name, CONTACT_PHONE: phone, CONTACT_EMAIL: email, LEAD_PRICE: price,
                     LEAD_STATUS: status}, **kw)  # fmt: skip


def synced(*rows) -> World:
    w = world(*rows)
    w.apply(w.plan())
    assert not w.plan().actions
    return w


def test_new_rows_create_one_lead_each_and_dedupe_contacts():
    w = world(
        row("a", "Ivan", "+79121234567", "foo@x.ru", "100"),
        row("b", "Ivan", "+79121234567", None, "200"),  # same phone, no contradicting e-mail or name
        row("c", "Olga", None, "foo@x.ru", "300"),  # same e-mail wins over a different name
        row("d", "Petr", "+79121234567", "petr@x.ru", "400"),  # same phone, different e-mail: new person
        row("e"),  # blank row: not a record
    )
    p = w.plan()
    assert p.counts.create == 4 and p.counts.new_contacts == 2
    assert {rp.key: rp.outcome for rp in p.rows}["e"] is Outcome.EMPTY
    contacts = {rp.key: rp.contact for rp in p.rows if rp.outcome is Outcome.CREATE}
    assert contacts["a"] == contacts["b"] == contacts["c"] != contacts["d"]
    w.apply(p)
    assert len(w.leads) == 4 and len(w.contacts) == 2
    # rows showing one contact now agree with it (c's name followed the contact created from a)
    assert w.rows[2].values[CONTACT_NAME] == "Ivan"
    assert not w.plan().actions


def test_new_row_reuses_an_existing_amo_contact_and_fills_its_blanks():
    w = world(row("a", "Ivan", "+79121234567", "ivan@x.ru", "100"))
    w.contacts[7] = {"values": {CONTACT_NAME: "Ivan", CONTACT_PHONE: None, CONTACT_EMAIL: "ivan@x.ru"},
                     "updated_at": 1.0}  # fmt: skip
    p = w.plan()
    (rp,) = p.actions
    assert rp.contact == 7 and p.counts.reused_contacts == 1 and not p.new_contacts
    assert p.contact_updates[0].values == {CONTACT_PHONE: "+79121234567"}
    w.apply(p)
    assert not w.plan().actions


def test_sheet_edit_pushes_to_amo_and_our_own_echo_plans_nothing():
    w = synced(row("a", "Ivan", "+79121234567", "ivan@x.ru", "100"))
    w.rows[0].values[LEAD_PRICE] = "250"
    p = w.plan()
    (rp,) = p.actions
    assert rp.lead_update == {LEAD_PRICE: "250"} and not rp.sheet_update
    w.apply(p)
    # the webhook amoCRM fires for our write carries the value we wrote: nothing to do
    assert not w.plan().actions


def test_amo_change_is_written_to_the_sheet():
    w = synced(row("a", "Ivan", "+79121234567", "ivan@x.ru", "100"))
    lead_id = w.rows[0].lead_id
    w.leads[lead_id]["values"][LEAD_STATUS] = "10:2"
    w.leads[lead_id]["updated_at"] = w.tick()
    (rp,) = w.plan().actions
    assert rp.sheet_update == {LEAD_STATUS: "10:2"} and not rp.lead_update


def test_conflict_newest_wins_and_is_recorded():
    w = synced(row("a", "Ivan", None, None, "100"))
    lead_id = w.rows[0].lead_id
    w.leads[lead_id]["values"][LEAD_PRICE] = "300"
    w.leads[lead_id]["updated_at"] = w.tick()
    w.rows[0].values[LEAD_PRICE] = "200"
    w.rows[0].edited_at = w.tick()  # the sheet edit is newer
    (rp,) = w.plan().actions
    assert rp.lead_update == {LEAD_PRICE: "200"}
    (c,) = rp.conflicts
    assert (c.sheet, c.amo, c.base) == ("200", "300", "100")
    assert rp.message == "conflict on Budget: sheet kept"


def test_late_older_edit_loses_to_newer_amo_change_under_newest():
    w = synced(row("a", "Ivan", None, None, "100"))
    lead_id = w.rows[0].lead_id
    w.rows[0].values[LEAD_PRICE] = "200"
    w.rows[0].edited_at = w.tick()
    w.leads[lead_id]["values"][LEAD_PRICE] = "300"
    w.leads[lead_id]["updated_at"] = w.tick()
    (rp,) = w.plan().actions
    assert rp.sheet_update == {LEAD_PRICE: "300"} and rp.message == "conflict on Budget: amo kept"


def test_bad_row_is_explained_and_creates_nothing():
    w = world(row("a", "Ivan", None, "x@", "100", errors={CONTACT_EMAIL: 'invalid email "x@"'}))
    p = w.plan()
    (rp,) = p.rows
    assert rp.outcome is Outcome.ERROR and rp.create_lead is None and rp.mark
    assert rp.message == '⚠ Email: invalid email "x@"'
    w.apply(p)
    assert not w.leads and not w.plan().rows[0].mark  # the same message is not rewritten


def test_lead_deleted_in_amo_marks_the_row_and_deletes_nothing():
    w = synced(row("a", "Ivan", None, None, "100"))
    w.deleted.add(w.rows[0].lead_id)
    (rp,) = w.plan().rows
    assert rp.outcome is Outcome.DELETED_IN_AMO and rp.mark and not rp.has_actions
    assert "deleted in amoCRM" in rp.message


def test_a_lead_merged_away_marks_its_row_and_typing_the_surviving_lead_id_relinks_it():
    w = synced(row("a", "Ivan", None, None, "100"))
    old = w.rows[0].lead_id
    w.leads[5000] = {"values": {LEAD_PRICE: "100", LEAD_STATUS: "10:1"}, "contact": w.leads[old]["contact"],
                     "updated_at": w.tick()}  # fmt: skip
    w.deleted.add(old)
    w.merged[old] = 5000  # amoCRM's API does not tell which lead survived: the row says the lead is gone
    (rp,) = w.plan().rows
    assert rp.outcome is Outcome.DELETED_IN_AMO and "was deleted in amoCRM" in rp.message
    w.rows[0].lead_id = 5000  # the person types the surviving lead's id
    w.apply(w.plan())
    assert w.rows[0].lead_id == 5000 and not w.plan().actions


def test_row_removed_from_the_sheet_deletes_nothing():
    w = synced(row("a", "Ivan", None, None, "100"), row("b", "Olga", None, None, "5"))
    w.rows.pop()
    p = w.plan()
    removed = [rp for rp in p.rows if rp.outcome is Outcome.REMOVED_FROM_SHEET]
    assert [rp.key for rp in removed] == ["b"] and not p.actions
    assert not w.plan(full_scan=False).counts.removed_from_sheet  # a partial read proves nothing


def test_a_row_held_out_of_the_run_is_not_removed_from_the_sheet():
    """Copies held until a person tells the original are in the sheet though not in the run's rows: not
    "removed from the sheet", and a sheet of nothing else is no empty read asking for a confirmation."""
    from dataclasses import replace

    from backend.sync.core.planner import plan

    w = synced(row("a", "Ivan", None, None, "100"), row("b", "Olga", None, None, "5"))
    w.rows.pop()
    p = plan(replace(w.plan_input(), held=frozenset({"b"})))
    assert not p.counts.removed_from_sheet and not p.actions
    w.rows.clear()
    p = plan(replace(w.plan_input(), held=frozenset({"a", "b"})))
    assert not p.counts.removed_from_sheet and not p.needs_confirmation


def test_an_unsynced_row_a_sort_changed_is_held_not_created():
    from dataclasses import replace

    from backend.sync.core.planner import plan

    w = synced(row("a", "Ivan", None, None, "100"))
    w.rows.append(row("n", "Olga", None, None, "5"))
    p = plan(replace(w.plan_input(), scrambled={"n": ""}))
    (held,) = [rp for rp in p.rows if rp.key == "n"]
    assert held.outcome is Outcome.ERROR and "sorted without the amo_sync_id" in held.message
    assert not p.counts.create and p.needs_confirmation


def test_sorting_rows_changes_nothing():
    w = synced(*(row(k, f"N{k}", None, None, str(i)) for i, k in enumerate("abcdef")))
    w.rows.reverse()
    assert not w.plan().actions


def test_blast_radius_guard_trips_when_half_the_rows_would_change():
    w = synced(*(row(f"k{i:02}", f"N{i}", None, None, str(i)) for i in range(20)))
    for r in w.rows[:10]:
        r.values[LEAD_PRICE] = "999"
    p = w.plan(blast_radius=0.2)
    assert p.needs_confirmation
    (g,) = [g for g in p.guards if g.tripped]
    assert g.name == "share_of_rows" and "10 of 20" in g.reason
    assert not w.plan(blast_radius=0.6).needs_confirmation


def test_blast_radius_is_a_share_of_the_connection_not_of_a_scoped_run():
    """A webhook drain plans only the rows of the leads that changed: 6 changed leads are 100 % of its
    scope but 6 % of the 100 synced rows — no confirmation (the drain used to wait for one forever)."""
    from dataclasses import replace

    from backend.sync.core.planner import plan

    w = synced(*(row(f"k{i:02}", f"N{i}", None, None, str(i)) for i in range(100)))
    for r in w.rows[:6]:
        r.values[LEAD_PRICE] = "999"
    inp = w.plan_input(rows=w.rows[:6], full_scan=False, blast_radius=0.2)
    scoped = replace(inp, ledger={k: le for k, le in inp.ledger.items() if k in {r.key for r in w.rows[:6]}})
    assert not plan(replace(scoped, synced_rows=100)).needs_confirmation
    assert plan(replace(scoped, synced_rows=20)).needs_confirmation  # 6 of 20: a real blast radius


def test_empty_sheet_read_trips_a_guard():
    w = synced(row("a", "Ivan", None, None, "1"))
    w.rows.clear()
    p = w.plan()
    assert [g.name for g in p.guards if g.tripped] == ["empty_sheet"]


def test_typed_lead_id_adopts_an_existing_lead_without_duplicating():
    w = world(row("a", "Ivan", None, None, "100"))
    w.leads[77] = {"values": {LEAD_PRICE: "100", LEAD_STATUS: "10:1"}, "contact": None, "updated_at": 1.0}
    w.rows[0].lead_id = 77
    p = w.plan()
    assert p.counts.create == 0
    w.apply(p)
    assert set(w.leads) == {77} and w.ledger["a"].lead_id == 77
    assert not w.plan().actions


def test_to_sheet_field_is_filled_from_amo_on_create():
    rules = (
        FieldRule(CONTACT_NAME),
        FieldRule(LEAD_STATUS, Direction.TO_SHEET),
        FieldRule(LEAD_NAME, policy=Policy.AMO_WINS),
    )
    w = world(Row("a", {CONTACT_NAME: "Ivan", LEAD_STATUS: "typed", LEAD_NAME: None}), rules=rules)
    (rp,) = w.plan().actions
    assert LEAD_STATUS not in rp.create_lead
    assert rp.sheet_update[LEAD_STATUS] == "10:1" and rp.create_lead[LEAD_NAME] == "Ivan"
