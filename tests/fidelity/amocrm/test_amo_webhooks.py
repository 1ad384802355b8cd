"""Webhooks (reference §6): subscriptions, delivery of API and manager changes as amoCRM's form body,
the 2 s timeout, the retry ladder on the virtual clock, auto-disable, and the delivery fault knobs."""

from __future__ import annotations

import time

HOST = "acme.amocrm.ru"


def subscribe(amo_api, url: str, settings: list[str]) -> dict:
    resp = amo_api.post("/webhooks", {"destination": url, "settings": settings, "sort": 10})
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_subscriptions_are_kept_by_destination_and_capped_at_100(amo, amo_api, receiver):
    hook = subscribe(amo_api, receiver.url, ["add_lead", "status_lead"])
    assert hook["destination"] == receiver.url and hook["disabled"] is False
    assert hook["settings"] == ["add_lead", "status_lead"]
    again = subscribe(amo_api, receiver.url, ["update_lead"])  # same destination: updated in place
    assert again["id"] == hook["id"] and again["settings"] == ["update_lead"]
    listed = amo_api.get("/webhooks", params={"filter[destination]": receiver.url}).json()
    assert listed["_total_items"] == 1 and listed["_embedded"]["webhooks"][0]["id"] == hook["id"]
    bad = amo_api.post("/webhooks", {"destination": "ftp://x", "settings": ["nope"]})
    assert [e["path"] for e in bad.json()["validation-errors"][0]["errors"]] == ["destination", "settings.0"]
    for i in range(99):
        subscribe(amo_api, f"https://example.com/h{i}", ["add_lead"])
    over = amo_api.post("/webhooks", {"destination": "https://example.com/101", "settings": ["add_lead"]})
    assert over.status_code == 400
    deleted = amo_api.delete("/webhooks", {"destination": receiver.url})
    assert deleted.status_code == 204 and deleted.content == b""
    assert amo_api.get("/webhooks", params={"filter[destination]": receiver.url}).status_code == 204


def test_an_api_status_change_is_delivered_as_amocrm_form_keys(amo, amo_api, receiver, amo_account):
    subscribe(amo_api, receiver.url, ["status_lead"])
    row = next(f for f in amo_account["custom_fields"]["leads"] if f["name"] == "Sheet row")
    (lead_id,) = amo_api.create_leads(
        [
            {
                "name": "Row 17",
                "price": 1000,
                "custom_fields_values": [{"field_id": row["id"], "values": [{"value": "17"}]}],
            }
        ]
    )
    before = amo_api.get(f"/leads/{lead_id}").json()
    amo_api.patch("/leads", [{"id": lead_id, "status_id": 142, "pipeline_id": before["pipeline_id"]}])
    (call,) = receiver.wait(1)
    assert call.method == "POST"
    assert call.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert call.headers["User-Agent"] == "amoCRM-Webhooks/3.0"
    assert len(call.headers["X-Amocrm-Requestid"]) >= 16
    assert call.get("account[subdomain]") == "acme" and call.get("account[id]") == str(amo_account["id"])
    assert call.get("account[_links][self]") == f"{amo.url}/acme.amocrm.ru"
    assert call.get("leads[status][0][id]") == str(lead_id)
    assert call.get("leads[status][0][name]") == "Row 17"
    assert call.get("leads[status][0][status_id]") == "142"
    assert call.get("leads[status][0][old_status_id]") == str(before["status_id"])
    assert call.get("leads[status][0][pipeline_id]") == call.get("leads[status][0][old_pipeline_id]")
    assert call.get("leads[status][0][price]") == "1000"
    assert call.get("leads[status][0][modified_user_id]") == str(before["created_by"])
    assert call.get("leads[status][0][custom_fields][0][id]") == str(row["id"])
    assert call.get("leads[status][0][custom_fields][0][name]") == "Sheet row"
    assert call.get("leads[status][0][custom_fields][0][values][0][value]") == "17"
    assert not any(k.startswith("leads[add]") for k, _ in call.form)  # add_lead was not subscribed


