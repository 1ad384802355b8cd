"""Mapping: suggestions from ru/en headers, validation messages a person can act on."""

import pytest

from backend.sync.core.mapping import ColumnMapping, ColumnRule, MappingError, suggest, validate
from backend.sync.core.model import Direction, Policy
from tests.unit.sync.catalog_fixture import CATALOG

HEADERS = [
    ("c1", "Имя"),
    ("c2", "Телефон"),
    ("c3", "E-mail"),
    ("c4", "Бюджет, ₽"),
    ("c5", "Статус"),
    ("c6", "Источник"),
    ("c7", "Comment"),
    ("key", "amo_sync_id"),
]


def test_suggest_maps_russian_headers_and_custom_fields():
    m = suggest(HEADERS, CATALOG)
    targets = {c.header: c.target for c in m.columns}
    assert targets == {
        "Имя": "contact.name",
        "Телефон": "contact.phone",
        "E-mail": "contact.email",
        "Бюджет, ₽": "lead.price",
        "Статус": "lead.status",
        "Источник": "lead.cf:501",
    }
    assert "Comment" in m.unmapped
    assert m.pipeline_id == 100 and m.default_status_id == 10  # first real stage, not "unsorted"


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("Name", "contact.name"),
        ("Phone number", "contact.phone"),
        ("Email", "contact.email"),
        ("Budget", "lead.price"),
        ("Бюджет", "lead.price"),
        ("Stage", "lead.status"),
        ("Deal name", "lead.name"),
        ("Ответственный", "lead.responsible"),
        ("ФИО:", "contact.name"),
        ("Должность", "contact.cf:603"),
    ],
)
def test_suggest_english_and_variants(header, target):
    (c,) = suggest([("x", header)], CATALOG).columns
    assert c.target == target


def test_suggest_never_maps_two_columns_to_one_field():
    m = suggest([("a", "Phone"), ("b", "Телефон")], CATALOG)
    assert [c.target for c in m.columns] == ["contact.phone"] and m.unmapped == ("Телефон",)


def test_a_good_mapping_validates():
    m = suggest(HEADERS, CATALOG)
    assert validate(m, CATALOG, dict(HEADERS)) == []


def test_validation_explains_every_problem():
    m = ColumnMapping(
        (
            ColumnRule("c1", "Имя", "contact.name"),
            ColumnRule("c2", "Имя 2", "contact.name"),
            ColumnRule("c3", "X", "lead.cf:999"),
            ColumnRule("gone", "Old", "lead.price"),
        ),
        pipeline_id=100,
        default_status_id=555,
    )
    problems = validate(m, CATALOG, {"c1": "Имя", "c2": "Имя 2", "c3": "X"})
    text = " | ".join(problems)
    assert "both map to contact.name" in text
    assert "amoCRM has no field lead.cf:999" in text
    assert "“Old” is not in the sheet" in text
    assert "default status is not a stage" in text
    assert "no key column" in text


def test_unknown_pipeline():
    m = ColumnMapping((ColumnRule("c1", "Имя", "contact.name"),), pipeline_id=42)
    assert any("Pick a pipeline" in p for p in validate(m, CATALOG, {"c1": "Имя", "key": "amo_sync_id"}))


def test_json_round_trip_and_parse_errors():
    m = ColumnMapping(
        (ColumnRule("c1", "Имя", "contact.name", Direction.TO_AMO, Policy.SHEET_WINS),), 100, 10
    )
    assert ColumnMapping.from_json(m.to_json()) == m
    with pytest.raises(MappingError) as err:
        ColumnMapping.from_json(
            {"columns": [{"column": "c1"}, {"column": "c2", "target": "x", "direction": "up"}]}
        )
    assert "has no target" in str(err.value) and "'up' is not a valid Direction" in str(err.value)
