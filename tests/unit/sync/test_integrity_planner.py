"""The planner's integrity rules (docs/sync.md "Invariants"), each from a small world: shared contacts
change only by their owner's change, "newest" compares each field with its own record's time, guards
count creates and refuse scrambled rows."""

from dataclasses import replace

from backend.sync.core.model import (
    CONTACT_EMAIL,
    CONTACT_NAME,
    CONTACT_PHONE,
    LEAD_PRICE,
    Direction,
    FieldRule,
    Side,
)
from tests.unit.sync.test_planner import RULES, row, synced, world


def alice_world():
    """Alice's row is synced: her contact (name, e-mail, no phone) is on her lead."""
    w = synced(row("a", "Alice", None, "alice@x.ru", "100"))
    (contact_id,) = w.contacts
    return w, contact_id


# --- a shared contact changes only by its owner's change ----------------------------------------------


def test_a_new_row_with_an_existing_contacts_email_and_another_name_does_not_rename_the_contact():
    w, cid = alice_world()
    w.rows.append(row("b", "Bob", "+79120000002", "alice@x.ru", "900", edited_at=w.tick() + 100))
    p = w.plan()
    rp = next(rp for rp in p.rows if rp.key == "b")
    assert rp.create_lead is not None and rp.contact == cid  # the lead joins the contact found by e-mail
    # the contact's name is not changed (not even by a newer edit); its empty phone is filled
    assert [cu.values for cu in p.contact_updates] == [{CONTACT_PHONE: "+79120000002"}]
    assert CONTACT_NAME not in rp.sheet_update  # the person's cell is not overwritten either
    (c,) = rp.conflicts
    assert (c.target, c.sheet, c.amo, c.winner) == (CONTACT_NAME, "Bob", "Alice", Side.AMO)
    assert rp.message.startswith(
        "⚠ Name: the amoCRM contact this row joined (same e-mail or phone) has “Alice”"
    )
    w.apply(p)
    assert w.contacts[cid]["values"][CONTACT_NAME] == "Alice"
    # the conflict stays shown, and is never applied later (the row has no agreed name with the contact)
    again = w.plan()
    assert not again.actions and not again.contact_updates
    assert next(rp for rp in again.rows if rp.key == "b").conflicts[0].sheet == "Bob"
    # the person settles it by typing the contact's name: then the row owns the field like any other
    w.rows[1].values[CONTACT_NAME] = "Alice"
    w.apply(w.plan())
    assert not w.plan().actions and not w.plan().rows[1].conflicts


def test_a_joined_row_with_an_empty_cell_under_to_amo_never_clears_the_shared_contact():
    rules = tuple(
        FieldRule(r.target, Direction.TO_AMO, label=r.label) if r.target == CONTACT_PHONE else r
        for r in RULES
    )
    w = world(row("a", "Alice", "+79120000001", "alice@x.ru", "100"), rules=rules)
    w.apply(w.plan())
    w.rows.append(row("b", "Alice", None, "alice@x.ru", "900"))
    p = w.plan()
    assert not p.contact_updates
    w.apply(p)
    assert next(iter(w.contacts.values()))["values"][CONTACT_PHONE] == "+79120000001"


def test_the_owner_row_still_changes_its_contact():
    w, _ = alice_world()
    w.rows[0].values[CONTACT_NAME] = "Alice Smith"
    p = w.plan()
    assert [cu.values for cu in p.contact_updates] == [{CONTACT_NAME: "Alice Smith"}]


def alice_lead_moved_to_bobs_contact():
    """Alice and Bob are synced; then a manager makes Bob's contact the main contact of Alice's lead."""
    w = synced(
        row("a", "Alice", None, "alice@x.ru", "100"), row("b", "Bob", "+79120000002", "bob@x.ru", "200")
    )
    alice_lead, bob_lead = w.rows[0].lead_id, w.rows[1].lead_id
    bob = w.leads[bob_lead]["contact"]
    w.leads[alice_lead]["contact"] = bob
    w.leads[alice_lead]["updated_at"] = w.tick()
    return w, bob