def test_contact_deliveries_carry_type_and_enum(amo, amo_api, receiver, amo_account):
    subscribe(amo_api, receiver.url, ["add_contact"])
    amo_api.create_contacts(
        [
            {
                "name": "Ivan",
                "custom_fields_values": [
                    {"field_code": "PHONE", "values": [{"value": "+7999", "enum_code": "MOB"}]}
                ],
            }
        ]
    )
    (call,) = receiver.wait(1)
    phone = next(f for f in amo_account["custom_fields"]["contacts"] if f["code"] == "PHONE")
    mob = next(e for e in phone["enums"] if e["value"] == "MOB")
    assert call.get("contacts[add][0][type]") == "contact" and call.get("contacts[add][0][name]") == "Ivan"
    assert call.get("contacts[add][0][custom_fields][0][code]") == "PHONE"
    assert call.get("contacts[add][0][custom_fields][0][values][0][enum]") == str(mob["id"])


def test_one_delivery_per_request_carries_every_item(amo_api, receiver):
    subscribe(amo_api, receiver.url, ["add_lead"])
    amo_api.create_leads([{"name": "a"}, {"name": "b"}])
    (call,) = receiver.wait(1)
    assert call.get("leads[add][0][name]") == "a" and call.get("leads[add][1][name]") == "b"


def test_a_rejected_request_fires_nothing(amo, amo_api, receiver):
    subscribe(amo_api, receiver.url, ["add_lead"])
    assert amo_api.post("/leads", [{"name": "a"}, {"price": "x"}]).status_code == 400
    assert amo.admin.drain_webhooks() and receiver.calls == []


def test_a_manager_action_fires_a_webhook_with_the_manager_as_modifier(amo, amo_api, receiver, amo_account):
    subscribe(amo_api, receiver.url, ["status_lead", "update_lead", "delete_lead"])
    (lead_id,) = amo_api.create_leads([{"name": "a"}])
    manager = next(u for u in amo_account["users"] if not u["rights"]["is_admin"])
    amo.admin.manager_set_status(
        HOST, lead_id, 143, pipeline_id=next(p["id"] for p in amo_account["pipelines"])
    )
    (call,) = receiver.wait(1)
    assert call.get("leads[status][0][status_id]") == "143"
    assert call.get("leads[update][0][id]") == str(lead_id)
    assert call.get("leads[status][0][modified_user_id]") == str(manager["id"])
    lead = amo_api.get(f"/leads/{lead_id}").json()
    assert lead["updated_by"] == manager["id"] and lead["closed_at"]
    amo.admin.manager_delete_lead(HOST, lead_id)
    calls = receiver.wait(2)
    assert dict(calls[1].form) == {
        "account[subdomain]": "acme",
        "account[id]": str(amo_account["id"]),
        "account[_links][self]": f"{amo.url}/acme.amocrm.ru",
        "leads[delete][0][id]": str(lead_id),
        "leads[delete][0][status_id]": "143",
        "leads[delete][0][pipeline_id]": str(lead["pipeline_id"]),
    }


def test_failures_are_retried_on_the_virtual_clock_5m_15m_15m_1h(amo, amo_api, receiver):
    receiver.status = 500
    subscribe(amo_api, receiver.url, ["add_lead"])
    amo_api.create_leads([{"name": "a"}])
    receiver.wait(1)
    assert amo.admin.drain_webhooks()  # the first attempt is recorded before the clock moves
    for delay, expected in ((299, 1), (1, 2), (900, 3), (900, 4), (3599, 4), (1, 5), (86400, 5)):
        amo.admin.advance(delay)
        assert amo.admin.drain_webhooks()
        assert len(receiver.calls) == expected, (delay, expected)
    (delivery,) = amo.admin.webhook_deliveries(HOST)
    assert delivery["state"] == "failed" and [a["status"] for a in delivery["attempts"]] == [500] * 5
    assert len({c.headers["X-Amocrm-Requestid"] for c in receiver.calls}) == 1


