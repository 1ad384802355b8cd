"""One connection as the checker sees it: the model tab, the model amoCRM account, the real Redis (ledger,
intents, history, contact directory), and the REAL sync run (`backend.sync.run._run_sync_locked`:
snapshot → planner → guards → executor → writeback) driven over them. Plus the oracle that judges every run.

The oracle keeps its own truth, independent of the ledger:
- `owner`: lead id -> the rid (the person's data row, see `sheet.py`) it was created for or adopted by;
- `made_by`: contact id -> the rid whose row created it;
- `agreed`: rid -> target -> (entity id, value) as both sides held it after the last run where they agreed.

Invariants (names as reported; docs in tests/model/README.md):
- one_lead_per_row      a rid never owns two live leads; the ledger never gives one lead to two keys
- amo_untouched         a run changes an amoCRM lead field only to the value the person typed in its own row
                        since the last agreed state
- shared_contact        a run changes a contact field only by a row that agreed with that contact before
                        and whose person changed it; a row joining a contact may only fill its empty fields
                        (also one its owner empties in the same run)
- sheet_untouched       a run writes a data cell only with its own lead's (or contact's) value, and only
                        when amoCRM moved since the last agreed state
- nothing_deleted       no run deletes, unlinks or replaces anything (leads, contacts, main contacts, rows)
- run_crashed           a run never fails except by the faults the checker injected
- quiet_agreement       after a quiet reconcile every row with data shows its own lead and agrees with it,
                        or its status says why (⚠); no row shows another row's lead without saying why
- undo_marks            a finished undo tags the leads the undone run created and marks their rows

An undo (`World.undo`, the real `sync/undo.py`) is a person's request to take back one run: the fields it
restores are that person's change, judged against what the undone run changed as this oracle saw it
(`_Diff`), never against the journal the product keeps.
"""

from __future__ import annotations

import contextlib
import random
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar
from unittest import mock

import redis

from backend.amocrm.errors import AmoError
from backend.errors import AppError
from backend.services import Services
from backend.settings import Settings
from backend.sheets.client import SheetsError
from backend.store.connections import Account as AccountRecord
from backend.store.connections import Connection
from backend.store.journal import Journal
from backend.store.ledger import Ledger
from backend.sync import columns, edit_answers, snapshot
from backend.sync import edit_run as edit_run_mod
from backend.sync import run as sync_run
from backend.sync import undo as undo_mod
from backend.sync.core import fields as fx
from backend.sync.core.mapping import ColumnMapping, ColumnRule
from backend.sync.core.model import (
    CONTACT_EMAIL,
    CONTACT_NAME,
    CONTACT_PHONE,
    LEAD_NAME,
    LEAD_PRICE,
    LEAD_STATUS,
    entity_of,
)
from tests.conftest import base_env
from tests.model.amo import PIPELINE, Account, ModelAmo
from tests.model.sheet import SYSTEM, Column, ModelGap, ModelSheets, Row, Tab
from tests.unit.sync.catalog_fixture import CATALOG

CONNECTION = "cmodel"
TARGETS = {
    "c_name": CONTACT_NAME,
    "c_phone": CONTACT_PHONE,
    "c_email": CONTACT_EMAIL,
    "c_deal": LEAD_NAME,
    "c_price": LEAD_PRICE,
    "c_stage": LEAD_STATUS,
}
HEADERS = {
    "c_name": "Name",
    "c_phone": "Phone",
    "c_email": "Email",
    "c_deal": "Deal",
    "c_price": "Budget",
    "c_stage": "Stage",
}
MODEL_IDS = {c: c for c in TARGETS}  # the model's column tags are the mapping's column ids
MAPPING = ColumnMapping(tuple(ColumnRule(c, HEADERS[c], t) for c, t in TARGETS.items()), pipeline_id=100)
CTX = fx.Context(CATALOG, 100, "RU")
LEAD_TARGETS = [t for t in TARGETS.values() if entity_of(t) == "lead"]
CONTACT_TARGETS = [t for t in TARGETS.values() if entity_of(t) == "contact"]
ERR = "!invalid"
MISSING = "!column missing"  # never equal to a value: a deleted column is not a person clearing cells


@dataclass(frozen=True)
class Violation:
    invariant: str
    detail: str


def settings_for(url: str) -> Settings:
    return Settings.from_env(base_env(url))


