"""Invariants the checker reports but does not fail on yet: each is broken by a product bug of issue 13
that another branch is fixing, and each names the pending regression tests
(tests/model/test_regressions_pending.py) that reproduce it. When those fixes are merged, empty this
table: every violation then fails the checker."""

OPEN: dict[str, tuple[str, ...]] = {
    "run_crashed": ("test_deleting_the_key_column_stops_runs_with_a_reason_instead_of_crashing",),
    "shared_contact": (
        "test_a_new_row_with_a_known_email_and_another_name_does_not_rename_that_contact",
        "test_a_new_row_joining_a_known_contact_does_not_overwrite_its_phone",
        "test_a_copied_row_pasted_above_its_original_does_not_take_its_lead",
        "test_end_to_end_a_typed_row_with_a_known_email_does_not_rename_that_contact",
    ),
    "amo_untouched": (
        "test_deleting_a_mapped_column_clears_nothing_in_amocrm",
        "test_cutting_a_rows_data_without_its_system_columns_is_refused",
        "test_sorting_the_data_columns_without_the_system_columns_is_refused",
        "test_end_to_end_sorting_the_data_columns_without_the_system_columns_is_refused",
    ),
    "one_lead_per_row": (
        "test_cutting_a_rows_data_without_its_system_columns_is_refused",
        "test_a_column_inserted_during_a_run_gets_no_cells_of_other_columns",
    ),
    "sheet_untouched": (
        "test_cutting_a_rows_data_without_its_system_columns_is_refused",
        "test_a_column_moved_during_a_run_gets_no_cells_of_other_columns",
    ),
    "quiet_agreement": (
        "test_cutting_a_rows_data_without_its_system_columns_is_refused",
        "test_a_copied_row_pasted_above_its_original_does_not_take_its_lead",
        "test_a_reconcile_does_not_bring_back_a_lead_deleted_in_amocrm",
    ),
}
