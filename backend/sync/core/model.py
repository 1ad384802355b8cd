"""The sync vocabulary: frozen dataclasses and str-Enums shared by the planner, executor and jobs.

Owns the words, nothing else: what a sheet row, an amoCRM record and a ledger entry look like once
normalized, the per-field change classification, conflicts with their reason, and the plan (per-row
items + new contacts + counts + guard verdict). Imports only the standard library.

Values on both sides are *canonical strings* (or None for empty) produced by `sync/core/normalize.py`:
phones in E.164, e-mails lower-cased, money as an integer string, status as "pipeline_id:status_id",
responsible user as the user id. Equal canonical strings mean "the same value".

One name per type everywhere: `row` a SheetRow, `lead` an AmoLead, `entry` a LedgerEntry, `row_plan` a
RowPlan, `draft` the planner's Draft of one, `target` a field ("lead.price", "contact.cf:12").
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

Value = str | None  # a canonical value; None is an empty cell / unset field


class Side(StrEnum):
    SHEET = "sheet"
    AMO = "amo"


class Direction(StrEnum):
    BOTH = "both"
    TO_AMO = "to_amo"  # the sheet is the source of truth for this field
    TO_SHEET = "to_sheet"  # amoCRM is the source of truth for this field


class Policy(StrEnum):
    """Who wins when both sides changed a field differently since the last sync."""

    SHEET_WINS = "sheet_wins"
    AMO_WINS = "amo_wins"
    NEWEST = "newest"  # the later of the row's edit time and the field's own record's updated_at


class Change(StrEnum):
    """How one field moved since the last agreed value (base)."""

    NONE = "none"  # s == a (and the base may need refreshing)
    SHEET = "sheet"  # only the sheet moved: push s to amoCRM
    AMO = "amo"  # only amoCRM moved: write a to the sheet
    CONFLICT = "conflict"  # both moved to different values


class Outcome(StrEnum):
    """What happens to a row as a whole; the preview counts these."""

    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    ERROR = "error"  # a value in the row is invalid; the row waits for a fix
    DELETED_IN_AMO = "deleted_in_amo"  # its lead is gone; the row is marked, never deleted
    REMOVED_FROM_SHEET = "removed_from_sheet"  # its row is gone; nothing is deleted in amoCRM
    EMPTY = "empty"  # no mapped value at all: not a record yet


# Targets: what a sheet column maps to in amoCRM.
LEAD_NAME = "lead.name"
LEAD_PRICE = "lead.price"
LEAD_STATUS = "lead.status"
LEAD_RESPONSIBLE = "lead.responsible"
CONTACT_NAME = "contact.name"
CONTACT_PHONE = "contact.phone"
CONTACT_EMAIL = "contact.email"
STANDARD_TARGETS = (
    LEAD_NAME,
    LEAD_PRICE,
    LEAD_STATUS,
    LEAD_RESPONSIBLE,
    CONTACT_NAME,
    CONTACT_PHONE,
    CONTACT_EMAIL,
)


def fingerprint(values: Mapping[str, Value]) -> str | None:
    """What a row's values say, as a short digest of the non-empty ones; None when fewer than two (too
    little to tell two rows apart). Finds a row's agreed values again after they moved to another row
    without their key cells (a cut, or a sort of a range that left out the sync's columns)."""
    return digest(encoded_items(values))


def encoded_items(values: Mapping[str, Value]) -> list[str]:
    """The non-empty values, sorted, each as the JSON of its [target, value] pair."""
    return [json.dumps(item, ensure_ascii=False) for item in sorted(values.items()) if item[1] is not None]


def digest(parts: list[str]) -> str | None:
    """The fingerprint of values given as `encoded_items`: the digest of their JSON list, byte for byte
    `json.dumps(sorted items)` (the ledger's index stores these digests: the text must never change)."""
    if len(parts) < 2:
        return None
    return hashlib.blake2b(("[" + ", ".join(parts) + "]").encode(), digest_size=10).hexdigest()


def entity_of(target: str) -> str:
    """'lead' or 'contact' for a target such as 'lead.cf:123' or 'contact.email'."""
    return target.split(".", 1)[0]


@dataclass(frozen=True)
class FieldRule:
    """One mapped field as the planner sees it."""

    target: str
    direction: Direction = Direction.BOTH
    policy: Policy = Policy.NEWEST
    label: str = ""  # the column header, for human messages ("conflict on Budget: amo kept")

    @property
    def entity(self) -> str:
        return entity_of(self.target)


@dataclass(frozen=True, slots=True)  # slots: a first import holds 100,000 of them
class SheetRow:
    key: str
    row: int  # 0-based index of the row in the sheet's grid (header is usually 0)
    values: Mapping[str, Value]  # target -> canonical value, for every mapped field
    errors: Mapping[str, str] = field(default_factory=dict)  # target -> human reason the cell is invalid
    lead_id: int | None = None  # what the lead-id column says
    edited_at: float | None = None  # when a person last edited the row (onEdit), if known
    status: str = ""  # what the row's sync-status cell says now


@dataclass(frozen=True)
class AmoLead:
    lead_id: int
    values: Mapping[str, Value]  # target -> canonical value (lead fields and its main contact's)
    contact_id: int | None = None
    updated_at: float = 0.0  # the lead's own updated_at: "newest" for lead fields
    contact_updated_at: float = 0.0  # its main contact's updated_at: "newest" for contact fields


@dataclass(frozen=True)
class LedgerEntry:
    """The last state both sides agreed on for one row key: the base of the three-way comparison."""

    lead_id: int
    contact_id: int | None
    values: Mapping[str, Value]
    synced_at: float = 0.0


@dataclass(frozen=True)
class AmoContact:
    contact_id: int
    values: Mapping[str, Value]  # contact.* targets, canonical
    updated_at: float = 0.0


@dataclass(frozen=True)
class Conflict:
    target: str
    sheet: Value
    amo: Value
    base: Value
    winner: Side
    reason: str  # why this side won: the policy and, for NEWEST, which time was later


@dataclass(frozen=True)
class NewContact:
    ref: str  # "new:<row key>" of the first row that needs it; rows point at it by this ref
    values: Mapping[str, Value]  # contact.* targets


@dataclass(frozen=True)
class ContactUpdate:
    contact_id: int
    values: Mapping[str, Value]  # contact.* fields to push
    keys: tuple[str, ...]  # the rows whose values they are


@dataclass(frozen=True)
class RowPlan:
    key: str
    row: int | None  # None when the row is no longer in the sheet
    outcome: Outcome
    lead_id: int | None = None  # the lead this row is (or will be) linked to; None until created
    contact: int | str | None = None  # an existing contact id, a NewContact.ref, or None
    link_contact: bool = False  # link `contact` to the existing lead (it had no main contact)
    create_lead: Mapping[str, Value] | None = None  # lead.* fields of a lead to create
    lead_update: Mapping[str, Value] = field(default_factory=dict)  # lead.* fields to push
    contact_update: Mapping[str, Value] = field(default_factory=dict)  # contact.* values this row pushes
    sheet_update: Mapping[str, Value] = field(default_factory=dict)  # target -> value to write in the row
    base: Mapping[str, Value] = field(default_factory=dict)  # the ledger values once this row succeeds
    relink: bool = False  # write lead id and link cells (new lead, adopted or merged lead)
    conflicts: tuple[Conflict, ...] = ()
    errors: Mapping[str, str] = field(default_factory=dict)
    message: str = ""  # the row's sync-status text ("✓" gets a time stamp when written)
    mark: bool = False  # write `message` into the sync-status cell
    ledger_dirty: bool = False  # the ledger entry changes (new base, ids), even without actions

    @property
    def has_actions(self) -> bool:
        return bool(
            self.create_lead is not None
            or self.lead_update
            or self.contact_update
            or self.sheet_update
            or self.relink
            or self.link_contact
        )


@dataclass(frozen=True)
class Counts:
    rows: int = 0
    create: int = 0
    new_contacts: int = 0
    reused_contacts: int = 0
    update_amo: int = 0  # rows whose lead or contact gets new values
    update_sheet: int = 0  # rows whose cells get new values
    conflicts: int = 0
    errors: int = 0
    unchanged: int = 0
    deleted_in_amo: int = 0
    removed_from_sheet: int = 0
    cleared_in_amo: int = 0  # rows where a non-empty amoCRM value would be emptied
    cleared_in_sheet: int = 0  # rows where a non-empty cell would be emptied


@dataclass(frozen=True)
class Guard:
    """A named safety check between plan and execute. Tripped guards stop the run until confirmed."""

    name: str
    tripped: bool
    reason: str = ""


@dataclass(frozen=True)
class Plan:
    rows: tuple[RowPlan, ...]
    new_contacts: tuple[NewContact, ...]
    contact_updates: tuple[ContactUpdate, ...]
    counts: Counts
    guards: tuple[Guard, ...] = ()

    @property
    def needs_confirmation(self) -> bool:
        return any(guard.tripped for guard in self.guards)

    @property
    def actions(self) -> tuple[RowPlan, ...]:
        return tuple(row_plan for row_plan in self.rows if row_plan.has_actions)