@dataclass
class World:
    redis: redis.Redis
    settings: Settings
    seed: int = 0
    tab: Tab = field(init=False)
    acct: Account = field(default_factory=Account)
    owner: dict[int, int] = field(default_factory=dict)
    made_by: dict[int, int] = field(default_factory=dict)
    agreed: dict[int, dict[str, tuple[int, Any]]] = field(default_factory=dict)
    pending_edits: dict[str, float] = field(default_factory=dict)
    edited_cols: dict[str, set[str]] = field(default_factory=dict)  # key -> columns edited since delivery
    sent_rid: dict[str, int] = field(default_factory=dict)  # key -> the row it was sent for
    violations: list[Violation] = field(default_factory=list)
    log: list[str] = field(default_factory=list)  # the readable steps of this sequence
    calls: list[tuple] = field(default_factory=list)  # (action, *args): the steps, to replay them
    # (entity id, target or "*") a manager changed within the judged step (end to end): not the run's doing
    exempt: set[tuple[int, str]] = field(default_factory=set)
    ctx: fx.Context = CTX
    runs: int = 0
    last_status: str = ""
    next_rid: int = 1
    next_addon_key: int = 0
    done: list[_Diff] = field(default_factory=list)  # journaled runs as this oracle saw them, oldest first
    diff: _Diff = field(default_factory=lambda: _Diff(""))  # what the run being judged changed
    undoing: _Undoing | None = None  # set while an undo is judged
    # a row copied with its key cells: copy rid -> (original rid, the key) until a run gives the key to one
    twins: dict[int, tuple[int, str]] = field(default_factory=dict)
    # a synced row's data cut into a new row, no run since: rid -> the emptied row it came from (`recut`)
    cut_from: dict[int, Row] = field(default_factory=dict)
    # rows nothing tells apart are named as the sync names them (`dealt`, `actions.cut_data_only`)
    relabels: ClassVar[bool] = True

    def __post_init__(self) -> None:
        self.redis.flushdb()
        cols = [Column(c, HEADERS[c]) for c in TARGETS]
        cols.insert(2, Column(None, "Notes"))  # a person's own column, not mapped
        cols += [
            Column(role, header)
            for role, header in zip(
                SYSTEM, ("amo_sync_id", "amo_lead_id", "amo_link", "amo_sync_status"), strict=True
            )
        ]
        self.tab = Tab(cols)
        self.rng = random.Random(self.seed)  # the backend's key minting, made repeatable for shrinking
        self.svc = Services(self.settings, self.redis)

    # --- reading the model -----------------------------------------------------------------------------

    def cell_value(self, row: Row, cid: str) -> Any:
        target = TARGETS[cid]
        if self.tab.column(cid) is None:
            return MISSING
        p = fx.parse_cell(target, self.tab.get(row, cid), self.ctx)
        return (ERR, str(self.tab.get(row, cid))) if p.error else p.value

    def row_values(self, row: Row) -> dict[str, Any]:
        return {t: self.cell_value(row, c) for c, t in TARGETS.items()}

    def row_of(self, rid: int) -> Row | None:
        return next((r for r in self.tab.rows if r.rid == rid), None)

    def lead_of(self, rid: int) -> int | None:
        live = [lid for lid, r in self.owner.items() if r == rid and lid in self.acct.leads]
        return live[0] if live else None

    def amo_values(self, lid: int, leads=None, contacts=None) -> dict[str, Any]:
        leads = self.acct.leads if leads is None else leads
        contacts = self.acct.contacts if contacts is None else contacts
        lead = leads[lid]
        out = fx.lead_values(lead, LEAD_TARGETS, self.ctx)
        cid = _main(lead)
        out |= fx.contact_values(contacts.get(cid) if cid else None, CONTACT_TARGETS, self.ctx)
        return out

    def entity(self, lid: int, target: str, leads=None) -> int | None:
        leads = self.acct.leads if leads is None else leads
        return lid if entity_of(target) == "lead" else _main(leads[lid])

    def has_data(self, row: Row) -> bool:
        return any(str(self.tab.get(row, c)).strip() for c in TARGETS)

    # --- the add-on's side of a person's edit --------------------------------------------------------

    def edited(self, row: Row, columns: tuple[str, ...] | None = None) -> None:
        """onEdit: a row without a key gets one (the add-on's format), and the edit is queued. `columns`:
        the mapped columns the edit touched (None: a whole row pasted)."""
        if row.rid is None:
            row.rid, self.next_rid = self.next_rid, self.next_rid + 1
        self.recut(row)
        if self.tab.column("key") is None:
            return  # the add-on finds no key column and sends nothing
        key = str(self.tab.get(row, "key")).strip()
        if not key:
            self.next_addon_key += 1
            key = f"r{self.next_addon_key:012d}"
            self.tab.put(row, "key", key)
        self.acct.clock += 0.25
        self.pending_edits[key] = self.acct.clock
        self.redis.hset(f"edited-at:{CONNECTION}", key, self.acct.clock)
        self.edited_cols.setdefault(key, set()).update(TARGETS if columns is None else columns)
        self.sent_rid[key] = row.rid

    def _as_sent(self, key: str) -> dict | None:
        """A queued row as the add-on sends it (addon/lib/rows.js `refresh`, read right before it goes):
        every mapped column it finds, by column id, and which of them the edits since the last delivery
        touched (`Outbox.merge`); none when its key is gone or stands in more than one row (only a read of
        the whole sheet tells a copy from its original)."""
        return sent_row(self.tab, key, MODEL_IDS, self.edited_cols.get(key, ()), self.pending_edits[key])

    def dealt(self, homes: Mapping[int, int | None] | None = None) -> None:
        """A sort of the data columns alone dealt the rows' data to other rows' key cells. Between two
        synced rows the sync knows as one — the same agreed values in the ledger and here, each key on
        one row showing its lead, nothing in flight — which row's data went where is nothing anyone can
        see: the sheet after the sort is one the person could have typed into the rows where they were.
        The oracle then names the data on such a row's key cells as the row those cells are the key of
        (swapping the two names), so an edit made before the sort is judged as typed where it lands.
        So too between a row no run has synced yet and a synced row whose data, where the sort put it,
        holds one of its agreed values at most (one value is no evidence): the sheet is the same as after
        typing each row's data over the other's. `homes`: the rid each row had before the sort (key cells
        stay where they are)."""
        if not self.relabels:
            return
        keyed, same = self._sync_twins()
        self._unsynced_homes(keyed, same, homes or {})
        thin = {rid for rid, known in same.items() if known != UNSYNCED and self._evidence(rid, known) <= 1}

        def alike(a: int, b: int) -> bool:
            if same.get(a) is None or same.get(b) is None:
                return False
            return same[a] == same[b] != UNSYNCED or (UNSYNCED in (same[a], same[b]) and bool({a, b} & thin))

        changed = True
        while changed:
            changed = False
            for row in self.tab.rows:
                data, home = row.rid, keyed.get(id(row))
                if data is None or home is None or data == home or same.get(data) is None:
                    continue
                holder = self.row_of(home)
                if holder is None or not alike(data, home):
                    continue
                holder.rid, row.rid = data, home
                changed = True

    def recut(self, row: Row) -> None:
        """A row holding a synced row's data cut into it (`actions.cut_data_only`), edited before any run,
        that shows one of that row's agreed values at most now: nothing ties it to that row any more (one
        value is no evidence) and the sheet is the same as after clearing the row and typing the values
        into a new one. The emptied row is that row again, and this one a new one."""
        src = self.cut_from.get(row.rid) if row.rid is not None and self.relabels else None
        if src is None or src.rid is not None or not any(src is r for r in self.tab.rows):
            return
        known = [tuple((t, v) for t, (_, v) in self.agreed.get(row.rid, {}).items())]
        lid = self.lead_of(row.rid)
        ledger = Ledger(self.redis, CONNECTION)
        if lid is not None and (key := ledger.keys_for_leads([lid]).get(lid)):
            entry = ledger.get_many([key]).get(key)
            known.append(tuple(entry.values.items()) if entry is not None else ())
        if self._evidence(row.rid, known) <= 1:
            del self.cut_from[row.rid]
            src.rid, row.rid, self.next_rid = row.rid, self.next_rid, self.next_rid + 1

    def untied(self, row: Row) -> None:
        """The row's key cell was cleared. Where it shows no lead id either and its lead's agreed values
        in the ledger are one value at most (a first run that created the lead failed before writing
        its id), nothing ties the row to that lead — one value is no evidence — and the sheet is the
        same as after deleting the row and typing that value into a new one: a new row here too."""
        if not self.relabels or row.rid is None or row.rid in self._copies():
            return
        lid = self.lead_of(row.rid)
        if lid is None or str(self.tab.get(row, "lead_id")).strip():
            return
        ledger = Ledger(self.redis, CONNECTION)
        key = ledger.keys_for_leads([lid]).get(lid)
        entry = ledger.get_many([key]).get(key) if key else None
        if entry is not None and sum(v is not None for v in entry.values.values()) <= 1:
            row.rid, self.next_rid = self.next_rid, self.next_rid + 1

    def _sync_twins(self) -> tuple[dict[int, int], dict[int, Any]]:
        """Which rid each row's key cells are the key of (by row object id), and rid -> what the sync and
        this oracle know of that row (only rids that can swap names)."""
        ledger = Ledger(self.redis, CONNECTION)
        entries = ledger.all()
        inflight = ledger.inflight(entries)
        counts = Counter(str(self.tab.get(row, "key")).strip() for row in self.tab.rows)
        copies = self._copies()
        keyed: dict[int, int] = {}
        same: dict[int, Any] = {}
        for row in self.tab.rows:
            key = str(self.tab.get(row, "key")).strip()
            entry = entries.get(key)
            if entry is None or counts[key] != 1 or key in inflight:
                continue
            rid = self.owner.get(entry.lead_id)
            gone = entry.lead_id not in self.acct.leads and self.lead_of(rid) is None  # merged or deleted
            if (
                rid is None
                or rid in copies
                or (self.lead_of(rid) != entry.lead_id and not gone)
                or str(self.tab.get(row, "lead_id")).strip() != str(entry.lead_id)
            ):
                continue
            if rid in same:  # two keys of one lead (one_lead_per_row says so): neither is named
                del same[rid]
                continue
            keyed[id(row)] = rid
            agreed = {t: v for t, (_, v) in sorted(self.agreed.get(rid, {}).items())}
            same[rid] = (tuple(sorted(entry.values.items())), tuple(agreed.items()))
        return keyed, same

    def _unsynced_homes(
        self, keyed: dict[int, int], same: dict[int, Any], homes: Mapping[int, int | None]
    ) -> None:
        """Rows no run has synced yet, added to `_sync_twins`' answer: the rid whose key cells each row
        holds (by `homes`) and, for that rid, `UNSYNCED`."""
        entries = Ledger(self.redis, CONNECTION).get_many(
            k for row in self.tab.rows if (k := str(self.tab.get(row, "key")).strip())
        )
        counts = Counter(str(self.tab.get(row, "key")).strip() for row in self.tab.rows)
        copies = self._copies()
        for row in self.tab.rows:
            rid, key = homes.get(id(row)), str(self.tab.get(row, "key")).strip()
            if id(row) in keyed or rid is None or not key or counts[key] != 1 or key in entries:
                continue
            if rid in copies or self.lead_of(rid) is not None or rid in same:
                continue
            keyed[id(row)] = rid
            same[rid] = UNSYNCED

    def _evidence(self, rid: int, known: Any) -> int:
        """How many of a synced row's agreed values (the ledger's, and this oracle's) its data shows."""
        row = self.row_of(rid)
        if row is None:
            return 0
        shown = self.row_values(row)
        return max(sum(v is not None and shown.get(t) == v for t, v in part) for part in known)

    def _copies(self) -> set[int]:
        """Rows copied with their key cells and their originals, while they are twins."""
        return set(self.twins) | {src for src, _ in self.twins.values()}

    # --- one sync run -----------------------------------------------------------------------------------

    def parts(self, amo: ModelAmo, sheets: ModelSheets) -> sync_run.Parts:
        conn = Connection(CONNECTION, "sheet-1", 0, "Deals", 1, MAPPING.to_json())
        return sync_run.Parts(conn, AccountRecord(1, CATALOG.host), MAPPING, CTX, amo, sheets)

    @contextlib.contextmanager
    def _keys(self) -> Iterator[None]:
        with mock.patch.object(snapshot.secrets, "token_bytes", self.rng.randbytes):
            yield

    def run(
        self,
        kind: str,
        *,
        keys=None,
        lead_ids=(),
        contact_ids=(),
        confirm: bool = False,
        amo_fault: tuple[int, str] | None = None,
        sheets_fault: int | None = None,
        meanwhile: Callable[[], None] | None = None,
    ) -> str:
        """Run the real sync once and judge it. Returns the run's status ("failed" for an injected fault)."""
        ids = (set(lead_ids), set(contact_ids))
        return self._drive(
            kind,
            lambda p: sync_run._run_sync_locked(
                self.svc, p, kind, False, confirm, keys, *ids, lambda *a: None
            ),
            amo_fault=amo_fault,
            sheets_fault=sheets_fault,
            meanwhile=meanwhile,
        )

    def run_edits(self, keys: list[str], *, amo_fault: tuple[int, str] | None = None) -> str:
        """The add-on's edit delivery as production takes it (`jobs.apply_sheet_edits`): the rows sent with
        their values are planned from those values, no sheet read (`sync/edit_run.py`), and the add-on
        writes the answered cells into the rows by key; rows that run leaves to a read of the sheet, and
        rows sent without values, then go to a run that reads it. Each of the two runs is judged."""
        sent = {k: self._as_sent(k) for k in keys}
        rows = {k: r for k, r in sent.items() if r is not None}
        later = {k for k, r in sent.items() if r is None}
        if rows and columns.header_problems(sent_headers(self.tab, MODEL_IDS), MAPPING):
            later |= set(rows)  # the edits endpoint takes no values under a header changed since the mapping
            rows = {}
        status = "finished"
        if rows:
            deferred: dict[str, float] = {}
            status = self._drive("edits", lambda p: self._edit_run(p, rows, deferred), amo_fault=amo_fault)
            if status == "failed":
                return status
            later |= set(deferred)
        if later:
            status = self.run("edits", keys=sorted(later), amo_fault=None if rows else amo_fault)
        return status

    def _edit_run(self, p: sync_run.Parts, rows: dict[str, dict], deferred: dict[str, float]):
        waiter = edit_answers.Waiter(self.redis, CONNECTION, {k: r["edited_at"] for k, r in rows.items()})
        try:
            with mock.patch.object(edit_run_mod, "parts", lambda svc, connection_id: p):
                report = edit_run_mod.run_edits(
                    self.svc, CONNECTION, take=lambda: rows, defer=deferred.update
                )
        finally:
            answers, _ = waiter.close()
        for key, answer in answers.items():  # addon/Edits.js `writeAnswers_`, under the document lock
            row = self._answered_row(key, rows[key]["row"])
            if row is None:  # deleted, or its key cell gone: nothing to write into
                continue
            for tag, value in answer_writes(self.tab, row, answer["cells"], rows[key]["values"], {}):
                self.tab.put(row, tag, value)
        return report

    def _answered_row(self, key: str, guess: int) -> Row | None:
        """Where the add-on finds an answered row: where it was, else the first row with its key."""
        rows = self.tab.rows
        if self.tab.column("key") is None:
            return None
        if 2 <= guess < len(rows) + 2 and str(self.tab.get(rows[guess - 2], "key")).strip() == key:
            return rows[guess - 2]
        return next((r for r in rows if str(self.tab.get(r, "key")).strip() == key), None)

    def undo(
        self,
        run_id: str,
        stage: int | None,
        *,
        confirm: bool = False,
        amo_fault: tuple[int, str] | None = None,
    ) -> str:
        """A person undoes journaled run `run_id` (the real `sync/undo.py` over the same model clients:
        its lock, its journal, its executor and writeback), judged like a run, with what the undone run
        changed (as this oracle saw it) as the person's request."""
        done = next((d for d in self.done if d.run_id == run_id), None)
        self.undoing = _Undoing(done, None if stage is None else f"{PIPELINE}:{stage}")

        def call(p: sync_run.Parts):
            with mock.patch.object(undo_mod, "parts", lambda svc, connection_id: p):
                return undo_mod.undo_run(self.svc, CONNECTION, run_id, stage=stage, confirm=confirm)

        try:
            return self._drive("undo", call, amo_fault=amo_fault)
        finally:
            self.undoing = None

    def _drive(
        self,
        kind: str,
        call: Callable[[sync_run.Parts], Any],
        *,
        amo_fault: tuple[int, str] | None = None,
        sheets_fault: int | None = None,
        meanwhile: Callable[[], None] | None = None,
    ) -> str:
        amo = ModelAmo(
            self.acct, fail_at=amo_fault[0] if amo_fault else None, fault=amo_fault[1] if amo_fault else "5xx"
        )
        sheets = ModelSheets(self.tab, fail_at=sheets_fault)
        before = _Before(self)
        if meanwhile is not None:

            def agitate() -> None:
                meanwhile()
                before.sheet = self.tab.copy()  # the person's cells, as judged from here on

            sheets.before_key_reread = agitate
        self.runs += 1
        self.cut_from.clear()  # a run saw the cuts: what it made of them is judged from here on
        status = "failed"
        journal = Journal(self.redis, CONNECTION)
        newest = [m.run_id for m in journal.runs(limit=1)]
        self.diff = _Diff("")
        try:
            with self._keys():
                report = call(self.parts(amo, sheets))
            status = report.status
        except ModelGap:
            raise
        except (AmoError, SheetsError) as exc:
            if amo_fault is None and sheets_fault is None:
                self.flag("run_crashed", f"{kind}: {type(exc).__name__}: {exc}")
        except AppError as exc:  # the product stopped the run and says why (in its own words)
            status = f"stopped: {exc}"
        except Exception as exc:  # any other failure of a run is what the checker reports
            self.flag("run_crashed", f"{kind}: {type(exc).__name__}: {exc}")
        self.last_status = status
        self.judge(before)
        if self.undoing is not None and status == "finished":
            self._judge_undo_marks()
        journaled = [m.run_id for m in journal.runs(limit=1)]
        if journaled and journaled != newest:  # the run is in the journal: a person may undo it
            self.diff.run_id = journaled[0]
            self.done.append(self.diff)
        self.settle()
        return status

    def flag(self, invariant: str, detail: str) -> None:
        self.violations.append(Violation(invariant, detail))

    # --- the oracle ---------------------------------------------------------------------------------------

    def judge(self, before: _Before) -> None:
        self._settle_twins(before)
        self._adopt_created(before)
        self._judge_amo(before)
        self._judge_sheet(before)

    def _settle_twins(self, before: _Before) -> None:
        """A row copied with its key cells and its original are twins until a run gives the key to one of
        them: of two rows with one key, the one that agrees with the ledger keeps it (issue 13), the other
        becomes a new row. Which of two rows that were identical was "the original" is nothing a person can
        see, so the oracle takes the run's choice: when the copy kept the key, the two swap identities; when
        the original is deleted first, the copy is the original. Rows the run held as copies nothing tells
        apart stay twins, whichever of them keeps the key cell."""
        roots = {copy_rid: self._root(copy_rid) for copy_rid in self.twins}
        for copy_rid, (src_rid, key) in list(self.twins.items()):
            src, copy = self.row_of(src_rid), self.row_of(copy_rid)
            if src is None or copy is None:
                copy_key = str(self.tab.get(copy, "key")).strip() if copy is not None else None
                lead = self.lead_of(src_rid)
                shows_lead = self._shows_lead(copy, lead)
                if src is None and shows_lead and copy_key not in ("", key):
                    # its key cell cleared and a key minted since (a person typed into the row): what
                    # it shows of the synced row is its lead id, as with the cell left empty — the run
                    # that gives it that row's key back (or another lead) decides; an undo does not
                    continue
                del self.twins[copy_rid]
                if src is None and (copy_key == key or (copy_key == "" and shows_lead)):
                    # the original deleted before a run told them apart: the copy is all that is left
                    # of that row, key cells (or its lead id, the key cell cleared) and values; nothing
                    # shows it is not the original
                    copy.rid = src_rid
                    swap = {src_rid: copy_rid, copy_rid: src_rid}
                    before.sheet = {i: (swap.get(r, r), cells) for i, (r, cells) in before.sheet.items()}
                continue
            src_key, copy_key = (str(self.tab.get(r, "key")).strip() for r in (src, copy))
            if (src_key == key and copy_key == key) or all(map(self._held_copy, (src, copy))):
                continue  # not decided yet (no run placed keys, or the run held both rows)
            del self.twins[copy_rid]
            root = roots[copy_rid]
            if root != src_rid and (holder := self.row_of(root)) is not None:
                # a copy of a copy: the lead is the first original's, and a copy of a copy that alone kept
                # it is that original's row
                lead = self.lead_of(root)
                if self._shows_lead(copy, lead) and not any(self._shows_lead(r, lead) for r in (src, holder)):
                    holder.rid, copy.rid = copy_rid, root
                    swap = {root: copy_rid, copy_rid: root}
                    before.sheet = {i: (swap.get(r, r), cells) for i, (r, cells) in before.sheet.items()}
                    continue
            lead = self.lead_of(src_rid)
            shows_src, shows_copy = self._shows_lead(src, lead), self._shows_lead(copy, lead)
            # a row that alone kept the lead is that lead's row whichever key it carries (the synced row's
            # key given back to a copy; or, the original deleted, a copy of its older state keeping the
            # lead the ledger gives its key while a copy of its last state holds a key the ledger never
            # saw); where the lead tells nothing, the row that kept the key both carried
            if shows_copy != shows_src:
                copy_is_it = shows_copy
            else:
                copy_is_it = copy_key == key and src_key != key
            if copy_is_it:
                src.rid, copy.rid = copy_rid, src_rid
                swap = {src_rid: copy_rid, copy_rid: src_rid}
                before.sheet = {i: (swap.get(r, r), cells) for i, (r, cells) in before.sheet.items()}

    def _root(self, rid: int) -> int:
        """The first original of a chain of copies (a copy of a copy of ...)."""
        seen = {rid}
        while rid in self.twins and (src := self.twins[rid][0]) not in seen:
            rid = src
            seen.add(rid)
        return rid

    def _shows_lead(self, row: Row | None, lead: int | None) -> bool:
        return row is not None and lead is not None and str(self.tab.get(row, "lead_id")) == str(lead)

    def _held_copy(self, row: Row) -> bool:
        """The run held the row as one of copies that nothing tells apart (its key cleared or not)."""
        return "are copies of one synced row" in str(self.tab.get(row, "sync"))

    def _adopt_created(self, before: _Before) -> None:
        """Leads and contacts this run created belong to the row that held their request's key."""
        # rows a person deleted during the run still count: the lead was created while the row was there
        keyed = {str(self.tab.get(r, "key")).strip(): r for r in [*before.rows, *self.tab.rows]}
        for lid in sorted(set(self.acct.leads) - set(before.leads)):
            key = self.acct.created_for.get(lid, "")
            row = keyed.get(key)
            rid = row.rid if row is not None else None
            if rid is None and (gone := self.sent_rid.get(key)) is not None and self.row_of(gone) is None:
                # sent with its values, then deleted before the run: the lead is that deleted row's
                self.owner[lid] = gone
                self.diff.created[lid] = gone
                continue
            if rid is None:
                self.flag(
                    "one_lead_per_row",
                    f"lead {lid} was created for key {key!r}, which no row holds after the run "
                    "(its key cell was overwritten): the row will get a second lead",
                )
                continue
            other = self.lead_of(rid)
            if other is not None:
                self.flag("one_lead_per_row", f"row r{rid} got a second lead {lid} (it has lead {other})")
            self.owner[lid] = rid
            self.diff.created[lid] = rid
        for cid in sorted(set(self.acct.contacts) - set(before.contacts)):
            key = self.acct.created_for.get(cid, "").removeprefix("new:")
            row = keyed.get(key)
            if row is not None and row.rid is not None:
                self.made_by[cid] = row.rid
        ledger = Ledger(self.redis, CONNECTION).all()
        seen: dict[int, str] = {}
        for key, le in sorted(ledger.items()):
            if le.lead_id in seen:
                self.flag(
                    "one_lead_per_row",
                    f"the ledger gives lead {le.lead_id} to keys {seen[le.lead_id]} and {key}",
                )
            seen[le.lead_id] = key

    def _sheet_before(self, before: _Before, rid: int) -> dict[str, Any] | None:
        for r, cells in before.sheet.values():
            if r == rid:
                row = Row(cells, r)
                return self.row_values(row)
        return None

    def _judge_amo(self, before: _Before) -> None:
        for lid, old_lead in before.leads.items():
            if (lid, "*") in self.exempt:
                continue
            if lid not in self.acct.leads:
                self.flag("nothing_deleted", f"lead {lid} disappeared during a run")
                continue
            old = self.amo_values(lid, before.leads, before.contacts)
            new_lead = self.acct.leads[lid]
            if _main(old_lead) is not None and _main(new_lead) != _main(old_lead):
                self.flag(
                    "nothing_deleted",
                    f"lead {lid}: its main contact {_main(old_lead)} was replaced by {_main(new_lead)}",
                )
            now = fx.lead_values(new_lead, LEAD_TARGETS, self.ctx)
            for t in LEAD_TARGETS:
                if now[t] == old[t] or (lid, t) in self.exempt:
                    continue
                self.diff.amo[(lid, t)] = (old[t], now[t])
                if self._undone_amo(before, lid, t, old[t], now[t]):
                    continue
                rid = self.owner.get(lid)
                seen = self._sheet_before(before, rid) if rid is not None else None
                why = self._push_ok(rid, seen, t, lid, old[t], now[t], shared=False)
                if why:
                    self.flag("amo_untouched", f"lead {lid} {t}: {old[t]!r} -> {now[t]!r}: {why}")
        for cid, old_c in before.contacts.items():
            old = fx.contact_values(old_c, CONTACT_TARGETS, self.ctx)
            now = fx.contact_values(self.acct.contacts[cid], CONTACT_TARGETS, self.ctx)
            for t in CONTACT_TARGETS:
                if now[t] == old[t] or (cid, t) in self.exempt or (cid, "*") in self.exempt:
                    continue
                self.diff.amo[(cid, t)] = (old[t], now[t])
                if self._undone_amo(before, cid, t, old[t], now[t]):
                    continue
                whys = []
                showing = self._rids_showing(cid)
                # a row that agreed on the old value and shows the field empty now: its owner emptied it,
                # and a joining row may fill an empty field (the same run may do both)
                emptied = any(
                    self.agreed.get(rid, {}).get(t) == (cid, old[t])
                    and (seen := self._sheet_before(before, rid)) is not None
                    and seen[t] is None
                    for rid in showing
                )
                for rid in showing:
                    seen = self._sheet_before(before, rid)
                    why = self._push_ok(rid, seen, t, cid, old[t], now[t], shared=True, emptied=emptied)
                    if not why:
                        break
                    whys.append(f"r{rid}: {why}")
                else:
                    self.flag(
                        "shared_contact",
                        f"contact {cid} {t}: {old[t]!r} -> {now[t]!r}: "
                        + ("; ".join(whys) or "no row shows it"),
                    )

    def _rids_showing(self, cid: int) -> list[int]:
        return sorted(
            {
                rid
                for lid, rid in self.owner.items()
                if lid in self.acct.leads and _main(self.acct.leads[lid]) == cid
            }
        )

    def _push_ok(self, rid, seen, t, eid, old, new, *, shared: bool, emptied: bool = False) -> str:
        """Why a run may not have pushed `new` into entity `eid`'s field `t` ("" when it may)."""
        if rid is None or seen is None:
            return "no row of the sheet owns it"
        if seen[t] != new:
            return f"its row r{rid} shows {seen[t]!r}"
        agreed = self.agreed.get(rid, {}).get(t)
        if agreed == (eid, new):
            return f"its row r{rid} did not change since both held {new!r} (a manager's change was reverted)"
        if (
            shared
            and old is not None
            and not emptied
            and (agreed is None or agreed[0] != eid)
            and self.made_by.get(eid) != rid
        ):
            return (
                f"row r{rid} joined this contact and overwrote {old!r} (joining may only fill empty fields)"
            )
        return ""

    def _judge_sheet(self, before: _Before) -> None:
        data_uids = {self.tab.column(c).uid: TARGETS[c] for c in TARGETS if self.tab.column(c) is not None}
        by_id = dict(zip(self.tab.idents(), self.tab.rows, strict=True))
        for ident, (rid, cells) in before.sheet.items():
            row = by_id.get(ident)
            if row is None:
                self.flag("nothing_deleted", f"a row (r{rid}) disappeared during a run")
                continue
            for uid, t in data_uids.items():
                if row.cells.get(uid, "") == cells.get(uid, ""):
                    continue
                old = self.cell_value(Row(cells, rid), _cid(t))
                new = self.cell_value(row, _cid(t))
                if old == new:
                    continue
                if rid is not None:
                    self.diff.sheet[(rid, t)] = (old, new)
                    if self._undone_cell(before, rid, t, old, new):
                        continue
                why = self._write_ok(rid, t, new)
                if why:
                    self.flag("sheet_untouched", f"row r{rid} {t}: {old!r} -> {new!r}: {why}")
            for c in self.tab.columns:  # the run writes nothing into a person's own columns
                if c.tag is None and row.cells.get(c.uid, "") != cells.get(c.uid, ""):
                    self.flag(
                        "sheet_untouched",
                        f"row r{rid}: the run wrote {row.cells.get(c.uid)!r} into the person's column "
                        f"{c.header!r}",
                    )

    def _write_ok(self, rid: int | None, t: str, new: Any) -> str:
        if rid is None:
            return "the row holds no person's data"
        lid = self.lead_of(rid)
        if lid is None:
            return "the row has no lead of its own"
        eid = self.entity(lid, t)
        amo = self.amo_values(lid)[t]
        if amo != new:
            return f"its own lead {lid} holds {amo!r}"
        if self.agreed.get(rid, {}).get(t) == (eid, new):
            return "amoCRM did not change since both held that value (the person's edit was reverted)"
        return ""

    # --- an undo: a person's request to take back what one run changed ---------------------------------

    def _took_back(self, rid: int, eid: int, t: str, old: Any, new: Any) -> bool:
        """The undone run changed this field of row `rid` (on either side) from `new` to `old`."""
        done = self.undoing.done if self.undoing is not None else None
        if done is None:
            return False
        return (new, old) in (done.sheet.get((rid, t)), done.amo.get((eid, t)))

    def _undone_amo(self, before: _Before, eid: int, t: str, old: Any, new: Any) -> bool:
        """An undo may set an amoCRM field back to what the undone run found there — only where both
        sides still showed what that run left, or the row already shows the value restored (a field
        changed since is the newer person's: kept) — and move the leads that run created to the stage
        the person picked."""
        if self.undoing is None:
            return False
        u = self.undoing
        if t == LEAD_STATUS and u.done is not None and eid in u.done.created and new == u.stage:
            return True
        for rid in sorted({r for lid, r in self.owner.items() if lid in before.leads}):
            lid = self.lead_of(rid)
            if lid is None or lid not in before.leads or self.entity(lid, t, before.leads) != eid:
                continue
            seen = self._sheet_before(before, rid)
            # the row shows what that run left, or what the undo restores (that run changed amoCRM alone,
            # e.g. the stage of a lead it created whose row it could not tell: both sides agree after)
            if seen is not None and seen[t] in (old, new) and self._took_back(rid, eid, t, old, new):
                return True
        return False

    def _undone_cell(self, before: _Before, rid: int, t: str, old: Any, new: Any) -> bool:
        """The sheet side of the same: the cell goes back only if its lead still held what the undone run
        left; the row of a lead that run created shows the stage the lead was moved to."""
        if self.undoing is None or (lid := self.lead_of(rid)) is None or lid not in before.leads:
            return False
        u = self.undoing
        if t == LEAD_STATUS and u.done is not None and lid in u.done.created:
            return new == u.stage == self.amo_values(lid)[t]
        eid = self.entity(lid, t, before.leads)
        amo_before = self.amo_values(lid, before.leads, before.contacts)[t]
        return amo_before == old and self._took_back(rid, eid, t, old, new)

    def _judge_undo_marks(self) -> None:
        """A finished undo kept every lead the undone run created — tagged, and its row marked."""
        u = self.undoing
        if u.done is None:
            return
        for lid, rid in sorted(u.done.created.items()):
            if lid not in self.acct.leads:
                continue  # a manager deleted it since (nothing to tag); a run deleting it is nothing_deleted
            tags = {t["name"] for t in self.acct.leads[lid]["_embedded"].get("tags") or []}
            if undo_mod.UNDONE_TAG not in tags:
                self.flag("undo_marks", f"lead {lid}, created by the undone run, is not tagged")
            row = self.row_of(rid)
            key = self.acct.created_for.get(lid, "")
            if row is None or self.lead_of(rid) != lid or str(self.tab.get(row, "key")).strip() != key:
                continue  # the row is gone or lost the key its lead was created for: the undo cannot find it
            # a copy pasted with the key cells holds the key too, and an exact copy cannot be told from its
            # original (the sync's own rule, tests/model/known.py): the mark on either of them is the row's
            keyed = [r for r in self.tab.rows if str(self.tab.get(r, "key")).strip() == key]
            if not any(str(self.tab.get(r, "sync")).startswith("↶ undone") for r in keyed):
                self.flag(
                    "undo_marks",
                    f"row r{rid} of lead {lid} (created by the undone run) is not marked: "
                    f"{self.tab.get(row, 'sync')!r}",
                )

    def settle(self) -> None:
        """After a run: where a row and its own lead hold the same value, that is the new agreed state."""
        for row in self.tab.rows:
            if row.rid is None or (lid := self.lead_of(row.rid)) is None:
                continue
            sheet, amo = self.row_values(row), self.amo_values(lid)
            for t in TARGETS.values():
                if sheet[t] == amo[t]:
                    self.agreed.setdefault(row.rid, {})[t] = (self.entity(lid, t), amo[t])

    def check_quiet(self) -> None:
        """After a reconcile with no faults and nobody acting: both sides agree, or the row says why."""
        if self.last_status != "finished":
            return  # the run itself says why: a guard waits for a person, or the run stopped with a reason
        shown: dict[int, list[Row]] = {}
        for row in self.tab.rows:
            text = str(self.tab.get(row, "lead_id")).strip()
            if text.isdigit():
                shown.setdefault(int(text), []).append(row)
        for row in self.tab.rows:
            warned = str(self.tab.get(row, "sync")).startswith("⚠")
            if warned or row.rid is None or not self.has_data(row):
                continue
            lid = self.lead_of(row.rid)
            if lid is None:
                self.flag(
                    "quiet_agreement", f"row r{row.rid} has data but no lead, and its status says nothing"
                )
                continue
            if str(self.tab.get(row, "lead_id")).strip() != str(lid):
                self.flag(
                    "quiet_agreement",
                    f"row r{row.rid} shows lead id {self.tab.get(row, 'lead_id')!r}, its lead is {lid}",
                )
            sheet, amo = self.row_values(row), self.amo_values(lid)
            diff = {t: (sheet[t], amo[t]) for t in TARGETS.values() if sheet[t] not in (amo[t], MISSING)}
            if diff and not str(self.tab.get(row, "sync")).startswith("conflict"):
                self.flag(
                    "quiet_agreement",
                    f"row r{row.rid} and lead {lid} disagree on {diff}, and the row says nothing",
                )
        for lid, rows in shown.items():
            strangers = [
                r
                for r in rows
                if self.owner.get(lid) != r.rid and not str(self.tab.get(r, "sync")).startswith("⚠")
            ]
            if strangers and lid in self.acct.leads:
                self.flag(
                    "quiet_agreement",
                    f"lead {lid} (row r{self.owner.get(lid)}) is shown by row(s) "
                    f"{[r.rid for r in strangers]} without a warning",
                )


