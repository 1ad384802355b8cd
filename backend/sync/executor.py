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
from backend.sync.core.fields import Context, contact_payload, lead_payload
from backend.sync.core.mapping import ColumnMapping
from backend.sync.core.model import LEAD_STATUS, ContactUpdate, LedgerEntry, Plan, RowPlan
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


def _writing(plan: Plan, rows: Mapping[str, RowPlan]) -> dict[str, dict[str, Any]]:
    """Row key -> the values this plan writes into amoCRM from that row, which the sheet already shows
    (not those it also writes into the sheet, as an undo does: until that write, the sheet shows the old
    value and a later run must still carry the new one over)."""
    out: dict[str, dict[str, Any]] = {}
    for row_plan in plan.rows:
        if row_plan.lead_update and row_plan.lead_id:
            out.setdefault(row_plan.key, {}).update(
                {t: v for t, v in row_plan.lead_update.items() if t not in row_plan.sheet_update}
            )
    for update in plan.contact_updates:
        for key in update.keys:
            shown = rows[key].sheet_update if key in rows else {}
            out.setdefault(key, {}).update({t: v for t, v in update.values.items() if t not in shown})
    return {key: values for key, values in out.items() if values}


def _creates(row_plan: RowPlan | None) -> bool:
    return row_plan is not None and row_plan.create_lead is not None


