"""A first import in batches: rows that could share a contact are never split between batches."""

from hypothesis import given
from hypothesis import strategies as st

from backend.sync.core.batches import contact_batches
from backend.sync.core.model import SheetRow

EMAILS = st.sampled_from([None, "a@x.io", "b@x.io", "c@x.io", "d@x.io"])
PHONES = st.sampled_from([None, "+15550001", "+15550002", "+15550003"])


def row(i: int, email=None, phone=None) -> SheetRow:
    return SheetRow(f"r{i}", i + 1, {"contact.email": email, "contact.phone": phone, "lead.name": f"D{i}"})


def test_rows_without_shared_contacts_fill_batches_in_row_order():
    rows = [row(i, f"p{i}@x.io") for i in range(10)]
    batches = contact_batches(rows, 4)
    assert [[r.key for r in b] for b in batches] == [
        ["r0", "r1", "r2", "r3"],
        ["r4", "r5", "r6", "r7"],
        ["r8", "r9"],
    ]


def test_a_chain_of_shared_e_mails_and_phones_stays_in_one_batch():
    # r0 and r5 share an e-mail, r5 and r9 a phone: one contact may take all three
    rows = [row(i, f"p{i}@x.io") for i in range(10)]
    rows[5] = row(5, "p0@x.io", "+15550001")
    rows[9] = row(9, "z@x.io", "+15550001")
    batches = contact_batches(rows, 3)
    together = next(b for b in batches if any(r.key == "r0" for r in b))
    assert {"r0", "r5", "r9"} <= {r.key for r in together}


@given(st.lists(st.tuples(EMAILS, PHONES), max_size=40), st.integers(min_value=1, max_value=8))
def test_every_row_once_and_no_shared_identity_across_batches(cells, size):
    rows = [row(i, email, phone) for i, (email, phone) in enumerate(cells)]
    batches = contact_batches(rows, size)
    assert sorted(r.key for b in batches for r in b) == sorted(r.key for r in rows)
    seen: dict[tuple, int] = {}
    for n, batch in enumerate(batches):
        for r in batch:
            for target in ("contact.email", "contact.phone"):
                if (value := r.values[target]) is not None:
                    assert seen.setdefault((target, value), n) == n  # never in two batches
