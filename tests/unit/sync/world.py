"""A tiny in-memory world (sheet rows, amoCRM leads and contacts, ledger) and a literal executor of
plans, so planner properties can be checked without I/O: plan -> apply -> plan again."""

from __future__ import annotations

from dataclasses import dataclass, field

from backend.sync.core.model import (
    AmoContact,
    AmoLead,
    FieldRule,
    LedgerEntry,
    Plan,
    SheetRow,
)
from backend.sync.core.planner import PlanInput, plan


@dataclass
class Row:
    key: str
    values: dict
    lead_id: int | None = None
    status: str = ""
    edited_at: float | None = None
    errors: dict = field(default_factory=dict)


@dataclass
class World:
    rules: tuple[FieldRule, ...]
    rows: list[Row] = field(default_factory=list)
    leads: dict[int, dict] = field(
        default_factory=dict
    )  # id -> {"values": {lead.*}, "contact": id, "updated_at"}
    contacts: dict[int, dict] = field(default_factory=dict)  # id -> {"values": {contact.*}, "updated_at"}
    ledger: dict[str, LedgerEntry] = field(default_factory=dict)
    defaults: dict = field(default_factory=dict)
    next_id: int = 1000
    clock: float = 1000.0
    deleted: set = field(default_factory=set)
    merged: dict = field(default_factory=dict)  # what amoCRM did; the planner is not told (its API is not)

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def tick(self) -> float:
        self.clock += 1
        return self.clock

    def amo_lead(self, lead_id: int) -> AmoLead:
        lead = self.leads[lead_id]
        values = dict(lead["values"])
        contact_updated = 0.0
        if lead["contact"] is not None:
            contact = self.contacts[lead["contact"]]
            values.update(contact["values"])
            contact_updated = contact["updated_at"]
        return AmoLead(lead_id, values, lead["contact"], lead["updated_at"], contact_updated)

    def plan_input(self, *, rows=None, full_scan=True, blast_radius=1.0) -> PlanInput:
        targets = [r.target for r in self.rules]
        source = self.rows if rows is None else rows
        return PlanInput(
            rules=self.rules,
            rows=tuple(
                SheetRow(
                    r.key,
                    i + 1,
                    {t: r.values.get(t) for t in targets},
                    dict(r.errors),
                    r.lead_id,
                    r.edited_at,
                    r.status,
                )
                for i, r in enumerate(source)
            ),
            leads={i: self.amo_lead(i) for i in self.leads if i not in self.deleted},
            ledger=dict(self.ledger),
            contacts={i: AmoContact(i, dict(c["values"]), c["updated_at"]) for i, c in self.contacts.items()},
            create_defaults=dict(self.defaults),
            full_scan=full_scan,
            blast_radius=blast_radius,
        )

    def plan(self, **kw) -> Plan:
        return plan(self.plan_input(**kw))

    def apply(self, p: Plan) -> None:
        """Execute a plan literally, as the real executor does against the APIs."""
        now = self.tick()
        ids: dict[str, int] = {}
        for nc in p.new_contacts:
            cid = self._id()
            self.contacts[cid] = {"values": dict(nc.values), "updated_at": now}
            ids[nc.ref] = cid
        for cu in p.contact_updates:
            self.contacts[cu.contact_id]["values"].update(cu.values)
            self.contacts[cu.contact_id]["updated_at"] = now
        by_key = {r.key: r for r in self.rows}
        for rp in p.rows:
            contact = ids.get(rp.contact, rp.contact) if isinstance(rp.contact, str) else rp.contact
            lead_id = rp.lead_id
            if rp.create_lead is not None:
                lead_id = self._id()
                values = {t: v for t, v in self.defaults.items() if t.startswith("lead.")}
                values.update(rp.create_lead)
                self.leads[lead_id] = {"values": values, "contact": contact, "updated_at": now}
            if rp.lead_update:
                self.leads[lead_id]["values"].update(rp.lead_update)
                self.leads[lead_id]["updated_at"] = now
            if rp.link_contact:
                self.leads[lead_id]["contact"] = contact
            row = by_key.get(rp.key)
            if row is not None:
                row.values.update(rp.sheet_update)
                if rp.relink or rp.create_lead is not None:
                    row.lead_id = lead_id
                if rp.mark:
                    row.status = rp.message
            if rp.ledger_dirty or rp.create_lead is not None:
                lead_contact = self.leads[lead_id]["contact"]
                self.ledger[rp.key] = LedgerEntry(lead_id, lead_contact, dict(rp.base), now)
