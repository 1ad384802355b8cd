"""A connection's mapping: which sheet column holds which amoCRM field, in which direction, with which
conflict policy; plus the pipeline and default status. Validation with sentences a person can act on,
and a suggester that proposes a mapping from header names (ru/en) and the account's custom fields.

Columns are identified by a stable column id (the value of the column's developer metadata, see
`sheets/layout.py`), so renaming or moving a header does not break the mapping; `header` is kept for
display and as a fallback. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

from backend.sync.core.catalog import Catalog
from backend.sync.core.model import STANDARD_TARGETS, Direction, FieldRule, Policy
from backend.sync.core.normalize import fold

# The columns the sync itself owns, by role -> default header. Found by column metadata, created when missing.
SPECIAL_COLUMNS = {
    "key": "amo_sync_id",
    "lead_id": "amo_lead_id",
    "link": "amo_link",
    "sync": "amo_sync_status",
}

SYNONYMS: dict[str, tuple[str, ...]] = {
    "contact.name": ("имя", "фио", "контакт", "клиент", "имя клиента", "name", "full name", "contact",
                     "contact name", "client", "customer"),
    "contact.phone": ("телефон", "тел", "мобильный", "номер телефона", "phone", "mobile", "tel",
                      "telephone", "phone number"),
    "contact.email": ("email", "e mail", "почта", "эл почта", "электронная почта", "mail", "email address"),
    "lead.price": ("бюджет", "сумма", "стоимость", "цена", "budget", "amount", "price", "deal value",
                   "value", "revenue"),
    "lead.status": ("статус", "этап", "стадия", "статус сделки", "status", "stage", "deal stage"),
    "lead.name": ("сделка", "название сделки", "название", "deal", "lead", "deal name", "lead name", "title"),
    "lead.responsible": ("ответственный", "менеджер", "responsible", "owner", "manager", "assigned to"),
}  # fmt: skip


@dataclass(frozen=True)
class ColumnRule:
    column: str  # stable column id
    header: str
    target: str
    direction: Direction = Direction.BOTH
    policy: Policy = Policy.NEWEST


@dataclass(frozen=True)
class ColumnMapping:
    columns: tuple[ColumnRule, ...]
    pipeline_id: int
    default_status_id: int | None = None
    unmapped: tuple[str, ...] = field(default_factory=tuple)  # headers seen but not mapped (for the UI)

    def rules(self) -> tuple[FieldRule, ...]:
        return tuple(FieldRule(c.target, c.direction, c.policy, c.header) for c in self.columns)

    def column_of(self, target: str) -> ColumnRule | None:
        return next((c for c in self.columns if c.target == target), None)

    def to_json(self) -> dict:
        return {
            "columns": [
                asdict(c) | {"direction": str(c.direction), "policy": str(c.policy)} for c in self.columns
            ],
            "pipeline_id": self.pipeline_id,
            "default_status_id": self.default_status_id,
        }

    @classmethod
    def from_json(cls, data: Mapping) -> ColumnMapping:
        """Parse a mapping sent by the sidebar; raises MappingError listing every problem."""
        problems: list[str] = []
        columns: list[ColumnRule] = []
        if not isinstance(data, Mapping):
            raise MappingError(["the mapping must be a JSON object"])
        raw_columns = data.get("columns")
        if not isinstance(raw_columns, list):
            raise MappingError(["columns must be a list"])
        for i, raw in enumerate(raw_columns, 1):
            if not isinstance(raw, Mapping):
                problems.append(f"column #{i} must be an object")
                continue
            try:
                columns.append(
                    ColumnRule(
                        column=str(raw["column"]),
                        header=str(raw.get("header", "")),
                        target=str(raw["target"]),
                        direction=Direction(raw.get("direction", "both")),
                        policy=Policy(raw.get("policy", "newest")),
                    )
                )
            except KeyError as exc:
                problems.append(f"column #{i} has no {exc.args[0]}")
            except ValueError as exc:
                problems.append(f"column #{i}: {exc}")
        try:
            pipeline_id = int(data["pipeline_id"])
            default = data.get("default_status_id")
            default_status_id = int(default) if default not in (None, "") else None
        except (KeyError, TypeError, ValueError, OverflowError):  # OverflowError: int(1e400)
            problems.append("pipeline_id must be a pipeline id (and default_status_id a status id)")
            pipeline_id, default_status_id = 0, None
        if problems:
            raise MappingError(problems)
        return cls(tuple(columns), pipeline_id, default_status_id)


class MappingError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def _target_label(target: str, catalog: Catalog) -> str | None:
    """A human name for a target, or None when the account has no such field."""
    if target in STANDARD_TARGETS:
        return target
    match = re.fullmatch(r"(lead|contact)\.cf:(\d+)", target)
    if not match:
        return None
    custom = catalog.fields_of(match.group(1)).get(int(match.group(2)))
    if custom is None or custom.code in ("PHONE", "EMAIL"):
        return None  # phone and e-mail are mapped as contact.phone / contact.email
    return f"{match.group(1)} field “{custom.name}”"


def validate(mapping: ColumnMapping, catalog: Catalog, headers: Mapping[str, str]) -> list[str]:
    """Every problem with a mapping, as sentences; empty when usable. `headers`: column id -> header."""
    problems: list[str] = []
    if not mapping.columns:
        problems.append("Map at least one column.")
    seen_targets: dict[str, str] = {}
    seen_columns: set[str] = set()
    for rule in mapping.columns:
        name = rule.header or rule.column
        if _target_label(rule.target, catalog) is None:
            problems.append(f"Column “{name}”: amoCRM has no field {rule.target}.")
        if rule.target in seen_targets:
            problems.append(
                f"Columns “{seen_targets[rule.target]}” and “{name}” both map to {rule.target}; keep one."
            )
        seen_targets.setdefault(rule.target, name)
        if rule.column in seen_columns:
            problems.append(f"Column “{name}” is mapped twice.")
        seen_columns.add(rule.column)
        if rule.column not in headers:
            problems.append(f"Column “{name}” is not in the sheet any more.")
        if rule.header in SPECIAL_COLUMNS.values():
            problems.append(f"Column “{name}” belongs to the sync itself and cannot be mapped.")
    pipeline = catalog.pipeline(mapping.pipeline_id)
    if pipeline is None:
        problems.append("Pick a pipeline: the chosen one does not exist in this amoCRM account.")
    elif mapping.default_status_id is not None and mapping.default_status_id not in {
        s.status_id for s in pipeline.statuses
    }:
        problems.append(f"The default status is not a stage of pipeline “{pipeline.name}”.")
    if "key" not in headers:  # special columns carry their role as column id (sheets/layout.py)
        problems.append(f"The sheet has no key column “{SPECIAL_COLUMNS['key']}”.")
    return problems


def header_key(header: str) -> str:
    """A header as the suggester compares it: case, units and punctuation folded away."""
    value = re.sub(r"\(.*?\)|[*:#№.,;₽$€]|\b(руб|rub|usd|eur)\b", " ", header, flags=re.IGNORECASE)
    return fold(value).replace("-", " ")


_BY_SYNONYM = {header_key(s): t for t, names in SYNONYMS.items() for s in names}


def target_of_header(header: str) -> str | None:
    """The standard field a header names ("Телефон" -> contact.phone), or None."""
    return _BY_SYNONYM.get(header_key(header))


def suggest(headers: Iterable[tuple[str, str]], catalog: Catalog) -> ColumnMapping:
    """Propose a mapping from (column id, header) pairs: standard fields by synonyms, custom by name."""
    by_synonym = _BY_SYNONYM
    by_cf: dict[str, str] = {}
    for entity in ("lead", "contact"):
        for custom in catalog.fields_of(entity).values():
            if custom.code not in ("PHONE", "EMAIL"):
                by_cf.setdefault(header_key(custom.name), f"{entity}.cf:{custom.id}")
    columns: list[ColumnRule] = []
    unmapped: list[str] = []
    used: set[str] = set()
    for column, header in headers:
        if not header.strip() or header.strip() in SPECIAL_COLUMNS.values():
            continue
        key = header_key(header)
        target = by_synonym.get(key) or by_cf.get(key)
        if target is None or target in used:
            unmapped.append(header)
            continue
        used.add(target)
        columns.append(ColumnRule(column, header, target))
    pipeline = catalog.main_pipeline()
    first = catalog.first_status(pipeline.id)
    return ColumnMapping(tuple(columns), pipeline.id, first.status_id if first else None, tuple(unmapped))
