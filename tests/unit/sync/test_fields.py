"""Field conversion: sheet cells and amoCRM JSON to canonical values and back."""

from backend.sync.core.fields import (
    Context,
    contact_payload,
    contact_values,
    lead_payload,
    lead_values,
    parse_cell,
    render_cell,
)
from tests.unit.sync.catalog_fixture import CATALOG

CTX = Context(CATALOG, pipeline_id=100)


def test_cells_parse_and_render_round_trip():
    assert parse_cell("lead.status", "переговоры", CTX).value == "100:11"
    assert render_cell("lead.status", "100:11", CTX) == "Переговоры"
    assert parse_cell("lead.responsible", "anna@acme.ru", CTX).value == "7"
    assert render_cell("lead.responsible", "7", CTX) == "Анна Смирнова"
    assert parse_cell("lead.cf:501", "сайт", CTX).value == "Сайт"
    assert "has no option" in parse_cell("lead.cf:501", "Email", CTX).error
    assert parse_cell("lead.cf:503", "12,5", CTX).value == "12.5"
    assert render_cell("lead.price", "15000", CTX) == 15000
    assert render_cell("contact.phone", None, CTX) == ""


def test_lead_json_to_canonical():
    lead = {
        "id": 1,
        "name": " Deal  1 ",
        "price": 0,
        "status_id": 11,
        "pipeline_id": 100,
        "responsible_user_id": 8,
        "custom_fields_values": [
            {"field_id": 501, "values": [{"value": "Звонок", "enum_id": 2}]},
            {"field_id": 502, "values": [{"value": 1795478400}]},
        ],
    }
    v = lead_values(
        lead,
        ["lead.name", "lead.price", "lead.status", "lead.responsible", "lead.cf:501", "lead.cf:502"],
        CTX,
    )
    assert v == {
        "lead.name": "Deal 1",
        "lead.price": None,
        "lead.status": "100:11",
        "lead.responsible": "8",
        "lead.cf:501": "Звонок",
        "lead.cf:502": "2026-11-24",
    }


def test_contact_json_to_canonical_reads_the_first_phone_and_email():
    phones = [
        {"value": "8 912 123-45-67", "enum_code": "MOB"},
        {"value": "+7 495 000-00-00", "enum_code": "WORK"},
    ]
    contact = {
        "name": "Ivan",
        "custom_fields_values": [
            {"field_id": 601, "field_code": "PHONE", "values": phones},
            {"field_id": 602, "field_code": "EMAIL", "values": [{"value": "Ivan@X.ru", "enum_code": "WORK"}]},
        ],
    }
    assert contact_values(contact, ["contact.name", "contact.phone", "contact.email"], CTX) == {
        "contact.name": "Ivan",
        "contact.phone": "+79121234567",
        "contact.email": "ivan@x.ru",
    }


def test_lead_payload_sends_only_what_changed_with_amo_types():
    payload = lead_payload(
        {"lead.price": "250", "lead.status": "100:142", "lead.cf:501": "Сайт", "lead.cf:503": None}, CTX
    )
    assert payload == {
        "price": 250,
        "pipeline_id": 100,
        "status_id": 142,
        "custom_fields_values": [
            {"field_id": 501, "values": [{"enum_id": 1}]},
            {"field_id": 503, "values": None},
        ],
    }


def test_contact_payload_replaces_the_first_phone_and_keeps_the_others():
    phones = [{"value": "+70000000000", "enum_code": "MOB"}, {"value": "+74950000000", "enum_code": "WORK"}]
    existing = {"custom_fields_values": [{"field_code": "PHONE", "values": phones}]}
    payload = contact_payload({"contact.phone": "+79121234567"}, CTX, existing)
    assert payload["custom_fields_values"] == [
        {"field_code": "PHONE", "values": [{"value": "+79121234567", "enum_code": "WORK"},
                                           {"value": "+74950000000", "enum_code": "WORK"}]}
    ]  # fmt: skip
