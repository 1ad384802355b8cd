"""Date custom-field values as the official PHP library sends them.

Source: amocrm/amocrm-api-php, src/AmoCRM/Models/CustomFieldsValues/ValueModels/
DateCustomFieldValueModel.php — `toApi()` returns `['value' => $this->value->format(DateTime::RFC3339)]`
(since commit 16306f5, 2021-09-06, "support for datetimeinterface objects for date fields values");
DateTimeCustomFieldValueModel and BirthdayCustomFieldValueModel extend it. So every lead or contact
saved through the library sends e.g. "2024-01-15T00:00:00+03:00", and amoCRM answers the value as a
Unix timestamp (reference §2.3: date values are timestamps).
"""

from __future__ import annotations

import datetime as dt

import pytest


def field(amo_account: dict, entity: str, name: str) -> dict:
    return next(f for f in amo_account["custom_fields"][entity] if f["name"] == name)


@pytest.mark.parametrize(
    "sent",
    ["2024-01-15T00:00:00+03:00", "2024-01-14T21:00:00Z", "2024-01-14T21:00:00.000+00:00", 1705266000],
)
def test_a_date_field_takes_rfc3339_as_the_php_library_sends_it(amo_api, amo_account, sent):
    date = field(amo_account, "leads", "Contract date")
    (lead_id,) = amo_api.create_leads(
        [{"custom_fields_values": [{"field_id": date["id"], "values": [{"value": sent}]}]}]
    )
    (stored,) = amo_api.get(f"/leads/{lead_id}").json()["custom_fields_values"]
    expected = int(dt.datetime(2024, 1, 14, 21, tzinfo=dt.UTC).timestamp())
    assert stored["values"] == [{"value": expected}]


@pytest.mark.parametrize("sent", ["2024-01-15", "15.01.2024", "2024-01-15T00:00:00", "tomorrow", True])
def test_other_date_text_is_refused(amo_api, amo_account, sent):
    date = field(amo_account, "leads", "Contract date")
    resp = amo_api.post(
        "/leads", [{"custom_fields_values": [{"field_id": date["id"], "values": [{"value": sent}]}]}]
    )
    assert resp.status_code == 400
    (error,) = resp.json()["validation-errors"][0]["errors"]
    assert error["path"] == "custom_fields_values.0.values.0.value"


def test_patch_with_rfc3339_updates_the_value(amo_api, amo_account):
    date = field(amo_account, "leads", "Contract date")
    (lead_id,) = amo_api.create_leads([{"name": "x"}])
    resp = amo_api.patch(
        f"/leads/{lead_id}",
        {
            "custom_fields_values": [
                {"field_id": date["id"], "values": [{"value": "2021-09-06T12:00:00+00:00"}]}
            ]
        },
    )
    assert resp.status_code == 200, resp.text
    (stored,) = amo_api.get(f"/leads/{lead_id}").json()["custom_fields_values"]
    assert stored["values"] == [{"value": 1630929600}]
