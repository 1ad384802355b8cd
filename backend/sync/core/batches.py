"""A first import of a large sheet (over run.IMPORT_BATCHED_ABOVE rows) is planned, written and recorded
a batch of rows at a time, so the worker holds one batch's plan, not 100,000 rows' (docs/performance.md
has the memory per row).

Batching must not change what the plan decides. A first import's rows are all new: no lead id, no
ledger base, nothing moved (`run.py` checks that before it batches), so a row's plan depends on other
rows only through the contacts they share — two rows with one e-mail or phone get one new contact. Rows
that could share one are kept in one batch: they are joined by every e-mail and every phone they hold
(a superset of what `contacts.group_contacts` matches on), and batches are filled in row order.
"""

from __future__ import annotations

from collections.abc import Sequence

from backend.sync.core.model import CONTACT_EMAIL, CONTACT_PHONE, SheetRow

IDENTITIES = (CONTACT_EMAIL, CONTACT_PHONE)


def contact_batches(rows: Sequence[SheetRow], size: int) -> list[list[SheetRow]]:
    """`rows` in batches of about `size` (more when rows sharing a contact reach past it), every group of
    rows that could share a contact whole within one batch, in the order of each group's first row."""
    parent = list(range(len(rows)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with: dict[tuple[str, object], int] = {}
    for i, row in enumerate(rows):
        for target in IDENTITIES:
            value = row.values.get(target)
            if value is None or value == "":
                continue
            j = first_with.setdefault((target, value), i)
            if j != i:
                parent[root(i)] = root(j)
    groups: dict[int, list[SheetRow]] = {}
    for i, row in enumerate(rows):
        groups.setdefault(root(i), []).append(row)
    batches: list[list[SheetRow]] = [[]]
    for group in groups.values():  # dicts keep insertion order: each group where its first row was
        if batches[-1] and len(batches[-1]) + len(group) > size:
            batches.append([])
        batches[-1].extend(group)
    return [batch for batch in batches if batch]
