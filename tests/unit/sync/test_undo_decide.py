"""What an undo restores and what it keeps (pure: `undo.decide`)."""

from backend.sync.core import journal as j
from backend.sync.undo import decide


def ch(key, field, before, after, side="amo", lead=1):
    return j.Change(key, lead, None, side, field, before, after, "sheet_edit")


def test_restores_only_where_both_sides_still_show_what_the_run_wrote():
    changes = [ch("a", "lead.price", "100", "150"), ch("b", "lead.price", "200", "777", lead=2),
               ch("c", "lead.price", "1", "2", lead=3)]  # fmt: skip
    sheet = {"a": {"lead.price": "150"}, "b": {"lead.price": "777"}, "c": {"lead.price": "5"}}
    amo = {1: {"lead.price": "150"}, 2: {"lead.price": "900"}, 3: {"lead.price": "2"}}
    d = decide(changes, sheet, amo)
    assert d.restore == {"a": {"lead.price": "100"}}
    assert [(k["key"], k["side"], k["now"], k["reason"]) for k in d.kept] == [
        ("b", "amo", "900", "changed in amoCRM since"),
        ("c", "sheet", "5", "changed in the sheet since"),
    ]


def test_a_rerun_finds_fields_already_back_and_writes_nothing():
    d = decide(
        [ch("a", "lead.price", "100", "150")], {"a": {"lead.price": "100"}}, {1: {"lead.price": "100"}}
    )
    assert d.restore == {} and d.already == 1 and d.kept == []


def test_gone_rows_and_leads_are_kept_and_created_leads_are_listed_not_restored():
    changes = [ch("gone", "lead.price", "1", "2"), ch("a", "lead.price", "1", "2", lead=9),
               j.Change("n", 5, None, "amo", j.CREATED_FIELD, None, 5, "created")]  # fmt: skip
    d = decide(changes, {"a": {"lead.price": "2"}}, {1: {"lead.price": "2"}})
    assert [k["reason"] for k in d.kept] == [
        "the row is no longer in the sheet",
        "the lead is gone from amoCRM",
    ]
    assert d.created == {"n": 5} and d.restore == {}


def test_a_field_journaled_on_both_sides_is_decided_once():
    both = [
        ch("a", "lead.price", "150", "100", side="amo"),
        ch("a", "lead.price", "150", "100", side="sheet"),
    ]
    d = decide(both, {"a": {"lead.price": "100"}}, {1: {"lead.price": "100"}})
    assert d.restore == {"a": {"lead.price": "150"}}
