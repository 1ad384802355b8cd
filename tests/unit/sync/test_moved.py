"""The pure decision of which rows hold another synced row's values (sync/core/moved.py): what a cut or a
range sort that left out the key columns does, followed by the person's next edits."""

from __future__ import annotations

import hashlib
import json

from hypothesis import given
from hypothesis import strategies as st

from backend.sync.core.model import LedgerEntry, SheetRow
from backend.sync.core.moved import far_prints, find_moved, near_prints, shuffled_rows

IVAN = {"contact.name": "Ivan", "contact.phone": "+79120000001", "lead.name": "Kitchen", "lead.price": 100}
OLGA = {"contact.name": "Olga", "contact.phone": "+79120000002", "lead.name": "Roof", "lead.price": 250}
EMPTY = dict.fromkeys(IVAN)


def row(key: str, values: dict, lead_id: int | None = None) -> SheetRow:
    return SheetRow(key, 1, dict(values), lead_id=lead_id)


def ledger(**entries: dict) -> dict[str, LedgerEntry]:
    return {k: LedgerEntry(i, None, v, 0.0) for i, (k, v) in enumerate(entries.items(), 1)}


def decide(sheet: list[SheetRow], bases: dict[str, LedgerEntry], whole_sheet: bool = True, extra=None):
    """Candidates as the ledger's index finds them (rows sharing a near print), plus `extra` (the run adds
    the emptied rows of the sheet)."""
    index: dict[str, set[str]] = {}
    for key, le in bases.items():
        for fp in near_prints(le.values):
            index.setdefault(fp, set()).add(key)
    candidates = {
        r.key: {k for fp in near_prints(r.values) for k in index.get(fp, ()) if k != r.key} for r in sheet
    }
    for key, more in (extra or {}).items():
        candidates[key] |= more
    return find_moved(sheet, sheet, bases, candidates, whole_sheet)


def test_a_cut_row_whose_name_was_cleared_is_still_found_as_moved():
    bases = ledger(a=IVAN)
    sheet = [row("a", EMPTY, lead_id=1), row("n", {**IVAN, "contact.name": None})]
    assert decide(sheet, bases) == ({"n": "a"}, {})


def test_a_new_deal_for_a_known_customer_whose_row_still_shows_its_values_is_a_new_row():
    bases = ledger(a=IVAN)
    sheet = [row("a", IVAN, lead_id=1), row("n", {**IVAN, "lead.name": "Windows"})]
    assert decide(sheet, bases) == ({}, {})


def test_near_values_of_a_row_deleted_from_the_sheet_are_its_values_moved():
    """Values cut into a new row and the emptied row deleted: one field off, they are still that lead's
    (the row's status names the lead id that links them again)."""
    bases = ledger(a=IVAN)
    assert decide([row("n", {**IVAN, "lead.price": 300})], bases) == ({"n": "a"}, {})


def test_in_an_edit_batch_a_row_not_sent_may_have_moved_so_the_row_is_reported():
    bases = ledger(a=IVAN)
    assert decide([row("n", {**IVAN, "lead.price": 300})], bases, whole_sheet=False) == ({"n": "a"}, {})


def test_a_range_sorted_without_the_key_columns_then_edited_is_scrambled_on_both_rows():
    bases = ledger(a=IVAN, b=OLGA)
    sheet = [row("a", {**OLGA, "lead.price": 999}, lead_id=1), row("b", IVAN, lead_id=2)]
    assert decide(sheet, bases) == ({}, {"a": "b", "b": "a"})


def test_rows_sorted_under_values_held_in_conflict_on_a_shared_contact_are_scrambled():
    """Two rows joined one contact by e-mail with other names and phones: held as conflicts, those fields
    have no agreed value, so the entries lack them while the sheet shows them. A range sort swapped the
    rows' values: found by the lead's fields alone, compared over the agreed fields."""
    agreed = {"lead.name": "Kitchen", "lead.price": 100, "lead.status": "100:10", "contact.email": "a@x.ru"}
    other = {**agreed, "lead.name": "Roof", "lead.price": 250, "lead.status": "100:142"}
    bases = {k: LedgerEntry(i, 7, v, 0.0) for i, (k, v) in enumerate({"a": agreed, "b": other}.items(), 1)}
    shown = {"contact.name": "Anna", "contact.phone": "+79120000002"}
    sheet = [row("a", {**other, **shown}, lead_id=1), row("b", {**agreed, **shown}, lead_id=2)]
    assert decide(sheet, bases) == ({}, {"a": "b", "b": "a"})
    # unsorted, each row shows its own values: nothing is taken for another's
    unsorted = [row("a", {**agreed, **shown}, lead_id=1), row("b", {**other, **shown}, lead_id=2)]
    assert decide(unsorted, bases) == ({}, {})


def test_one_field_edited_in_a_synced_row_is_an_edit():
    bases = ledger(a=IVAN, b=OLGA)
    sheet = [row("a", {**IVAN, "contact.name": "Olga"}, lead_id=1), row("b", OLGA, lead_id=2)]
    assert decide(sheet, bases) == ({}, {})


