"""The last values of unsynced rows (sync/unsynced.py), real Redis: a range sorted without the sync's
columns can deal an unsynced row's values into a synced row, which the ledger alone takes for a person's
edit of that lead."""

from backend.sync import unsynced
from backend.sync.core.model import LedgerEntry, SheetRow

OLGA = {"contact.name": "Olga", "contact.email": "o@x.ru", "lead.price": "200"}
# an unsynced row (its e-mail cell was invalid)
BAD = {"contact.name": "Ivan", "contact.email": None, "contact.phone": "+79120000002", "lead.price": "1000"}
BASE = {"r1": LedgerEntry(501, 9, OLGA)}


def sheet(**rows: dict) -> list[SheetRow]:
    return [SheetRow(key, i + 1, values, lead_id=501 if key == "r1" else None) for i, (key, values) in
            enumerate(rows.items())]  # fmt: skip


def dealt(redis_client, rows, given_back=None):
    return unsynced.dealt(redis_client, "c1", rows, BASE, given_back or {}).into_synced


def test_a_synced_row_dealt_an_unsynced_rows_values_is_found(redis_client):
    unsynced.remember(redis_client, "c1", sheet(r1=OLGA, r2=BAD), synced={"r1"})
    # the sort: r1's key cells now show r2's values, r2's show a third row's
    assert dealt(redis_client, sheet(r1=BAD, r2={**OLGA, "contact.name": "Anna"})) == {"r1": "r2"}
    # within one field: the person typed into it after the sort
    assert dealt(redis_client, sheet(r1={**BAD, "lead.price": "5"}, r2={})) == {"r1": "r2"}
    # r2's row deleted after the sort: r1 still shows values that are not its own
    assert dealt(redis_client, sheet(r1=BAD)) == {"r1": "r2"}


def test_what_is_not_a_deal(redis_client):
    unsynced.remember(redis_client, "c1", sheet(r1=OLGA, r2=BAD), synced={"r1"})
    assert dealt(redis_client, sheet(r1=OLGA, r2={})) == {}  # r1 shows its own values
    assert dealt(redis_client, sheet(r1=BAD, r2=BAD)) == {}  # r2 still shows them: typed, not moved
    # the held row r2 given its lead's key back is r1 itself, under its old key
    assert dealt(redis_client, sheet(r1=BAD), given_back={"r2": "r1"}) == {}
    assert dealt(redis_client, sheet(r1={"contact.name": "Petr", "lead.price": "7"}, r2={})) == {}


def test_only_unsynced_rows_with_values_are_kept_and_a_sheet_of_too_many_keeps_none(redis_client):
    unsynced.remember(redis_client, "c1", sheet(r1=OLGA, r2=BAD, r3={"contact.name": None}), synced={"r1"})
    kept = {k.decode() for k in redis_client.hkeys("unsynced-seen:c1")}
    assert {k for k in kept if k.startswith("row:")} == {"row:r2"}
    many = [SheetRow(f"n{i}", i, {"contact.name": f"N{i}", "lead.price": str(i)}) for i in range(2001)]
    unsynced.remember(redis_client, "c1", many, synced=set())
    assert not redis_client.exists("unsynced-seen:c1")  # an import in progress, not a sort


ANNA = {"contact.name": "Anna", "contact.phone": "+79120000003", "lead.name": "Roof", "lead.price": "5"}


def test_two_rows_showing_other_rows_last_values_are_a_sort_and_the_unsynced_rows_it_changed_are_named(
    redis_client,
):
    unsynced.remember(redis_client, "c1", sheet(r1=OLGA, r2=BAD, r3=ANNA), synced={"r1"})
    # r2 and r3 swapped by a sort of the data columns
    deal = unsynced.dealt(redis_client, "c1", sheet(r1=OLGA, r2=ANNA, r3=BAD), BASE, {})
    assert deal.sorted and deal.changed == {"r2", "r3"} and not deal.into_synced
    # one row showing another's last values is no sort (a person copied them, then fixed the original)
    deal = unsynced.dealt(redis_client, "c1", sheet(r1=OLGA, r2={**BAD, "lead.price": "7",
                          "contact.name": "Ivan P."}, r3=BAD), BASE, {})  # fmt: skip
    assert not deal.sorted and deal.changed == {"r2", "r3"}
    # typed within one field: still the same row
    deal = unsynced.dealt(
        redis_client, "c1", sheet(r1=OLGA, r2={**BAD, "lead.price": "7"}, r3=ANNA), BASE, {}
    )
    assert not deal.sorted and not deal.changed