def test_client_errors_get_only_the_first_two_retries(amo, amo_api, receiver):
    receiver.status = 404
    subscribe(amo_api, receiver.url, ["add_lead"])
    amo_api.create_leads([{"name": "a"}])
    receiver.wait(1)
    assert amo.admin.drain_webhooks()  # the first attempt is recorded before the clock moves
    for delay in (300, 900, 900, 3600):
        amo.admin.advance(delay)
        amo.admin.drain_webhooks()
    assert len(receiver.calls) == 3
    receiver.status = 200


def test_a_retry_that_succeeds_stops_the_ladder(amo, amo_api, receiver):
    receiver.status = 503
    subscribe(amo_api, receiver.url, ["add_lead"])
    amo_api.create_leads([{"name": "a"}])
    receiver.wait(1)
    assert amo.admin.drain_webhooks()  # the first attempt is recorded before the clock moves
    receiver.status = 204
    amo.admin.advance(300)
    receiver.wait(2)
    amo.admin.advance(7200)
    assert amo.admin.drain_webhooks() and len(receiver.calls) == 2
    assert amo.admin.webhook_deliveries(HOST)[0]["state"] == "delivered"


def test_a_receiver_slower_than_2_seconds_counts_as_a_failure(amo, amo_api, receiver):
    assert amo.admin.faults()["webhook_timeout"] == 2.0
    receiver.delay = 2.3
    subscribe(amo_api, receiver.url, ["add_lead"])
    started = time.monotonic()
    amo_api.create_leads([{"name": "a"}])
    receiver.wait(1)
    assert amo.admin.drain_webhooks(timeout=5)
    assert 1.9 <= time.monotonic() - started < 2.3 + 1
    (delivery,) = amo.admin.webhook_deliveries(HOST)
    assert delivery["attempts"][0]["status"] == 0 and delivery["attempts"][0]["error"] == "ReadTimeout"
    assert delivery["state"] == "pending"  # the ladder goes on


def test_more_than_100_failures_in_2_hours_disable_the_webhook(amo, amo_api, receiver):
    receiver.status = 500
    subscribe(amo_api, receiver.url, ["add_lead"])
    for i in range(100):
        amo_api.create_leads([{"name": f"L{i}"}])
    assert amo.admin.drain_webhooks()
    assert len(receiver.calls) == 100
    assert amo_api.get("/webhooks").json()["_embedded"]["webhooks"][0]["disabled"] is False
    amo_api.create_leads([{"name": "the 101st"}])
    receiver.wait(101)
    assert amo.admin.drain_webhooks()
    assert amo_api.get("/webhooks").json()["_embedded"]["webhooks"][0]["disabled"] is True
    amo_api.create_leads([{"name": "after"}])
    amo.admin.advance(300)  # the pending retries were dropped with the webhook
    assert amo.admin.drain_webhooks() and len(receiver.calls) == 101
    receiver.status = 200
    subscribe(amo_api, receiver.url, ["add_lead"])  # "press Save": enabled again
    amo_api.create_leads([{"name": "again"}])
    assert receiver.wait(102)[-1].get("leads[add][0][name]") == "again"


def test_failures_older_than_2_hours_do_not_count(amo, amo_api, receiver):
    receiver.status = 500
    amo.admin.set_faults(webhook_retry_ladder=[])
    subscribe(amo_api, receiver.url, ["add_lead"])
    for i in range(60):
        amo_api.create_leads([{"name": f"L{i}"}])
    assert amo.admin.drain_webhooks()
    amo.admin.advance(2 * 3600)
    for i in range(60):
        amo_api.create_leads([{"name": f"M{i}"}])
    assert amo.admin.drain_webhooks() and len(receiver.calls) == 120
    assert amo_api.get("/webhooks").json()["_embedded"]["webhooks"][0]["disabled"] is False


def test_drop_and_duplicate_knobs(amo, amo_api, receiver):
    subscribe(amo_api, receiver.url, ["add_lead"])
    amo.admin.set_faults(webhook_drop=1, webhook_duplicate=1)
    amo_api.create_leads([{"name": "dropped"}])
    amo_api.create_leads([{"name": "twice"}])
    amo_api.create_leads([{"name": "once"}])
    calls = receiver.wait(3)
    assert amo.admin.drain_webhooks() and len(receiver.calls) == 3
    assert [c.get("leads[add][0][name]") for c in calls] == ["twice", "twice", "once"]
    assert calls[0].headers["X-Amocrm-Requestid"] == calls[1].headers["X-Amocrm-Requestid"]
    assert [d["state"] for d in amo.admin.webhook_deliveries(HOST)] == ["dropped", "delivered", "delivered"]