def test_a_value_typed_for_the_contact_a_manager_took_the_lead_from_is_not_pushed_into_the_new_one():
    """A manager moved Alice's lead to Bob's contact while the person typed a phone into Alice's row: the
    row follows the contact amoCRM now shows, but the phone was meant for Alice, not Bob."""
    w, _ = alice_lead_moved_to_bobs_contact()
    w.rows[0].values[CONTACT_PHONE] = "+79120000009"
    w.rows[0].edited_at = w.tick()
    p = w.plan()
    assert not p.contact_updates  # Bob's contact keeps his phone
    rp = next(rp for rp in p.rows if rp.key == "a")
    assert rp.sheet_update == {CONTACT_NAME: "Bob", CONTACT_EMAIL: "bob@x.ru"}  # the row follows amoCRM
    assert [(c.target, c.sheet, c.amo) for c in rp.conflicts] == [
        (CONTACT_PHONE, "+79120000009", "+79120000002")
    ]


def test_a_cell_the_run_cannot_settle_keeps_no_base_on_the_contact_a_manager_moved_the_lead_to():
    """Alice's phone cell was invalid when a manager moved her lead to Bob's contact. The run follows
    amoCRM, but the phone base Alice's row had was agreed with her own contact: kept under Bob's, her
    next valid phone would overwrite his as its owner's change. It is held as a joining row's instead."""
    w, bob = alice_lead_moved_to_bobs_contact()
    w.rows[0].values[CONTACT_PHONE] = "12"
    w.rows[0].errors = {CONTACT_PHONE: 'invalid phone "12"'}
    w.apply(w.plan())
    assert w.ledger["a"].contact_id == bob and CONTACT_PHONE not in w.ledger["a"].values
    w.rows[0].values[CONTACT_PHONE] = "+79120000009"
    w.rows[0].errors = {}
    w.rows[0].edited_at = w.tick()
    p = w.plan()
    assert not p.contact_updates  # Bob's contact keeps his phone
    rp = next(rp for rp in p.rows if rp.key == "a")
    assert [(c.target, c.sheet, c.amo) for c in rp.conflicts] == [
        (CONTACT_PHONE, "+79120000009", "+79120000002")
    ]
    assert rp.message.startswith("⚠ Phone: the amoCRM contact this row joined")


# --- "newest" compares each field with its own record's time -----------------------------------------


def test_a_later_unrelated_contact_edit_does_not_win_a_lead_field_conflict():
    w = synced(row("a", "Ivan", None, "ivan@x.ru", "100"))
    lead_id = w.rows[0].lead_id
    w.leads[lead_id]["values"][LEAD_PRICE] = "300"
    w.leads[lead_id]["updated_at"] = w.tick()  # the manager's budget change: before the sheet edit
    w.rows[0].values[LEAD_PRICE] = "200"
    w.rows[0].edited_at = w.tick()
    contact = w.leads[lead_id]["contact"]
    w.contacts[contact]["values"][CONTACT_EMAIL] = "ivan@y.ru"
    w.contacts[contact]["updated_at"] = w.tick()  # an unrelated contact edit, later than the sheet's
    (rp,) = w.plan().actions
    assert rp.lead_update == {LEAD_PRICE: "200"}  # the sheet's budget edit is newer than the lead's change
    assert rp.sheet_update == {CONTACT_EMAIL: "ivan@y.ru"}


# --- guards count creates and cover every kind of run --------------------------------------------------


def guard(p, name):
    return next(g for g in p.guards if g.name == name)


def test_creates_count_toward_the_share_guard_once_rows_are_synced_but_a_first_import_never_trips():
    w = world(*(row(f"a{i}", f"P{i}", None, f"p{i}@x.ru", "100") for i in range(10)))
    first = w.plan(blast_radius=0.2)
    assert first.counts.create == 10 and not guard(first, "share_of_rows").tripped
    w.apply(first)
    w.rows += [row(f"b{i}", f"Q{i}", None, f"q{i}@x.ru", "100") for i in range(5)]
    # an edit run (not a full scan) with five new rows: 5 of 10 synced rows > 20 %
    p = w.plan(blast_radius=0.2, full_scan=False, rows=w.rows[10:])
    assert guard(p, "share_of_rows").tripped and "5 of 10 synced rows" in guard(p, "share_of_rows").reason


