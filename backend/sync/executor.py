"""Execute a Plan against amoCRM in batches, then hand the sheet side to `writeback`.

Order: new contacts -> contact updates -> new leads -> lead updates -> links -> ledger -> sheet.
- Writes go 250 per call (`request_id` = row key); a batch amoCRM refuses for some items is resent
  without them, and those rows get amoCRM's reason in their status cell.
- Creates are recorded as intents first, carry their row's tag, and the ledger is written right after
  each create batch, so a crash or an ambiguous timeout never creates the same lead or contact twice
  (see `sync/intents.py`).
- The ledger moves only for rows whose amoCRM writes all succeeded; other rows stay as they were and the
  next run plans them again. Fields the run still has to write into the SHEET keep their previous base
  here (`before_sheet`); `run.py` moves them once the sheet write succeeded — a crash in between must
  not leave a base the sheet never showed (the next run would take the old cell for a sheet edit and
  revert amoCRM).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from backend.amocrm.client import MAX_PAGE, AmbiguousWrite, AmoClient, batches
from backend.amocrm.errors import AmoValidationError
from backend.store.contact_directory import ContactDirectory
from backend.store.ledger import Ledger
from backend.sync.core import fields as fx
from backend.sync.core.mapping import ColumnMapping
from backend.sync.core.model import LEAD_STATUS, LedgerEntry, Plan, RowPlan
from backend.sync.intents import Intents, row_tag
from backend.sync.snapshot import AmoSide

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


@dataclass
class ExecutionResult:
    """What actually happened, per row key."""

    lead_ids: dict[str, int] = field(default_factory=dict)  # created or adopted leads
    contact_ids: dict[str, int] = field(default_factory=dict)  # NewContact ref -> id
    failed: dict[str, str] = field(default_factory=dict)  # row key -> human reason
    settled: dict[str, tuple[int, int | None]] = field(default_factory=dict)  # ledger moved: (lead, contact)
    counts: dict[str, int] = field(default_factory=dict)

    def bump(self, name: str, by: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + by


def _refused(exc: AmoValidationError) -> dict[str, str]:
    """request_id -> amoCRM's reason, from a validation-errors body."""
    out: dict[str, str] = {}
    for problem in exc.problems:
        rid = str(problem.get("request_id", ""))
        reason = f"{problem.get('path', '')}: {problem.get('detail') or problem.get('code', '')}".strip(": ")
        if rid:
            out[rid] = out.get(rid, "") + ("; " if rid in out else "") + reason
    return out


