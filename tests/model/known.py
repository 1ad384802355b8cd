"""Invariants the checker still sees broken, in rare sequences, after the fixes of issue 13: counted,
printed and written to bench/results/integrity.json rather than raised, each with what is known of the
cases left. Every other invariant (`run_crashed`, `nothing_deleted`) fails the checker at once, and the
share of sequences with any violation is held under `MAX_FAILING_SHARE` — a ratchet: the planner test
fails when the sync gets worse than it is today (before the fixes: a third of the sequences).

The cases left are listed in the issue's closing note and in docs/sync.md ("Invariants"); their shortest
sequences are printed at the end of every checker session. The regressions of the cases fixed are
tests/model/test_regressions_issue13.py."""

_SORTED = (
    "a range sorted without the sync's columns more than once, with two fields or more of a row edited "
    "between the sorts and before any run saw them: values are found again only within one field "
    "(sync/core/moved.py), so such a row looks like a person's own edit; or, between the sorts, the row "
    "holding a synced row's values deleted while the synced row shows values of a row that no run saw "
    "(sync/unsynced.py keeps the last values of rows a full run saw unsynced), and nothing shows its own"
)
OPEN: dict[str, str] = {
    "amo_untouched": _SORTED,
    "one_lead_per_row": _SORTED + "; or a row's data cut twice without its key cells, edited in two "
    "fields or more before any run saw the first cut; or a row's data cut, edited in two fields and its "
    "emptied row deleted before a run: two fields off the values of a lead whose row is gone look like a "
    "new deal typed for a known customer, which must not be held; or a row holding two values cut with "
    "one of them edited (one value in common is no evidence); or two rows with equal values, one cut "
    "into a new row and edited before a run; or three rows with equal values (two synced rows and a "
    "copy of one with its key cells) dealt out again by a data-only sort: nothing in the sheet tells "
    "which row's values went where",
    "shared_contact": _SORTED + " (the row then carries another row's contact values); or two rows on "
    "one contact whose names differ (the second row's name held as a conflict, its agreed value the "
    "contact's) swapped by a range sort: the held name lands in the owner's row and looks typed there",
    "sheet_untouched": _SORTED + " (the sheet side of the same rows); or, found 2026-12-08 and not fixed "
    "yet, a value an edit's answer wrote into a row (an undo's stage change in amoCRM) typed back to "
    "the agreed value before the add-on delivered that edit, with a reconcile in between: the ledger "
    "never took the answered value as agreed, so the reconcile pulls amoCRM's over the person's",
    "quiet_agreement": "the same rows, judged at rest: they show another row's lead, or none",
}

MAX_FAILING_SHARE = 0.02  # above the rates measured (1 to 11 of about 2,200 sequences; figures: docs/sync.md)
