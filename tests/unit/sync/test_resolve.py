"""The per-field decision table (docs/sync.md), one row per case."""

import pytest

from backend.sync.core.model import Change, Direction, FieldRule, Policy, Side
from backend.sync.core.resolve import Member, classify, resolve

# s, a, b, has_base -> change
TABLE = [
    ("x", "x", "x", True, Change.NONE),
    ("x", "x", None, False, Change.NONE),
    ("x", "x", "old", True, Change.NONE),  # both made the same change: not a conflict
    (None, "a", None, False, Change.AMO),  # no base, sheet empty: fill the sheet
    ("s", None, None, False, Change.SHEET),  # no base, amo empty: fill amoCRM
    ("s", "a", None, False, Change.CONFLICT),  # no base, both set and different
    ("b", "a", "b", True, Change.AMO),  # amoCRM changed
    ("s", "b", "b", True, Change.SHEET),  # the sheet changed
    (None, "b", "b", True, Change.SHEET),  # the sheet cleared a value
    ("b", None, "b", True, Change.AMO),  # amoCRM cleared a value
    ("s", "a", "b", True, Change.CONFLICT),  # both changed differently
]


@pytest.mark.parametrize(("s", "a", "b", "has_base", "change"), TABLE)
def test_classify(s, a, b, has_base, change):
    assert classify(s, a, b, has_base) is change


def _one(rule, s, a, b, has_base=True, edited_at=None, amo_time=100.0):
    return resolve(rule, a, [Member("k1", s, b, has_base, edited_at)], amo_time)


@pytest.mark.parametrize(
    ("policy", "edited_at", "final", "winner"),
    [
        (Policy.SHEET_WINS, None, "s", Side.SHEET),
        (Policy.AMO_WINS, 999.0, "a", Side.AMO),
        (Policy.NEWEST, 200.0, "s", Side.SHEET),  # sheet edited after amo's updated_at (100)
        (Policy.NEWEST, 50.0, "a", Side.AMO),
        (Policy.NEWEST, None, "a", Side.AMO),  # edit time unknown: amoCRM kept, and the reason says so
    ],
)
def test_conflict_follows_the_policy_and_records_both_sides(policy, edited_at, final, winner):
    rule = FieldRule("lead.price", Direction.BOTH, policy, "Budget")
    res = _one(rule, "s", "a", "b", edited_at=edited_at)
    assert res.final == final
    c = res.conflicts["k1"]
    assert (c.sheet, c.amo, c.base, c.winner) == ("s", "a", "b", winner)
    assert c.reason


def test_direction_to_amo_pushes_the_sheet_even_when_amo_changed():
    res = _one(FieldRule("lead.price", Direction.TO_AMO), "s", "a", "b")
    assert res.final == "s" and not res.conflicts


def test_direction_to_sheet_never_pushes():
    res = _one(FieldRule("lead.price", Direction.TO_SHEET), "s", "b", "b")  # the sheet changed
    assert res.final == "b"


def test_shared_record_newest_edit_wins_and_other_rows_follow():
    rule = FieldRule("contact.phone")
    members = [
        Member("k1", "+71", "+70", True, edited_at=10.0),
        Member("k2", "+72", "+70", True, edited_at=20.0),
        Member("k3", "+70", "+70", True),
    ]
    res = resolve(rule, "+70", members, amo_time=5.0)
    assert res.final == "+72"
    assert res.conflicts["k1"].winner is Side.AMO  # k1's push lost to k2's later edit
    assert "k3" not in res.conflicts  # k3 did not change it: it simply follows


def test_new_shared_contact_takes_the_first_value_by_key_when_edit_times_are_unknown():
    rule = FieldRule("contact.name")
    members = [Member("b", "Ivan P.", None, False), Member("a", "Ivan Petrov", None, False)]
    res = resolve(rule, None, members, 0.0)
    assert res.final == "Ivan Petrov"


def test_on_a_first_import_a_value_in_capitals_loses_to_the_same_name_written_normally():
    rule = FieldRule("contact.name")
    members = [Member("a", "ИВАН ПЕТРОВ", None, False), Member("b", "Иван Петров", None, False)]
    assert resolve(rule, None, members, 0.0).final == "Иван Петров"