@dataclass
class Executor:
    amo: AmoClient
    ctx: Context
    mapping: ColumnMapping
    ledger: Ledger
    intents: Intents
    directory: ContactDirectory | None
    side: AmoSide
    progress: Progress = lambda phase, done, total: None
    clock: Callable[[], float] = time.time
    previous: Mapping[str, LedgerEntry] = field(default_factory=dict)  # the ledger the plan was made on

    def before_sheet(self, row_plan: RowPlan, contact_id: int | None = None) -> dict:
        """The row's new base, except fields still to be written into the sheet: those keep the
        previous base (or none, for a new row) until the sheet write succeeded. A contact field keeps
        none when the row is now on another contact (`contact_id`): the old value was agreed with the
        contact the lead had, and on this one the row has agreed nothing yet — else a cell the person
        emptied for the old contact would count as the owner's edit of the new one."""
        base = dict(row_plan.base)
        old = self.previous.get(row_plan.key)
        moved = old is not None and contact_id is not None and old.contact_id != contact_id
        for target in row_plan.sheet_update:
            if moved and target.startswith("contact."):
                base.pop(target, None)
            elif old is not None and target in old.values:
                base[target] = old.values[target]
            else:
                base.pop(target, None)
        return base

    def run(self, plan: Plan) -> ExecutionResult:
        out = ExecutionResult()
        rows = {row_plan.key: row_plan for row_plan in plan.rows}
        writing = _writing(plan, rows)
        self.ledger.put_inflight(writing)  # a run failing after amoCRM took them leaves them recognisable
        self._create_contacts(plan, out)
        # a contact that only rows still without a lead fill (they joined it by e-mail or phone) is
        # written once their leads exist: a run failing in between must not leave the values of rows
        # that never got a lead on a contact another row owns
        owned: list[ContactUpdate] = []
        fills: list[ContactUpdate] = []
        for update in plan.contact_updates:
            lead_less = update.keys and all(_creates(rows.get(k)) for k in update.keys)
            (fills if lead_less else owned).append(update)
        self._update_contacts(plan, out, owned)
        self._create_leads(plan, out)
        self._update_contacts(plan, out, [u for u in fills if any(k not in out.failed for k in u.keys)])
        self._update_leads(plan, out)
        self._link(plan, out)
        self._settle_ledger(plan, out)
        self.ledger.clear_inflight(writing)
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
                    by_index = {str(i): item["request_id"] for i, item in enumerate(batch)}
                    bad = {by_index.get(rid, rid) for rid in refused}
                    if not bad & {item["request_id"] for item in batch}:
                        # amoCRM did not say which: fail them all
                        bad = {item["request_id"] for item in batch}
                        refused = {rid: exc.detail for rid in bad}
                    for rid in bad:
                        reason = refused.get(rid) or next(
                            (v for k, v in refused.items() if by_index.get(k) == rid), exc.detail
                        )
                        out.failed[rid] = f"amoCRM refused it: {reason}"
                    batch = [item for item in batch if item["request_id"] not in bad]
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
            # contacts a crashed run made
            adopted = self.intents.adopted_contacts(new_contact.ref for new_contact in contacts)
            batch = [
                {**contact_payload(new_contact.values, self.ctx), "request_id": new_contact.ref}
                for new_contact in contacts
                if new_contact.ref not in adopted
            ]
            for payload in batch:
                payload.setdefault("name", "")
                payload.setdefault("_embedded", {})["tags"] = [row_tag(payload["request_id"])]
            t0 = self.clock()  # a crash after creating them finds them again by their tag
            self.intents.put("contact", [payload["request_id"] for payload in batch], t0)
            done = [{"id": cid, "request_id": ref} for ref, cid in adopted.items()]
            try:
                done += self._send("POST", "contacts", batch, out) if batch else []
            except AmbiguousWrite:
                found = self.intents.recover(self.amo, "contact")
                done += [
                    {"id": contact["id"], "request_id": ref}
                    for ref, contact in found.items()
                    if ref in {payload["request_id"] for payload in batch}
                ]
                missing = [payload for payload in batch if payload["request_id"] not in found]
                done += self._send("POST", "contacts", missing, out) if missing else []
            for contact in done:
                out.contact_ids[str(contact["request_id"])] = int(contact["id"])
            if self.directory is not None:
                by_ref = {payload["request_id"]: payload for payload in batch}
                self.directory.add(
                    (
                        {**by_ref[str(contact["request_id"])], "id": int(contact["id"])}
                        for contact in done
                        if str(contact["request_id"]) in by_ref
                    ),
                    canonical=True,
                )
            self.intents.done([payload["request_id"] for payload in batch] + list(adopted))
            created += len(done)
            self.progress("creating contacts", min((i + 1) * MAX_PAGE, total), total)
        out.bump("contacts_created", created)
        for ref in {new_contact.ref for new_contact in plan.new_contacts} - set(out.contact_ids):
            reason = out.failed.pop(ref, "amoCRM did not create the contact")
            for row_plan in plan.rows:
                if row_plan.contact == ref:
                    out.failed[row_plan.key] = reason

    def _contact_id(self, row_plan: RowPlan, out: ExecutionResult) -> int | None:
        if isinstance(row_plan.contact, str):
            return out.contact_ids.get(row_plan.contact)
        return row_plan.contact

    def _update_contacts(self, plan: Plan, out: ExecutionResult, updates: list[ContactUpdate]) -> None:
        items = []
        for update in updates:
            existing = self.side.raw_contacts.get(update.contact_id)
            items.append(
                {
                    "id": update.contact_id,
                    **contact_payload(update.values, self.ctx, existing),
                    "request_id": f"c{update.contact_id}",
                }
            )
        if not items:
            return
        self.progress("updating contacts", 0, len(items))
        self._send("PATCH", "contacts", items, out)
        for update in updates:
            reason = out.failed.pop(f"c{update.contact_id}", None)
            if reason:  # every row showing that contact failed
                for row_plan in plan.rows:
                    if row_plan.contact == update.contact_id:
                        out.failed[row_plan.key] = reason
        out.bump("contacts_updated", len(items))

    # --- leads ---------------------------------------------------------------------------------------

    def _lead_create_payload(self, row_plan: RowPlan, contact_id: int | None) -> dict[str, Any]:
        values = dict(row_plan.create_lead or {})
        payload = lead_payload(values, self.ctx)
        if LEAD_STATUS not in values or values[LEAD_STATUS] is None:
            payload["pipeline_id"] = self.mapping.pipeline_id
            if self.mapping.default_status_id:
                payload["status_id"] = self.mapping.default_status_id
        payload.setdefault("name", "")
        # the tag is what finds it again after an ambiguous create
        payload["_embedded"] = {"tags": [row_tag(row_plan.key)]}
        if contact_id:
            payload["_embedded"]["contacts"] = [{"id": contact_id, "is_main": True}]
        payload["request_id"] = row_plan.key
        return payload

    def _create_leads(self, plan: Plan, out: ExecutionResult) -> None:
        creates = [
            row_plan
            for row_plan in plan.rows
            if row_plan.create_lead is not None and row_plan.key not in out.failed
        ]
        if not creates:
            return
        by_key = {row_plan.key: row_plan for row_plan in creates}
        self.progress("creating leads", 0, len(creates))
        done = 0
        for rows in batches(creates):  # payloads per batch: an import's are never held at once
            batch = [
                self._lead_create_payload(row_plan, self._contact_id(row_plan, out)) for row_plan in rows
            ]
            t0 = self.clock()
            self.intents.put("lead", [payload["request_id"] for payload in batch], t0)
            try:
                created = self._send("POST", "leads", batch, out)
            except AmbiguousWrite:
                found = self.intents.recover(self.amo, "lead")
                created = [{"id": lead["id"], "request_id": key} for key, lead in found.items()]
                missing = [payload for payload in batch if payload["request_id"] not in found]
                if missing:
                    created += self._send("POST", "leads", missing, out)
            entries = {}
            for item in created:
                key = str(item["request_id"])
                row_plan = by_key[key]
                out.lead_ids[key] = int(item["id"])
                entries[key] = LedgerEntry(
                    int(item["id"]),
                    self._contact_id(row_plan, out),
                    self.before_sheet(row_plan),
                    self.clock(),
                )
            self.ledger.put_many(entries)  # before anything else can fail: the lead exists now
            out.settled.update((k, (entry.lead_id, entry.contact_id)) for k, entry in entries.items())
            self.intents.done([payload["request_id"] for payload in batch])
            done += len(batch)
            out.bump("leads_created", len(created))
            self.progress("creating leads", done, len(creates))

    def _update_leads(self, plan: Plan, out: ExecutionResult) -> None:
        items = [
            {
                "id": row_plan.lead_id,
                **lead_payload(row_plan.lead_update, self.ctx),
                "request_id": row_plan.key,
            }
            for row_plan in plan.rows
            if row_plan.lead_update and row_plan.lead_id and row_plan.key not in out.failed
        ]
        if items:
            self.progress("updating leads", 0, len(items))
            self._send("PATCH", "leads", items, out)
            out.bump("leads_updated", len(items))

    def _link(self, plan: Plan, out: ExecutionResult) -> None:
        links = []
        for row_plan in plan.rows:
            cid = self._contact_id(row_plan, out)
            if row_plan.link_contact and row_plan.lead_id and cid and row_plan.key not in out.failed:
                links.append(
                    {
                        "entity_id": row_plan.lead_id,
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
        for row_plan in plan.rows:
            if row_plan.create_lead is not None or row_plan.key in out.failed or not row_plan.lead_id:
                continue
            if row_plan.has_actions or row_plan.ledger_dirty:
                contact_id = self._contact_id(row_plan, out)
                entries[row_plan.key] = LedgerEntry(
                    row_plan.lead_id, contact_id, self.before_sheet(row_plan, contact_id), self.clock()
                )
        self.ledger.put_many(entries)
        out.settled.update((k, (entry.lead_id, entry.contact_id)) for k, entry in entries.items())
