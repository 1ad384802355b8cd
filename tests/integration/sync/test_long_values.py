"""An amoCRM text longer than a Google Sheets cell holds is cut with a marker and never fails the write.

Google refuses a cell of more than 50,000 characters with 400 "Your input contains more than the
maximum of 50000 characters in a single cell." and writes nothing of that values.batchUpdate (public
reports: airbytehq/airbyte#15500, moevm/github_repo_commitment_calc#67; the emulator enforces it, see
tests/fidelity/sheets/test_sheets_limits.py). amoCRM textarea fields hold longer texts.
"""

from __future__ import annotations

from tests.integration.amocrm.conftest import HOST
from tests.integration.sync.messy import HEADERS

LIMIT = 50_000


def test_a_long_amocrm_text_is_cut_in_the_sheet_and_the_rest_of_the_batch_is_written(amo, make_stack):
    field = amo.admin.create_custom_field(HOST, "leads", "Комментарий", "textarea")
    stack = make_stack(
        [
            ["Иван Петров", "8 912 000-00-01", "ivan@x.ru", "100", "", "short"],
            ["Olga Smirnova", "8 912 000-00-02", "olga@x.ru", "200", "", "short too"],
        ],
        [*HEADERS, "Комментарий"],
    )
    targets = {c["header"]: c["target"] for c in stack.call("GET", "/mapping").json()["mapping"]["columns"]}
    assert targets["Комментарий"] == f"lead.cf:{field['id']}"
    assert stack.sync()["status"] == "finished"
    stack.settle()
    grid = stack.grid()
    name, lead_col, key_col = (grid[0].index(h) for h in ("Имя", "amo_lead_id", "amo_sync_id"))
    rows = {row[name]: (int(row[lead_col]), row[key_col]) for row in grid[1:]}
    (ivan, ivan_key), (olga, olga_key) = rows["Иван Петров"], rows["Olga Smirnova"]

    long_text = " ".join(f"Звонок {i}: клиент просит перезвонить." for i in range(2000))  # ~76,000 chars
    assert len(long_text) > LIMIT
    note = [{"field_id": field["id"], "values": [{"value": long_text}]}]
    stack.amo.admin.manager_update_lead(HOST, ivan, custom_fields_values=note)
    stack.amo.admin.manager_update_lead(HOST, olga, price=777)
    stack.settle()

    cell = stack.row_of(ivan_key)["Комментарий"]
    assert len(cell) <= LIMIT
    assert cell.startswith(long_text[:1000]) and cell.endswith(f"{len(long_text):,} characters in amoCRM]")
    assert stack.row_of(olga_key)["Бюджет"] == 777  # the same write, not failed by the long cell
    assert "⚠" not in stack.row_of(ivan_key)["amo_sync_status"]

    # the cut text is the same on both sides from now on: nothing to write, amoCRM keeps the whole text
    patches = stack.amo.admin.counters()["by_endpoint"].get("PATCH /api/v4/leads", 0)
    again = stack.sync(preview=True)
    assert again["status"] == "finished"
    p = again["preview"]
    assert p["update_amo"] == p["update_sheet"] == p["conflicts"] == 0, p
    assert stack.sync()["status"] == "finished"
    assert stack.amo.admin.counters()["by_endpoint"].get("PATCH /api/v4/leads", 0) == patches
    lead = next(x for x in stack.leads() if x["id"] == ivan)
    kept = next(f for f in lead["custom_fields_values"] if f["field_id"] == field["id"])
    assert kept["values"][0]["value"] == long_text
