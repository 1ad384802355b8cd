"""The pure core of the sync: what a row and a lead are (`model`), how values compare (`normalize`,
`fields`, `catalog`, `mapping`), and the decisions — contacts, conflicts, the plan, values moved without
their keys, the journal's records (`contacts`, `resolve`, `draft`, `planner`, `moved`, `journal`).

Nothing here does I/O: no Redis, no HTTP, no Sheets or amoCRM client, no clock it is not handed.
tests/unit/sync/test_core_is_pure.py keeps it that way. The shell around it — reading both sides,
running the plan, writing back, the jobs — is the rest of backend/sync/.
"""