@dataclass
class _Diff:
    """What one run changed, as the oracle saw it (values as both sides' converters read them)."""

    run_id: str
    amo: dict[tuple[int, str], tuple[Any, Any]] = field(default_factory=dict)  # (lead/contact, target)
    sheet: dict[tuple[int, str], tuple[Any, Any]] = field(default_factory=dict)  # (rid, target)
    created: dict[int, int] = field(default_factory=dict)  # lead id -> rid


@dataclass
class _Undoing:
    done: _Diff | None  # None: a run this oracle did not see (nothing it changed may be taken back)
    stage: str | None  # "pipeline:status" the person picked for the leads it created


class _Before:
    """Both sides as they were when a run started."""

    def __init__(self, w: World):
        self.leads, self.contacts = w.acct.state()
        self.sheet = w.tab.copy()
        self.rows = list(w.tab.rows)


UNSYNCED = "unsynced"  # `_sync_twins`' mark of a row no run has synced


def _cell(v: Any) -> Any:
    """A cell as the add-on sends it (`Rows.cell`): empty as ""."""
    return "" if v is None else v


def sent_row(tab: Tab, key: str, ids: Mapping[str, str], edited, edited_at: float) -> dict | None:
    """The row of `key` as the add-on sends it when it reads it right before sending (addon/lib/rows.js
    `refresh`): each mapped column found, by its column id (`ids`: the tab's tag -> column id), the
    ones the edits touched, its lead id cell; None when the key is gone or stands in more than one row."""
    rows = [r for r in tab.rows if str(tab.get(r, "key")).strip() == key]
    if len(rows) != 1:
        return None
    row = rows[0]
    here = [c for c in TARGETS if c in ids and tab.column(c) is not None]
    sent = {"row": tab.rows.index(row) + 2, "values": {ids[c]: _cell(tab.get(row, c)) for c in here}}
    sent["edited"] = sorted(ids[c] for c in edited if c in here)
    sent["edited_at"] = edited_at
    if lead_id := str(tab.get(row, "lead_id") or "").strip():
        sent["lead_id"] = lead_id
    return sent


