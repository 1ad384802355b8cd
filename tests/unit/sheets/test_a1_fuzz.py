"""Fuzzing A1 notation on both sides of the wire: the backend's reading of the ranges the Sheets API
returns (`backend/sheets/layout.py`) and the emulator's parser of the ranges clients send
(`sandbox/sheets/a1.py`). Any text: only the module's own error, never another exception; written
ranges parse back to what was written, for any sheet title."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from backend.sheets.client import SheetsError
from backend.sheets.layout import Table, column_index, letter, parse_column_range, quote
from sandbox.sheets import a1
from sandbox.sheets.errors import ApiError

TITLES = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(
    lambda t: t.strip() == t and t
)
A1_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=string.ascii_letters + string.digits + "!:$'' _RC-", max_size=30),
)
COLUMNS = st.integers(min_value=0, max_value=a1.MAX_COLUMNS - 1)


@settings(max_examples=500, deadline=None)
@given(COLUMNS)
def test_column_letters_round_trip_on_both_sides(index):
    assert column_index(letter(index)) == index
    assert a1.column_index(a1.column_letters(index)) == index
    assert letter(index) == a1.column_letters(index)


@settings(max_examples=1000, deadline=None)
@given(A1_TEXT)
def test_backend_range_reader_raises_only_its_own_error(text):
    try:
        title, index = parse_column_range(text)
    except SheetsError:
        return
    assert isinstance(title, str) and index >= 0


@settings(max_examples=500, deadline=None)
@given(TITLES, COLUMNS, st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=100))
def test_a_table_range_reads_back_as_its_title_and_column(title, col, row, extra):
    table = Table(title=title, positions={"c": col}, headers={}, cells={})
    assert parse_column_range(table.a1("c", row, row + extra)) == (title, col)
    assert parse_column_range(f"{quote(title)}!{letter(col)}1:{letter(col)}{row + 1}") == (title, col)


@settings(max_examples=1000, deadline=None)
@given(A1_TEXT, st.lists(TITLES, min_size=1, max_size=3, unique_by=str.casefold))
def test_emulator_range_parser_raises_only_googles_400(text, titles):
    sheets = list(enumerate(titles))
    try:
        parsed = a1.parse_range(text, sheets)
    except ApiError as exc:
        assert exc.code == 400
        return
    g = parsed.grid
    assert g.sheet_id in dict(sheets)
    for lo, hi in ((g.start_row, g.end_row), (g.start_col, g.end_col)):
        assert lo is None or hi is None or 0 <= lo < hi


@settings(max_examples=500, deadline=None)
@given(
    st.lists(TITLES, min_size=1, max_size=3, unique_by=str.casefold),
    st.data(),
    st.integers(0, 10**5),
    st.integers(0, 100),
    COLUMNS,
    st.integers(0, 50),
)
def test_emulator_formats_and_parses_back_the_same_box(titles, data, r0, rows, c0, cols):
    sheet_id = data.draw(st.integers(0, len(titles) - 1))
    c1 = min(c0 + cols, a1.MAX_COLUMNS - 1)
    text = a1.format_box(titles[sheet_id], r0, r0 + rows + 1, c0, c1 + 1)
    g = a1.parse_range(text, list(enumerate(titles))).grid
    assert (g.sheet_id, g.start_row, g.end_row, g.start_col, g.end_col) == (
        sheet_id,
        r0,
        r0 + rows + 1,
        c0,
        c1 + 1,
    )