@dataclass
class Executor:
    amo: AmoClient
    ctx: fx.Context
    mapping: ColumnMapping
    ledger: Ledger
    intents: Intents
    directory: ContactDirectory | None
    side: AmoSide
    progress: Progress = lambda phase, done, total: None
    clock: Callable[[], float] = time.time
    previous: Mapping[str, LedgerEntry] = field(default_factory=dict)  # the ledger the plan was made on

    def before_sheet(self, rp: RowPlan) -> dict:
        """The row's new base, except fields still to be written into the sheet: those keep the
        previous base (or none, for a new row) until the sheet write succeeded."""
        base = dict(rp.base)
        old = self.previous.get(rp.key)
        for target in rp.sheet_update:
            if old is not None and target in old.values:
                base[target] = old.values[target]
            else:
                base.pop(target, None)
        return base

    def run(self, plan: Plan) -> ExecutionResult:
        out = ExecutionResult()
        rows = {rp.key: rp for rp in plan.rows}
        self._create_contacts(plan, out)
        self._update_contacts(plan, out, rows)
        self._create_leads(plan, out)
        self._update_leads(plan, out)
        self._link(plan, out)
        self._settle_ledger(plan, out)
        return out

    # --- batched writes with per-item refusals ---------------------------------------------------------

    def _send(self, method: str, entity: str, items: list[dict], out: ExecutionResult) -> list[dict]:
        """POST/PATCH items (each with request_id); refused items are marked failed, the rest resent."""
        results: list[dict] = []
        for batch in batches(items):
            while batch:
                try:
                    sent = self.amo.request(
                        method, f"/api/v4/{entity}", json=batch, idempotent=method == "PATCH"
                    )
                    results.extend((sent or {}).get("_embedded", {}).get(entity, []))
                    break
                except AmoValidationError as exc:
                    refused = _refused(exc)
                    by_index = {str(i): it["request_id"] for i, it in enumerate(batch)}
                    bad = {by_index.get(rid, rid) for rid in refused}
                    if not bad & {it["request_id"] for it in batch}:
                        bad = {it["request_id"] for it in batch}  # amoCRM did not say which: fail them all
                        refused = {rid: exc.detail for rid in bad}
                    for rid in bad:
                        reason = refused.get(rid) or next(
                            (v for k, v in refused.items() if by_index.get(k) == rid), exc.detail
                        )
                        out.failed[rid] = f"amoCRM refused it: {reason}"
                    batch = [it for it in batch if it["request_id"] not in bad]
        return results

    # --- contacts ------------------------------------------------------------------------------------

    def _create_contacts(self, plan: Plan, out: ExecutionResult) -> None:
        """Per batch: intents, the POST, the directory. Bookkeeping sits between two rate-limited calls,
        where the limiter would make the next one wait anyway."""
        if not plan.new_contacts:
            return
        total = len(plan.new_contacts)
        self.progress("creating contacts", 0, total)
        created = 0
        for i, contacts in enumerate(batches(list(plan.new_contacts))):  # payloads per batch, as leads
            adopted = self.intents.adopted_contacts(nc.ref for nc in contacts)  # a crashed run made them
            batch = [
                {**fx.contact_payload(nc.values, self.ctx), "request_id": nc.ref}
                for nc in contacts
                if nc.ref not in adopted
            ]
            for p in batch:
                p.setdefault("name", "")
                p.setdefault("_embedded", {})["tags"] = [row_tag(p["request_id"])]
            t0 = self.clock()  # a crash after creating them finds them again by their tag
            self.intents.put("contact", [p["request_id"] for p in batch], t0)
            done = [{"id": cid, "request_id": ref} for ref, cid in adopted.items()]
            try:
                done += self._send("POST", "contacts", batch, out) if batch else []
            except AmbiguousWrite:
                found = self.intents.recover(self.amo, "contact")
                done += [
                    {"id": c["id"], "request_id": ref}
                    for ref, c in found.items()
                    if ref in {p["request_id"] for p in batch}
                ]
                missing = [p for p in batch if p["request_id"] not in found]
                done += self._send("POST", "contacts", missing, out) if missing else []
            for c in done:
                out.contact_ids[str(c["request_id"])] = int(c["id"])
            if self.directory is not None:
                by_ref = {p["request_id"]: p for p in batch}
                self.directory.add(
                    (
                        {**by_ref[str(c["request_id"])], "id": int(c["id"])}
                        for c in done
                        if str(c["request_id"]) in by_ref
                    ),
                    canonical=True,
                )
            self.intents.done([p["request_id"] for p in batch] + list(adopted))
            created += len(done)
            self.progress("creating contacts", min((i + 1) * MAX_PAGE, total), total)
        out.bump("contacts_created", created)
        for ref in {nc.ref for nc in plan.new_contacts} - set(out.contact_ids):
            reason = out.failed.pop(ref, "amoCRM did not create the contact")
            for rp in plan.rows:
                if rp.contact == ref:
                    out.failed[rp.key] = reason

    def _contact_id(self, rp: RowPlan, out: ExecutionResult) -> int | None:
        if isinstance(rp.contact, str):
            return out.contact_ids.get(rp.contact)
        return rp.contact

    def _update_contacts(self, plan: Plan, out: ExecutionResult, rows: dict[str, RowPlan]) -> None:
        items = []
        for cu in plan.contact_updates:
            existing = self.side.raw_contacts.get(cu.contact_id)
            items.append(
                {
                    "id": cu.contact_id,
                    **fx.contact_payload(cu.values, self.ctx, existing),
                    "request_id": f"c{cu.contact_id}",
                }
            )
        if not items:
            return
        self.progress("updating contacts", 0, len(items))
        self._send("PATCH", "contacts", items, out)
        for cu in plan.contact_updates:
            reason = out.failed.pop(f"c{cu.contact_id}", None)
            if reason:  # every row showing that contact failed
                for rp in plan.rows:
                    if rp.contact == cu.contact_id:
                        out.failed[rp.key] = reason
        out.bump("contacts_updated", len(items))

    # --- leads ---------------------------------------------------------------------------------------

    def _lead_create_payload(self, rp: RowPlan, contact_id: int | None) -> dict[str, Any]:
        values = dict(rp.create_lead or {})
        p = fx.lead_payload(values, self.ctx)
        if LEAD_STATUS not in values or values[LEAD_STATUS] is None:
            p["pipeline_id"] = self.mapping.pipeline_id
            if self.mapping.default_status_id:
                p["status_id"] = self.mapping.default_status_id
        p.setdefault("name", "")
        p["_embedded"] = {"tags": [row_tag(rp.key)]}  # what finds it again after an ambiguous create
        if contact_id:
            p["_embedded"]["contacts"] = [{"id": contact_id, "is_main": True}]
        p["request_id"] = rp.key
        return p

    def _create_leads(self, plan: Plan, out: ExecutionResult) -> None:
        creates = [rp for rp in plan.rows if rp.create_lead is not None and rp.key not in out.failed]
        if not creates:
            return
        by_key = {rp.key: rp for rp in creates}
        self.progress("creating leads", 0, len(creates))
        done = 0
        for rows in batches(creates):  # payloads per batch: an import's are never held at once
            batch = [self._lead_create_payload(rp, self._contact_id(rp, out)) for rp in rows]
            t0 = self.clock()
            self.intents.put("lead", [p["request_id"] for p in batch], t0)
            try:
                created = self._send("POST", "leads", batch, out)
            except AmbiguousWrite:
                found = self.intents.recover(self.amo, "lead")
                created = [{"id": lead["id"], "request_id": key} for key, lead in found.items()]
                missing = [p for p in batch if p["request_id"] not in found]
                if missing:
                    created += self._send("POST", "leads", missing, out)
            entries = {}
            for item in created:
                key = str(item["request_id"])
                rp = by_key[key]
                out.lead_ids[key] = int(item["id"])
                entries[key] = LedgerEntry(
                    int(item["id"]), self._contact_id(rp, out), self.before_sheet(rp), self.clock()
                )
            self.ledger.put_many(entries)  # before anything else can fail: the lead exists now
            out.settled.update((k, (le.lead_id, le.contact_id)) for k, le in entries.items())
            self.intents.done([p["request_id"] for p in batch])
            done += len(batch)
            out.bump("leads_created", len(created))
            self.progress("creating leads", done, len(creates))

    def _update_leads(self, plan: Plan, out: ExecutionResult) -> None:
        items = [
            {"id": rp.lead_id, **fx.lead_payload(rp.lead_update, self.ctx), "request_id": rp.key}
            for rp in plan.rows
            if rp.lead_update and rp.lead_id and rp.key not in out.failed
        ]
        if items:
            self.progress("updating leads", 0, len(items))
            self._send("PATCH", "leads", items, out)
            out.bump("leads_updated", len(items))

    def _link(self, plan: Plan, out: ExecutionResult) -> None:
        links = []
        for rp in plan.rows:
            cid = self._contact_id(rp, out)
            if rp.link_contact and rp.lead_id and cid and rp.key not in out.failed:
                links.append(
                    {
                        "entity_id": rp.lead_id,
                        "to_entity_id": cid,
                        "to_entity_type": "contacts",
                        "metadata": {"is_main": True},
                    }
                )
        if links:
            self.amo.link("leads", links)
            out.bump("links", len(links))

    def _settle_ledger(self, plan: Plan, out: ExecutionResult) -> None:
        entries = {}
        for rp in plan.rows:
            if rp.create_lead is not None or rp.key in out.failed or not rp.lead_id:
                continue
            if rp.has_actions or rp.ledger_dirty:
                entries[rp.key] = LedgerEntry(
                    rp.lead_id, self._contact_id(rp, out), self.before_sheet(rp), self.clock()
                )
        self.ledger.put_many(entries)
        out.settled.update((k, (le.lead_id, le.contact_id)) for k, le in entries.items())
