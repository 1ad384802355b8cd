"""The end state every fault case is judged by, read from both emulators (never from the backend).

`Expected` says what must be true once the product has settled: which people (by name) have a row and
a lead, each one's budget (imports and every edit), which rows are bad and must be explained. `verify`
then counts:
- lost: an expected row without its lead, a lead without the expected budget, a row whose lead id does
  not point at that person's lead, a row not marked synced, a bad row without a ⚠ explanation (cell and
  the connection's error list), an expected row missing from the sheet;
- duplicated: a second lead or contact for one person, and any lead no row asked for.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bench.tenant import Tenant


@dataclass
class Expected:
    prices: dict[str, int]  # person (the row's name) -> budget in amoCRM and in the sheet
    bad: set[str] = field(default_factory=set)  # rows that must be explained, never synced
    removed: set[str] = field(default_factory=set)  # rows deleted from the sheet: their leads stay
    statuses: dict[str, str] = field(default_factory=dict)  # person -> stage, when not the default
    default_status: str = "Первичный контакт"  # the stage new leads get, written back into the sheet


@dataclass
class Verdict:
    rows: int
    lost: int
    duplicated: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.lost and not self.duplicated and not self.problems


def _emails(contact: dict) -> list[str]:
    for f in contact.get("custom_fields_values") or []:
        if f.get("field_code") == "EMAIL":
            return [str(v.get("value", "")).lower() for v in f.get("values") or []]
    return []


def _stage_names(tenant: Tenant) -> dict[int, str]:
    account = tenant.product.amo.account(tenant.host)
    return {s["id"]: s["name"] for p in account["pipelines"] for s in p["statuses"]}


def verify(tenant: Tenant, expected: Expected) -> Verdict:
    leads, contacts = tenant.leads(), tenant.contacts()
    stages = _stage_names(tenant)
    _, table = tenant.table()
    errors = {e["key"] for e in tenant.errors()}
    lead_names = Counter(lead["name"] for lead in leads)
    by_id = {lead["id"]: lead for lead in leads}
    wanted = set(expected.prices) | expected.removed
    duplicated = sum(n - 1 for n in lead_names.values() if n > 1)
    duplicated += sum(n for name, n in lead_names.items() if name not in wanted)
    duplicated += sum(n - 1 for n in Counter(e for c in contacts for e in _emails(c)[:1]).values() if n > 1)
    lost, problems = 0, []
    rows_by_name: dict[str, list[dict]] = {}
    for r in table:
        if r.get("Имя"):
            rows_by_name.setdefault(str(r["Имя"]), []).append(r)
    for name, price in expected.prices.items():
        rows = rows_by_name.get(name, [])
        if len(rows) != 1:
            lost += 1
            problems.append(f"{name}: {len(rows)} rows in the sheet")
            continue
        row = rows[0]
        lead = by_id.get(_int(row.get("amo_lead_id")))
        if lead is None or lead["name"] != name:
            lost += 1
            problems.append(f"{name}: the row's lead id {row.get('amo_lead_id')!r} is not its lead")
            continue
        if lead["price"] != price or _int(row.get("Бюджет")) != price:
            lost += 1
            problems.append(
                f"{name}: budget amoCRM {lead['price']}, sheet {row.get('Бюджет')!r}, want {price}"
            )
        elif not str(row.get("amo_sync_status", "")).startswith(("✓", "conflict")):
            lost += 1
            problems.append(f"{name}: status cell {row.get('amo_sync_status')!r}")
        else:
            want = expected.statuses.get(name, expected.default_status)
            shown = (row.get("Статус"), stages.get(lead["status_id"]))
            if shown != (want, want):
                lost += 1
                problems.append(f"{name}: stage in the sheet / amoCRM {shown}, want {want!r}")
    for name in expected.bad:
        rows = rows_by_name.get(name, [])
        if len(rows) != 1 or not str(rows[0].get("amo_sync_status", "")).startswith("⚠"):
            lost += 1
            problems.append(f"bad row {name} is not explained in its status cell")
        elif rows[0].get("amo_sync_id") not in errors:
            lost += 1
            problems.append(f"bad row {name} is missing from the connection's error list")
    for name in expected.removed:
        if lead_names.get(name, 0) != 1:
            lost += 1
            problems.append(
                f"{name}: its row was deleted, and its lead must stay ({lead_names.get(name, 0)})"
            )
    return Verdict(len(expected.prices) + len(expected.bad), lost, duplicated, problems[:10])


def _int(value) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None
