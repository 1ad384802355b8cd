"""Column letters and A1 ranges as the Sheets API returns them."""

import pytest

from backend.sheets.layout import Table, column_index, letter, parse_column_range


@pytest.mark.parametrize(
    ("index", "text"), [(0, "A"), (25, "Z"), (26, "AA"), (51, "AZ"), (52, "BA"), (701, "ZZ"), (702, "AAA")]
)
def test_letters_round_trip(index, text):
    assert letter(index) == text and column_index(text) == index


@pytest.mark.parametrize(
    ("a1", "title", "index"),
    [("Sheet1!C1:C1000", "Sheet1", 2), ("'My Leads'!AB1:AB", "My Leads", 27), ("'Bob''s'!A1", "Bob's", 0)],
)
def test_parse_column_range(a1, title, index):
    assert parse_column_range(a1) == (title, index)


def test_table_a1_quotes_the_title_and_merges_runs():
    t = Table(title="Bob's leads", positions={"key": 3}, headers={}, cells={})
    assert t.a1("key", 4) == "'Bob''s leads'!D5"
    assert t.a1("key", 4, 9) == "'Bob''s leads'!D5:D10"
