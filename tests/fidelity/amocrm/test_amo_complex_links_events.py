"""`/leads/complex` (reference §3.6), links (§3.7) and the events log."""

from __future__ import annotations

from sandbox.amocrm import seed


def complex_item(name: str, phone: str, **lead) -> dict:
    return {
        "name": name,
        **lead,
        "_embedded": {
            "contacts": [
                {
                    "first_name": "Masha",
                    "custom_fields_values": [
                        {"field_code": "PHONE", "values": [{"value": phone, "enum_code": "MOB"}]},
                    ],
                }
            ],
            "companies": [{"name": "Acme LLC"}],
        },
    }


def test_complex_answers_a_top_level_array_with_merged(amo, amo_api):
    resp = amo_api.post(
        "/leads/complex", [complex_item("Row 18", "+79123456789", price=5000, request_id="row-18")]
    )
    assert resp.status_code == 200
    (item,) = resp.json()
    assert set(item) == {"id", "contact_id", "company_id", "request_id", "merged"}
    assert item["request_id"] == ["row-18"] and item["merged"] is False and item["company_id"]
    lead = amo_api.get(f"/leads/{item['id']}", params={"with": "contacts"}).json()
    assert lead["price"] == 5000 and lead["_embedded"]["contacts"][0]["id"] == item["contact_id"]
    assert lead["_embedded"]["companies"][0]["id"] == item["company_id"]
    contact = amo_api.get(f"/contacts/{item['contact_id']}").json()
    assert contact["custom_fields_values"][0]["values"][0]["enum_code"] == "MOB"
    plain = amo_api.post("/leads/complex", [{"name": "no contact"}]).json()
    assert (
        plain[0]["contact_id"] is None and plain[0]["company_id"] is None and plain[0]["request_id"] == ["0"]
    )


def test_more_than_50_complex_leads_is_an_error(amo, amo_api):
    resp = amo_api.post("/leads/complex", [{"name": f"L{i}"} for i in range(51)])
    assert resp.status_code == 422 and resp.json()["detail"] == "Limit 50 per page"
    assert amo.admin.leads("acme.amocrm.ru") == []


def test_complex_validation_paths_point_into_the_embedded_contact(amo_api):
    item = complex_item("x", "1")
    item["_embedded"]["contacts"][0]["responsible_user_id"] = 1
    resp = amo_api.post("/leads/complex", [item])
    assert resp.status_code == 400
    assert (
        resp.json()["validation-errors"][0]["errors"][0]["path"] == "_embedded.contacts.0.responsible_user_id"
    )


def test_duplicate_control_merges_only_when_the_integration_enables_it(amo, amo_api):
    first = amo_api.post("/leads/complex", [complex_item("First", "+7 (912) 345-67-89")]).json()[0]
    off = amo_api.post("/leads/complex", [complex_item("Second", "89123456789")]).json()[0]
    assert off["merged"] is False and off["contact_id"] != first["contact_id"]
    amo.admin.update_integration(seed.DEFAULT_CLIENT_ID, duplicate_control=True)
    same = amo_api.post("/leads/complex", [complex_item("Third", "8 912 345 67 89", price=700)]).json()[0]
    assert same["merged"] is True and same["id"] == first["id"] and same["contact_id"] == first["contact_id"]
    assert amo_api.get(f"/leads/{first['id']}").json()["price"] == 700  # a merge fills in what was missing
    # Items of one request are not checked against each other.
    pair = amo_api.post(
        "/leads/complex", [complex_item("A", "+10000000001"), complex_item("B", "+10000000001")]
    ).json()
    assert pair[0]["contact_id"] != pair[1]["contact_id"] and not pair[0]["merged"] and not pair[1]["merged"]


