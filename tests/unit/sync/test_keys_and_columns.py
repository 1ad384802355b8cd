"""Row keys and columns before a run writes anything (sync/snapshot.py, sync/columns.py): one key format,
two rows with one key, a lost key given back, keys placed where their rows are now, and a sheet missing
a column or whose headers changed meaning."""

import re
import subprocess

import pytest

from backend.sheets.layout import Table
from backend.store.ledger import Ledger
from backend.sync import columns
from backend.sync.core.fields import Context
from backend.sync.core.mapping import ColumnMapping, ColumnRule
from backend.sync.core.model import LedgerEntry
from backend.sync.snapshot import KEY_PATTERN, new_key, place_keys, sheet_rows
from tests.conftest import ROOT
from tests.unit.sync.catalog_fixture import CATALOG

CTX = Context(CATALOG, pipeline_id=100)
MAPPING = ColumnMapping(
    (
        ColumnRule("cname", "Имя", "contact.name"),
        ColumnRule("cmail", "Email", "contact.email"),
        ColumnRule("cprice", "Бюджет", "lead.price"),
    ),
    pipeline_id=100,
)
HEAD = {"cname": "Имя", "cmail": "Email", "cprice": "Бюджет"}
SYSTEM = {"key": "amo_sync_id", "lead_id": "amo_lead_id", "link": "amo_link", "sync": "amo_sync_status"}


def table(rows: list[dict], headers: dict | None = None, drop: tuple[str, ...] = ()) -> Table:
    ids = [c for c in [*HEAD, *SYSTEM] if c not in drop]
    heads = {**HEAD, **SYSTEM, **(headers or {})}
    return Table(
        "Leads",
        {c: i for i, c in enumerate(ids)},
        {c: heads[c] for c in ids},
        {c: [r.get(c, "") for r in rows] for c in ids},
        len(rows),
    )


def line(name, email, price, key="", lead_id="") -> dict:
    return {"cname": name, "cmail": email, "cprice": price, "key": key, "lead_id": lead_id}


@pytest.fixture
def ledger(redis_client) -> Ledger:
    return Ledger(redis_client, "c1")


# --- one key format --------------------------------------------------------------------------------


def test_the_backend_mints_keys_in_the_add_ons_format_and_the_add_on_agrees():
    keys = {new_key() for _ in range(2000)}
    assert len(keys) == 2000 and all(KEY_PATTERN.match(k) for k in keys)
    script = (
        "const fs=require('fs');eval(fs.readFileSync('addon/lib/keys.js','utf8')+';globalThis.Keys=Keys');"
        "const c=require('crypto');const ks=Array.from({length:200},()=>Keys.fromUuid(c.randomUUID()));"
        f"process.stdout.write(JSON.stringify({{ks, ok: {sorted(keys)[:50]!r}.every(Keys.isKey)}}))"
    )
    out = subprocess.run(["node", "-e", script], cwd=ROOT, capture_output=True, text=True, check=True)
    import json

    got = json.loads(out.stdout)
    assert got["ok"] and all(KEY_PATTERN.match(k) for k in got["ks"]), out.stdout
    assert re.fullmatch(KEY_PATTERN.pattern, "r" + "0" * 12)


# --- two rows with one key --------------------------------------------------------------------------


def test_of_two_rows_with_one_key_the_one_that_agrees_with_the_ledger_keeps_it(ledger):
    ledger.put_many(
        {"rk1": LedgerEntry(501, 9, {"contact.name": "Olga", "contact.email": "o@x.ru", "lead.price": "200"})}
    )
    # the row was copied with its key cells and pasted above, and the copy was edited
    t = table([line("Bob", "bob@x.ru", "999", "rk1", "501"), line("Olga", "o@x.ru", "200", "rk1", "501")])
    side = sheet_rows(t, MAPPING, CTX, ledger=ledger)
    by_row = {r.row: r for r in side.rows}
    assert by_row[2].key == "rk1" and by_row[2].lead_id == 501  # the original (row 3 in Sheets) keeps it
    assert by_row[1].key != "rk1" and by_row[1].lead_id is None  # the copy becomes a new row
    assert side.new_keys == {1: by_row[1].key} and side.cleared == {1}