def test_rows_that_hold_another_synced_rows_values_are_held_and_trip_the_guard():
    w = synced(row("a", "Ivan", None, "ivan@x.ru", "100"), row("b", "Olga", None, "olga@x.ru", "200"))
    w.rows[0].values, w.rows[1].values = w.rows[1].values, w.rows[0].values  # a range sorted alone
    p = w.plan_input()
    out = __import__("backend.sync.core.planner", fromlist=["plan"]).plan(
        replace(p, scrambled={"a": "b", "b": "a"})
    )
    assert guard(out, "rows_scrambled").tripped
    assert all(rp.outcome.value == "error" and not rp.has_actions for rp in out.rows)
    assert not out.contact_updates and out.rows[0].message.startswith("⚠ this row shows the values of")


def held_untouched(w, cid, changes: dict, says: str) -> None:
    """Alice's row changed by `changes` is held with a status starting `says`; nothing is written."""
    w.rows[0].values = {**w.rows[0].values, **changes}
    p = w.plan()
    (rp,) = p.rows
    assert not p.actions and not p.contact_updates and rp.mark
    assert rp.message.startswith(says), rp.message
    w.apply(p)
    assert w.contacts[cid]["values"][CONTACT_NAME] == "Alice"
    assert w.contacts[cid]["values"][CONTACT_EMAIL] == "alice@x.ru"


def test_a_synced_row_whose_cells_were_all_emptied_clears_nothing():
    w, cid = alice_world()
    held_untouched(w, cid, dict.fromkeys(w.rows[0].values), "⚠ this row's cells are empty")


def test_a_synced_row_with_several_cells_emptied_at_once_clears_nothing_and_says_how_to():
    """A data-only sort or a cut leaves a synced row with its values gone but one (a checker case: the
    lead's name and the contact's name and phone were cleared in amoCRM)."""
    w, cid = alice_world()
    emptied = {CONTACT_NAME: None, CONTACT_EMAIL: None}  # the price is kept
    held_untouched(w, cid, emptied, "⚠ 2 of this row's cells were emptied at once")


def test_one_emptied_cell_still_empties_its_field_in_amocrm():
    w, cid = alice_world()
    w.rows[0].values = {**w.rows[0].values, CONTACT_EMAIL: None}
    w.apply(w.plan())
    assert w.contacts[cid]["values"][CONTACT_EMAIL] is None and not w.plan().actions


def test_cells_emptied_at_once_and_in_amocrm_too_agree_again():
    """The way out the message names: empty the fields in amoCRM as well; nothing is held then."""
    w, cid = alice_world()
    w.rows[0].values = {**w.rows[0].values, CONTACT_NAME: None, CONTACT_EMAIL: None}
    w.contacts[cid]["values"] = {**w.contacts[cid]["values"], CONTACT_NAME: None, CONTACT_EMAIL: None}
    p = w.plan()
    (rp,) = p.rows
    assert not rp.message.startswith("⚠"), rp.message


def test_a_synced_row_whose_values_were_mostly_replaced_at_once_changes_nothing_and_says_how_to():
    """Another row's values dealt into a synced row by a sort that nothing else shows (a checker case:
    a lead and its contact took a stranger's name, phone, deal and budget)."""
    w, cid = alice_world()
    bob = {CONTACT_NAME: "Bob", CONTACT_EMAIL: "bob@x.ru", LEAD_PRICE: "900"}
    held_untouched(w, cid, bob, "⚠ most of this row's values changed at once")
    # the way out it names for new values of the same lead: type them in amoCRM, and the row agrees
    w.contacts[cid]["values"] = {**w.contacts[cid]["values"], CONTACT_NAME: "Bob", CONTACT_EMAIL: "bob@x.ru"}
    (lead,) = w.leads.values()
    lead["values"] = {**lead["values"], LEAD_PRICE: "900"}
    (rp,) = w.plan().rows
    assert not rp.message.startswith("⚠"), rp.message


def test_two_cells_changed_at_once_are_still_a_persons_edit():
    w, cid = alice_world()
    w.rows[0].values = {**w.rows[0].values, CONTACT_NAME: "Alicia", LEAD_PRICE: "150"}
    w.apply(w.plan())
    assert w.contacts[cid]["values"][CONTACT_NAME] == "Alicia" and not w.plan().actions
