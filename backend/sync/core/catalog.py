"""What an amoCRM account offers to map onto: pipelines and statuses, users, custom fields.

Pure data, built from the API by `amocrm/models.py` and cached per account. The mapping validator, the
suggester, the normalizers and the field converters all read it; nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from backend.sync.core.normalize import Status


@dataclass(frozen=True)
class CustomField:
    id: int
    name: str
    type: str  # text, numeric, textarea, select, multiselect, date, url, checkbox, multitext, …
    code: str | None = None  # PHONE, EMAIL, …
    enums: Mapping[int, str] = field(default_factory=dict)  # enum id -> value (select types)


@dataclass(frozen=True)
class Pipeline:
    id: int
    name: str
    is_main: bool
    statuses: tuple[Status, ...]


@dataclass(frozen=True)
class Catalog:
    account_id: int
    host: str  # acme.amocrm.ru
    pipelines: tuple[Pipeline, ...]
    users: Mapping[int, tuple[str, str]]  # id -> (name, email)
    lead_fields: Mapping[int, CustomField]
    contact_fields: Mapping[int, CustomField]
    current_user_id: int | None = None

    @property
    def statuses(self) -> tuple[Status, ...]:
        return tuple(s for p in self.pipelines for s in p.statuses)

    def pipeline(self, pipeline_id: int) -> Pipeline | None:
        return next((p for p in self.pipelines if p.id == pipeline_id), None)

    def main_pipeline(self) -> Pipeline:
        return next((p for p in self.pipelines if p.is_main), self.pipelines[0])

    def fields_of(self, entity: str) -> Mapping[int, CustomField]:
        return self.lead_fields if entity == "lead" else self.contact_fields

    def first_status(self, pipeline_id: int) -> Status | None:
        """The stage new leads land in: the first non-"unsorted" one (amoCRM's own default)."""
        pipeline = self.pipeline(pipeline_id)
        if pipeline is None:
            return None
        regular = [s for s in pipeline.statuses if s.status_id not in (142, 143) and not s.is_unsorted]
        return regular[0] if regular else None