def test_exact_copies_with_one_key_are_held_not_guessed(ledger):
    """Checker findings (a synced row copied with its key cells above or below it; or copied and the
    original's key cell cleared): nothing tells the copy from the original, so neither may take a second
    lead — both are held, and each says what to do."""
    ledger.put_many({"rk1": LedgerEntry(501, 9, {"contact.name": "Olga", "contact.email": "o@x.ru"})})
    olga = line("Olga", "o@x.ru", "", "rk1", "501")
    for rows in ([olga, dict(olga)], [{**olga, "key": ""}, dict(olga)]):
        side = sheet_rows(table(rows), MAPPING, CTX, ledger=ledger)
        assert side.rows == [] and not side.new_keys and not side.cleared
        assert set(side.held) == {1, 2}
        assert side.held[1].startswith("⚠ rows 2 and 3 are copies of one synced row and nothing tells which")
    # both edited, each as far from the last sync: held too
    side = sheet_rows(
        table([{**olga, "cname": "Ivan"}, {**olga, "cname": "Anna"}]), MAPPING, CTX, ledger=ledger
    )
    assert side.rows == [] and set(side.held) == {1, 2}
    # an edited copy of an unedited original is another matter: it becomes a new row (test above)


def test_copies_held_at_a_run_stay_held_after_an_edit_until_a_person_tells_the_copy(ledger):
    """Checker finding (a CI run at this stop): three copies of a synced row were held, then the person
    cleared the price of one of them — the original — and the next run gave the lead to an unedited copy
    and a second lead to the original. The held rows had said "nothing is synced until you say which is
    the copy": an edit is no such answer, so they stay held while a status says so."""
    ledger.put_many({"rk1": LedgerEntry(501, 9, {"contact.name": "Olga", "lead.price": "200"})})
    olga = line("Olga", "", "200", "rk1", "501")
    side = sheet_rows(table([olga, dict(olga), dict(olga)]), MAPPING, CTX, ledger=ledger)
    held = [{**olga, "sync": side.held[i]} for i in (1, 2, 3)]
    held[2]["cprice"] = ""  # the person edits one of them
    side = sheet_rows(table(held), MAPPING, CTX, ledger=ledger)
    assert side.rows == [] and set(side.held) == {1, 2, 3} and not side.cleared
    # clearing a copy's key cells, as the status says, is the answer: the others are one row again
    held[0] = {**held[0], "key": "", "lead_id": ""}
    held[1]["key"] = held[1]["lead_id"] = ""
    side = sheet_rows(table(held), MAPPING, CTX, ledger=ledger)
    assert [(r.row, r.key, r.lead_id) for r in side.rows if r.key == "rk1"] == [(3, "rk1", 501)]
    assert not side.held


def test_two_rows_with_one_key_unknown_to_the_ledger_keep_the_first_and_re_key_the_other(ledger):
    t = table([line("A", "a@x.ru", "1", "rk2"), line("B", "b@x.ru", "2", "rk2")])
    side = sheet_rows(t, MAPPING, CTX, ledger=ledger)
    assert [r.key == "rk2" for r in side.rows] == [True, False] and not side.cleared


# --- a lost key ------------------------------------------------------------------------------------


def test_a_row_that_lost_its_key_but_shows_its_lead_id_gets_the_key_back(ledger):
    ledger.put_many({"rk1": LedgerEntry(501, None, {})})
    side = sheet_rows(table([line("Olga", "o@x.ru", "200", "", "501")]), MAPPING, CTX, ledger=ledger)
    assert [(r.key, r.lead_id) for r in side.rows] == [("rk1", 501)] and side.new_keys == {1: "rk1"}


def test_a_row_given_a_new_key_by_the_add_on_after_losing_its_own_gets_its_own_back(ledger):
    ledger.put_many({"rk1": LedgerEntry(501, None, {})})
    t = table([line("Olga", "o@x.ru", "200", "rNEWNEWNEWNEW", "501")])
    side = sheet_rows(t, MAPPING, CTX, ledger=ledger)
    assert [r.key for r in side.rows] == ["rk1"] and side.new_keys == {1: "rk1"}


