"""A small account catalog shared by the mapping and field tests (shaped like the sandbox seed)."""

from backend.sync.core.catalog import Catalog, CustomField, Pipeline
from backend.sync.core.normalize import Status

CATALOG = Catalog(
    account_id=1,
    host="acme.amocrm.ru",
    pipelines=(
        Pipeline(
            100,
            "Воронка",
            True,
            (
                Status(100, 1, "Неразобранное", "Воронка", is_unsorted=True),
                Status(100, 10, "Первичный контакт", "Воронка"),
                Status(100, 11, "Переговоры", "Воронка"),
                Status(100, 142, "Успешно реализовано", "Воронка"),
                Status(100, 143, "Закрыто и не реализовано", "Воронка"),
            ),
        ),
    ),
    users={7: ("Анна Смирнова", "anna@acme.ru"), 8: ("Boris", "boris@acme.ru")},
    lead_fields={
        501: CustomField(501, "Источник", "select", enums={1: "Сайт", 2: "Звонок"}),
        502: CustomField(502, "Дата визита", "date"),
        503: CustomField(503, "Площадь", "numeric"),
    },
    contact_fields={
        601: CustomField(601, "Телефон", "multitext", code="PHONE"),
        602: CustomField(602, "Email", "multitext", code="EMAIL"),
        603: CustomField(603, "Должность", "text"),
    },
    current_user_id=7,
)
