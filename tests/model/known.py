"""Invariants the checker still sees broken, in rare sequences, after the fixes of issue 13: counted,
printed and written to bench/results/integrity.json rather than raised, each with what is known of the
cases left. Every other invariant (`run_crashed`, `nothing_deleted`) fails the checker at once, and the
share of sequences with any violation is held under `MAX_FAILING_SHARE` — a ratchet: the planner test
fails when the sync gets worse than it is today (before the fixes: a third of the sequences).

The cases left are listed in the issue's closing note and in docs/sync.md ("Invariants"); their shortest
sequences are printed at the end of every checker session. The regressions of the cases fixed are
tests/model/test_regressions_issue13.py."""

OPEN: dict[str, str] = {
    "amo_untouched": "a range sorted without the sync's columns and then edited before any sync: only values "
    "that moved intact are recognised as another row's",
    "one_lead_per_row": "the same sorted-then-edited rows; runs interrupted while the person moves columns",
    "shared_contact": "the same sorted-then-edited rows carry another row's contact values",
    "sheet_untouched": "a row cut without the sync's columns whose source row got some values typed back; "
    "an undo moving a created lead to a stage while an exact copy of its row (pasted with the key cells, not "
    "yet synced) holds the key: the stage lands in the copy (the setup of the copied-row test in "
    "test_regressions_undo.py, with a stage picked)",
    "quiet_agreement": "a row copied with its key cells and then edited: the row agreeing with the ledger "
    "keeps the key (the rule of issue 13), which the checker's identity of rows sees as the copy",
}

MAX_FAILING_SHARE = 0.06  # just above the rate after the fixes of issue 13 (figures: docs/sync.md)