def test_two_keyless_rows_showing_the_lead_of_a_row_gone_from_the_sheet_do_not_crash(ledger):
    """Checker finding (10:36, `KeyError` in a reconcile): the first gets the key back, the exact copy
    below it is held with it."""
    ledger.put_many({"rk1": LedgerEntry(501, None, {})})
    olga = line("Olga", "o@x.ru", "200", "", "501")
    side = sheet_rows(table([olga, dict(olga)]), MAPPING, CTX, ledger=ledger)
    assert side.new_keys == {1: "rk1"} and set(side.held) == {1, 2} and side.rows == []


def test_a_copy_without_its_key_cell_of_a_row_still_in_the_sheet_becomes_a_new_row(ledger):
    ledger.put_many({"rk1": LedgerEntry(501, None, {})})
    t = table([line("Olga", "o@x.ru", "200", "rk1", "501"), line("Olga 2", "o@x.ru", "200", "", "501")])
    side = sheet_rows(t, MAPPING, CTX, ledger=ledger)
    copy = next(r for r in side.rows if r.row == 2)
    assert copy.key not in ("", "rk1") and copy.lead_id is None and side.cleared == {2}


# --- keys go where their rows are right before writing ---------------------------------------------


def test_keys_are_placed_where_their_rows_are_after_a_sort_and_never_on_another_row():
    before = table([line("A", "a@x.ru", "1"), line("B", "b@x.ru", "2", "rkB"), line("C", "c@x.ru", "3")])
    side = sheet_rows(before, MAPPING, CTX)
    assert set(side.new_keys) == {1, 3}
    # a person sorts by name descending between the read and the write
    now = table([line("C", "c@x.ru", "3"), line("B", "b@x.ru", "2", "rkB"), line("A", "a@x.ru", "1")])
    keys, _, _ = place_keys(before, now, side)
    assert keys == {3: side.new_keys[1], 1: side.new_keys[3]}
    # a row changed meanwhile is left for the next run, not guessed
    edited = table([line("C", "c@x.ru", "33"), line("B", "b@x.ru", "2", "rkB"), line("A", "a@x.ru", "1")])
    keys, _, _ = place_keys(before, edited, side)
    assert keys == {3: side.new_keys[1]}
    again = sheet_rows(edited, MAPPING, CTX, mint=False)
    assert again.unkeyed == 2 and [r.key for r in again.rows] == ["rkB"]


# --- columns ---------------------------------------------------------------------------------------


def test_a_missing_mapped_or_system_column_is_named_with_what_to_do():
    t = table([line("A", "a@x.ru", "1", "rk1")], drop=("cmail", "key"))
    with pytest.raises(columns.SheetLayoutChanged) as err:
        columns.check(t, MAPPING)
    assert err.value.detail.startswith("The Email column is missing: put it back or change the mapping.")
    assert "The amo_sync_id column is missing" in err.value.detail
    assert err.value.detail.endswith("Nothing was synced.")
    with pytest.raises(KeyError):
        t.cell("cmail", 0)  # never "" for a column the sheet does not have


@pytest.mark.parametrize(
    ("headers", "problem"),
    [
        ({"cmail": "Телефон"}, "is now headed “Телефон”"),
        ({"cmail": "Бюджет", "cprice": "Email"}, "the name of another mapped column"),
        ({"cname": ""}, "(“Имя”) is empty"),
        ({"key": "rAAAAAAAAAAAA", "cname": "Olga"}, "Row 1 no longer holds the headers"),
    ],
)
def test_a_header_row_that_changed_meaning_stops_the_run(headers, problem):
    assert any(problem in p for p in columns.problems(table([], headers), MAPPING))


@pytest.mark.parametrize("headers", [{}, {"cmail": "E-mail"}, {"cprice": "Сумма, ₽"}, {"cname": "Notes"}])
def test_renamed_headers_that_keep_their_meaning_are_fine(headers):
    assert columns.problems(table([], headers), MAPPING) == []