def sent_headers(tab: Tab, ids: Mapping[str, str]) -> dict[str, str]:
    """`Rows.headers`: the header row's text of each mapped column found (by column id) and of each of
    the sync's own columns, as the add-on sends them with the rows."""
    out = {ids[c.tag]: str(c.header).strip() for c in tab.columns if c.tag in ids}
    return out | {c.tag: str(c.header).strip() for c in tab.columns if c.tag in SYSTEM}


def answer_writes(
    tab: Tab, row: Row, cells: Mapping[str, Any], sent: Mapping[str, Any], tags: Mapping[str, str]
):
    """`Rows.answerWrites`: the (tab tag, value) cells of an answer to write into `row` — the sync's own
    always, a mapped one only while it still holds what was sent. `tags`: column id -> tab tag (missing:
    the same)."""
    for column, value in cells.items():
        tag = column if column in SYSTEM else tags.get(column, column)
        if tab.column(tag) is None:
            continue
        if column in SYSTEM or (column in sent and _cell(tab.get(row, tag)) == sent[column]):
            yield tag, value


def _main(lead: dict) -> int | None:
    contacts = (lead.get("_embedded") or {}).get("contacts") or []
    main = next((c for c in contacts if c.get("is_main")), contacts[0] if contacts else None)
    return int(main["id"]) if main else None


def _cid(target: str) -> str:
    return next(c for c, t in TARGETS.items() if t == target)
