"""Contacts (reference §4): PHONE/EMAIL multitext with enum codes, `query` substring search, writes,
custom field metadata."""

from __future__ import annotations


def test_create_with_phone_and_email_by_field_code(amo_api, amo_account):
    resp = amo_api.post(
        "/contacts",
        [
            {
                "first_name": "Petr",
                "last_name": "Smirnov",
                "custom_fields_values": [
                    {"field_code": "PHONE", "values": [{"value": "+79990001122", "enum_code": "WORK"}]},
                    {"field_code": "EMAIL", "values": [{"value": "p@example.com", "enum_code": "PRIV"}]},
                ],
                "request_id": "row-17-contact",
            }
        ],
    )
    assert resp.status_code == 200
    created = resp.json()["_embedded"]["contacts"][0]
    assert created["request_id"] == "row-17-contact"
    contact = amo_api.get(f"/contacts/{created['id']}").json()
    assert contact["name"] == "Petr Smirnov"
    phone, email = contact["custom_fields_values"]
    phone_field = next(f for f in amo_account["custom_fields"]["contacts"] if f["code"] == "PHONE")
    work = next(e for e in phone_field["enums"] if e["value"] == "WORK")
    assert phone["field_code"] == "PHONE" and phone["field_type"] == "multitext"
    assert phone["values"] == [{"value": "+79990001122", "enum_id": work["id"], "enum_code": "WORK"}]
    assert email["values"][0]["enum_code"] == "PRIV"


def test_multitext_enum_defaults_to_work_and_unknown_codes_fail(amo_api):
    (cid,) = amo_api.create_contacts(
        [{"name": "a", "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": "1"}]}]}]
    )
    assert (
        amo_api.get(f"/contacts/{cid}").json()["custom_fields_values"][0]["values"][0]["enum_code"] == "WORK"
    )
    bad = amo_api.post(
        "/contacts",
        [
            {
                "custom_fields_values": [
                    {"field_code": "PHONE", "values": [{"value": "1", "enum_code": "CELL"}]}
                ]
            }
        ],
    )
    assert bad.status_code == 400
    assert (
        bad.json()["validation-errors"][0]["errors"][0]["path"] == "custom_fields_values.0.values.0.enum_code"
    )
    unknown = amo_api.post(
        "/contacts", [{"custom_fields_values": [{"field_code": "SKYPE", "values": [{"value": "x"}]}]}]
    )
    assert unknown.json()["validation-errors"][0]["errors"][0]["path"] == "custom_fields_values.0.field_code"


def test_query_finds_a_contact_by_part_of_its_phone(amo_api):
    """amoCRM documents `query` only as "search across the filled fields"; field reports say phones are
    matched as stored strings (`+79995551122` and `89995551122` differ; search by the national part):
    amocrm/amocrm-api-php#515, zero-archive/amocrm-php#81, drillcoder/AmoCRM_Wrap#4 (reference §4.2).
    The emulator does no phone normalisation, and the product does not search contacts by `query` at all
    (it matches phones and e-mails in its own contact directory)."""
    a, b = amo_api.create_contacts(
        [
            {
                "name": "Ivan",
                "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": "+79995551122"}]}],
            },
            {
                "name": "Olga",
                "custom_fields_values": [{"field_code": "EMAIL", "values": [{"value": "olga@example.com"}]}],
            },
        ]
    )
    hits = amo_api.get("/contacts", params={"query": "9995551122"}).json()["_embedded"]["contacts"]
    assert [c["id"] for c in hits] == [a]
    assert [
        c["id"] for c in amo_api.get("/contacts", params={"query": "5551"}).json()["_embedded"]["contacts"]
    ] == [a]
    assert [
        c["id"] for c in amo_api.get("/contacts", params={"query": "OLGA@"}).json()["_embedded"]["contacts"]
    ] == [b]
    # Stored strings are matched as they are: the trunk-prefix form of the same number is another string.
    miss = amo_api.get("/contacts", params={"query": "89995551122"})
    assert miss.status_code == 204 and miss.content == b""


def test_patch_array_object_and_405(amo, amo_api):
    a, b = amo_api.create_contacts([{"name": "a"}, {"name": "b"}])
    batch = amo_api.patch("/contacts", [{"id": a, "first_name": "Anna"}, {"id": b, "name": "Boris"}])
    assert [c["name"] for c in batch.json()["_embedded"]["contacts"]] == ["Anna", "Boris"]
    one = amo_api.patch(
        f"/contacts/{a}", {"custom_fields_values": [{"field_code": "EMAIL", "values": [{"value": "a@x.io"}]}]}
    )
    assert one.status_code == 200 and one.json()["id"] == a
    assert amo_api.patch(f"/contacts/{a}", [{"name": "x"}]).status_code == 405
    missing = amo_api.patch("/contacts", [{"id": 1, "name": "x"}])
    assert (
        missing.status_code == 400
        and missing.json()["validation-errors"][0]["errors"][0]["code"] == "NotFound"
    )
    stored = {c["id"]: c for c in amo.admin.contacts("acme.amocrm.ru")}
    assert stored[a]["custom_fields_values"][0]["values"][0]["value"] == "a@x.io"


def test_with_leads_lists_linked_leads(amo_api):
    (cid,) = amo_api.create_contacts([{"name": "c"}])
    (lead_id,) = amo_api.create_leads([{"name": "l", "_embedded": {"contacts": [{"id": cid}]}}])
    contact = amo_api.get(f"/contacts/{cid}", params={"with": "leads"}).json()
    assert [x["id"] for x in contact["_embedded"]["leads"]] == [lead_id]


def test_custom_field_metadata_pages_of_50(amo, amo_api):
    fields = amo_api.get("/contacts/custom_fields").json()["_embedded"]["custom_fields"]
    phone = next(f for f in fields if f["code"] == "PHONE")
    assert phone["type"] == "multitext"
    assert [e["value"] for e in phone["enums"]] == ["WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER"]
    assert amo_api.get(f"/contacts/custom_fields/{phone['id']}").json()["id"] == phone["id"]
    for i in range(55):
        amo.admin.create_custom_field("acme.amocrm.ru", "leads", f"F{i}")
    page = amo_api.get("/leads/custom_fields", params={"limit": 250}).json()
    assert len(page["_embedded"]["custom_fields"]) == 50 and "next" in page["_links"]