def test_delay_and_reorder_knobs(amo, amo_api, receiver):
    subscribe(amo_api, receiver.url, ["add_lead"])
    amo.admin.set_faults(webhook_delay=60, webhook_reorder=True)
    for name in ("first", "second", "third"):
        amo_api.create_leads([{"name": name}])
    assert amo.admin.drain_webhooks() and receiver.calls == []
    amo.admin.advance(60)
    calls = receiver.wait(3)
    assert [c.get("leads[add][0][name]") for c in calls] == ["third", "second", "first"]


def test_a_manager_editing_a_contact_fires_update_contact(amo, amo_api, receiver, amo_account):
    subscribe(amo_api, receiver.url, ["update_contact"])
    (cid,) = amo_api.create_contacts([{"name": "Ivan"}])
    manager = next(u for u in amo_account["users"] if not u["rights"]["is_admin"])
    amo.admin.manager_update_contact(
        HOST, cid, custom_fields_values=[{"field_code": "EMAIL", "values": [{"value": "ivan@example.com"}]}]
    )
    (call,) = receiver.wait(1)
    assert (
        call.get("contacts[update][0][id]") == str(cid) and call.get("contacts[update][0][type]") == "contact"
    )
    assert call.get("contacts[update][0][modified_user_id]") == str(manager["id"])
    assert call.get("contacts[update][0][custom_fields][0][code]") == "EMAIL"
    assert amo_api.get(f"/contacts/{cid}").json()["updated_by"] == manager["id"]


def test_the_update_item_of_a_stage_change_carries_old_status_id(amo, amo_api, receiver):
    """Kommo's webhook examples (reference §6.2): lead items carry `old_status_id` on status and update
    deliveries; a plain edit (no stage change) has none."""
    subscribe(amo_api, receiver.url, ["update_lead"])
    (lead_id,) = amo_api.create_leads([{"name": "Row 1", "price": 10}])
    before = amo_api.get(f"/leads/{lead_id}").json()
    amo_api.patch("/leads", [{"id": lead_id, "status_id": 142, "pipeline_id": before["pipeline_id"]}])
    (moved,) = receiver.wait(1)
    assert moved.get("leads[update][0][status_id]") == "142"
    assert moved.get("leads[update][0][old_status_id]") == str(before["status_id"])
    assert moved.get("leads[update][0][old_pipeline_id]") == str(before["pipeline_id"])
    amo_api.patch("/leads", [{"id": lead_id, "price": 20}])
    _, edited = receiver.wait(2)
    assert edited.get("leads[update][0][price]") == "20"
    assert edited.get("leads[update][0][old_status_id]") is None


def test_the_update_item_of_a_reassigned_contact_carries_old_responsible_user_id(
    amo, amo_api, receiver, amo_account
):
    subscribe(amo_api, receiver.url, ["update_contact", "responsible_contact"])
    (cid,) = amo_api.create_contacts([{"name": "Ivan"}])
    before = amo_api.get(f"/contacts/{cid}").json()
    other = next(u for u in amo_account["users"] if u["id"] != before["responsible_user_id"])
    amo_api.patch(f"/contacts/{cid}", {"responsible_user_id": other["id"]})
    (call,) = receiver.wait(1)
    old = str(before["responsible_user_id"])
    assert call.get("contacts[update][0][responsible_user_id]") == str(other["id"])
    assert call.get("contacts[update][0][old_responsible_user_id]") == old
    assert call.get("contacts[responsible][0][old_responsible_user_id]") == old
    amo_api.patch(f"/contacts/{cid}", {"name": "Ivan P."})
    _, renamed = receiver.wait(2)
    assert renamed.get("contacts[update][0][old_responsible_user_id]") is None