def test_a_cut_row_two_fields_off_its_agreed_values_is_moved_while_its_source_row_moved_away():
    """A row that joined a contact keeps its own phone while its agreed value is the contact's: cut
    and then edited once, it is two fields off — still its values, since the row they left is empty,
    or holds fewer of them than the new row (a person typed into it again)."""
    full = {**IVAN, "contact.email": "a@x.ru", "lead.status": "100:10"}
    bases = ledger(a=full)
    cut = row("n", {**full, "contact.phone": "+79120000009", "contact.name": None})
    empty = dict.fromkeys(full)
    assert decide([row("a", empty, lead_id=1), cut], bases, extra={"n": {"a"}}) == ({"n": "a"}, {})
    typed = {**empty, "lead.name": "Roof", "lead.price": 5, "contact.name": "Olga"}
    typed_elsewhere = row("a", typed, lead_id=1)
    assert decide([typed_elsewhere, cut], bases, extra={"n": {"a"}}) == ({"n": "a"}, {})


def test_a_new_row_two_fields_off_a_lead_whose_row_still_holds_more_of_it_is_a_new_row():
    """A second deal typed for a known customer: the customer's row was edited too, but still holds
    more of its agreed values than the new row does — nothing moved."""
    full = {**IVAN, "contact.email": "a@x.ru", "lead.status": "100:10"}
    bases = ledger(a=full)
    second = row("n", {**full, "lead.name": "Roof", "lead.price": 900})
    edited = row("a", {**full, "lead.price": 150, "lead.status": "100:20"}, lead_id=1)
    assert decide([edited, second], bases, extra={"n": {"a"}}) == ({}, {})


def test_half_of_a_leads_values_in_a_new_row_next_to_its_emptied_row_are_moved_and_less_is_not():
    full = {**IVAN, "contact.email": "a@x.ru", "lead.status": "100:10"}
    bases = ledger(a=full)
    emptied = row("a", {**dict.fromkeys(full), "contact.name": "Olga"}, lead_id=1)
    three_off = {**full, "contact.name": "Petr", "contact.phone": None, "contact.email": None}
    assert decide([emptied, row("n", three_off)], bases, extra={"n": {"a"}}) == ({"n": "a"}, {})
    four_off = {**three_off, "lead.price": 900}
    assert decide([emptied, row("n", four_off)], bases, extra={"n": {"a"}}) == ({}, {})


PETR = {"contact.name": "Petr", "contact.phone": "+79120000003", "lead.name": "Windows", "lead.price": 900}


def test_values_dealt_out_again_by_sorts_with_edits_between_are_shuffled_rows():
    """Three rows sorted twice without their key columns, one cell edited between: no row shows another
    row's values whole, but nearly every changed cell holds a value its column had."""
    bases = ledger(a=IVAN, b=OLGA, c=PETR)
    sheet = [
        row("a", {**OLGA, "lead.name": "Windows", "lead.price": 900}, lead_id=1),
        row("b", {**PETR, "lead.name": "Kitchen", "lead.price": 250}, lead_id=2),
        row("c", {**IVAN, "lead.name": "Roof", "lead.price": 7}, lead_id=3),
    ]
    assert decide(sheet, bases) == ({}, {})  # no row holds another's values within one field
    assert sorted(shuffled_rows(sheet, bases)) == ["a", "b", "c"]


def test_rows_a_person_retyped_are_not_shuffled_rows():
    bases = ledger(a=IVAN, b=OLGA)
    sheet = [
        row("a", {**IVAN, "contact.name": "Ivan Petrov", "lead.price": 120}, lead_id=1),
        row("b", {**OLGA, "lead.name": "Roof and walls", "lead.price": 300}, lead_id=2),
    ]
    assert shuffled_rows(sheet, bases) == []
    swapped_prices = [
        row("a", {**IVAN, "lead.price": 250}, lead_id=1),
        row("b", {**OLGA, "lead.price": 100}, lead_id=2),
    ]
    assert shuffled_rows(swapped_prices, bases) == []  # one field each: an edit, not a sort


def _print_as_stored(values: dict) -> str | None:
    """The fingerprint as the ledger's index has stored it since it was introduced: the digest of the JSON
    of the sorted non-empty items. Existing indexes hold these digests, so it must never change."""
    items = sorted((t, v) for t, v in values.items() if v is not None)
    if len(items) < 2:
        return None
    return hashlib.blake2b(json.dumps(items, ensure_ascii=False).encode(), digest_size=10).hexdigest()


@given(
    st.dictionaries(
        st.sampled_from(
            ["contact.name", "contact.phone", "contact.email", "lead.name", "lead.price", "lead.cf:7"]
        ),
        st.none() | st.text(max_size=6) | st.integers(-(10**6), 10**6),
    )
)
def test_near_prints_are_the_digests_the_index_already_holds(values):
    expected = {_print_as_stored(values)} | {
        _print_as_stored({t: v for t, v in values.items() if t != left_out})
        for left_out, value in values.items()
        if value is not None
    }
    expected.add(_print_as_stored({t: v for t, v in values.items() if t.startswith("lead.")}))
    assert near_prints(values) == expected - {None}


@given(
    st.dictionaries(
        st.sampled_from(["contact.name", "contact.phone", "contact.email", "lead.name", "lead.price"]),
        st.none() | st.text(max_size=6),
    )
)
def test_far_prints_are_the_values_two_fields_off_as_the_index_would_hold_them(values):
    """A row two fields off an entry is found by the entry's print with one field left out (or its
    whole print): the row's prints with two left out are those prints, computed as the index does."""
    filled = [t for t, v in values.items() if v is not None]
    expected = {
        _print_as_stored({t: v for t, v in values.items() if t not in (a, b)})
        for i, a in enumerate(filled)
        for b in filled[i + 1 :]
    }
    assert far_prints(values) == expected - {None}