def test_link_unlink_and_links(amo_api):
    (lead_id,) = amo_api.create_leads([{"name": "l"}])
    c1, c2 = amo_api.create_contacts([{"name": "c1"}, {"name": "c2"}])
    body = [
        {"to_entity_id": c1, "to_entity_type": "contacts", "metadata": None},
        {"to_entity_id": c2, "to_entity_type": "contacts", "metadata": {"is_main": True}},
    ]
    linked = amo_api.post(f"/leads/{lead_id}/link", body)
    assert linked.status_code == 200
    assert [x["to_entity_id"] for x in linked.json()["_embedded"]["links"]] == [c1, c2]
    links = amo_api.get(f"/leads/{lead_id}/links").json()["_embedded"]["links"]
    assert {(x["to_entity_id"], x["metadata"]["main_contact"]) for x in links} == {(c1, False), (c2, True)}
    assert amo_api.get(f"/contacts/{c1}/links").json()["_embedded"]["links"][0]["to_entity_id"] == lead_id
    unlink = amo_api.post(f"/leads/{lead_id}/unlink", [{"to_entity_id": c2, "to_entity_type": "contacts"}])
    assert unlink.status_code == 204 and unlink.content == b""
    assert [
        x["to_entity_id"] for x in amo_api.get(f"/leads/{lead_id}/links").json()["_embedded"]["links"]
    ] == [c1]
    amo_api.post(f"/contacts/{c1}/unlink", [{"to_entity_id": lead_id, "to_entity_type": "leads"}])
    assert amo_api.get(f"/leads/{lead_id}/links").status_code == 204
    bad = amo_api.post(f"/leads/{lead_id}/link", [{"to_entity_id": 1, "to_entity_type": "contacts"}])
    assert (
        bad.status_code == 400 and bad.json()["validation-errors"][0]["errors"][0]["path"] == "to_entity_id"
    )
    mass = amo_api.post(
        "/contacts/link", [{"entity_id": c2, "to_entity_id": lead_id, "to_entity_type": "leads"}]
    )
    assert mass.status_code == 200


def test_deleting_a_lead_records_a_lead_deleted_event(amo, amo_api):
    keep, gone = amo_api.create_leads([{"name": "keep"}, {"name": "gone"}])
    amo.admin.manager_delete_lead("acme.amocrm.ru", gone)
    assert amo_api.get(f"/leads/{gone}").status_code == 204
    assert [x["id"] for x in amo_api.get("/leads").json()["_embedded"]["leads"]] == [keep]
    events = amo_api.get("/events", params={"filter[type]": "lead_deleted"}).json()
    (event,) = events["_embedded"]["events"]
    assert event["entity_id"] == gone and event["entity_type"] == "lead" and event["type"] == "lead_deleted"
    assert event["_embedded"]["entity"]["id"] == gone
    both = amo_api.get(
        "/events", params={"filter[type]": "lead_added,lead_deleted", "filter[entity_id][]": gone}
    )
    assert [e["type"] for e in both.json()["_embedded"]["events"]] == ["lead_deleted", "lead_added"]
    assert amo_api.get("/events", params={"filter[type]": "contact_deleted"}).status_code == 204


def test_status_changes_are_events_with_before_and_after(amo, amo_api):
    (lead_id,) = amo_api.create_leads([{"name": "l"}])
    before = amo_api.get(f"/leads/{lead_id}").json()
    amo_api.patch(f"/leads/{lead_id}", {"status_id": 143, "pipeline_id": before["pipeline_id"]})
    (event,) = amo_api.get("/events", params={"filter[type][]": "lead_status_changed"}).json()["_embedded"][
        "events"
    ]
    assert event["value_before"] == [
        {"lead_status": {"id": before["status_id"], "pipeline_id": before["pipeline_id"]}}
    ]
    assert event["value_after"] == [{"lead_status": {"id": 143, "pipeline_id": before["pipeline_id"]}}]


def test_manager_merge_moves_contacts_and_deletes_the_other_lead(amo, amo_api):
    (cid,) = amo_api.create_contacts([{"name": "c"}])
    keep, gone = amo_api.create_leads(
        [{"name": "keep"}, {"name": "gone", "price": 90, "_embedded": {"contacts": [{"id": cid}]}}]
    )
    amo.admin.manager_merge_leads("acme.amocrm.ru", keep, gone)
    lead = amo_api.get(f"/leads/{keep}", params={"with": "contacts"}).json()
    assert lead["price"] == 90 and [c["id"] for c in lead["_embedded"]["contacts"]] == [cid]
    assert amo_api.get(f"/leads/{gone}").status_code == 204
    types = [e["type"] for e in amo_api.get("/events").json()["_embedded"]["events"]]
    assert "entity_merged" in types and "lead_deleted" in types
