"""Planner phases 3–4: which amoCRM contact each row shows, and every contact field resolved across all
rows that show the same contact.

A row shows its lead's main contact. New rows, and leads without a contact, find-or-create one: the
same e-mail is the same person; otherwise the same phone is, unless the e-mails or the names contradict
(a shared office phone is not one person). Candidates are existing contacts (oldest id first) and those
this plan creates, processed in row-key order so the result never depends on row order.

Imports only `sync/core/model.py`, `sync/core/resolve.py`, `sync/core/draft.py` and the standard library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from backend.sync.core.draft import Draft, keep_base
from backend.sync.core.model import (
    CONTACT_EMAIL,
    CONTACT_NAME,
    CONTACT_PHONE,
    AmoContact,
    AmoLead,
    Conflict,
    ContactUpdate,
    Direction,
    FieldRule,
    NewContact,
    Outcome,
    Side,
    Value,
)
from backend.sync.core.resolve import Member, resolve


def _fold(name: Value) -> str:
    return " ".join((name or "").casefold().split())


@dataclass
class _Group:
    gid: int | str  # an existing contact id or a "new:<key>" ref
    values: dict[str, Value]  # amoCRM's values (existing) — empty for a new contact
    updated_at: float
    keys: list[str] = field(default_factory=list)
    email: Value = None  # identity as known so far, for dedup
    phone: Value = None
    name: Value = None

    def learn(self, email: Value, phone: Value, name: Value) -> None:
        self.email = self.email or email
        self.phone = self.phone or phone
        self.name = self.name or name


class _Directory:
    """Contacts by e-mail and phone: existing ones (oldest id wins a tie) and those this plan creates."""

    def __init__(self) -> None:
        self.groups: dict[int | str, _Group] = {}
        self.by_email: dict[str, _Group] = {}
        self.by_phone: dict[str, _Group] = {}

    def add(self, group: _Group) -> _Group:
        self.groups.setdefault(group.gid, group)
        group = self.groups[group.gid]
        self.index(group)
        return group

    def index(self, group: _Group) -> None:
        if group.email:
            self.by_email.setdefault(group.email, group)
        if group.phone:
            self.by_phone.setdefault(group.phone, group)

    def match(self, email: Value, phone: Value, name: Value) -> _Group | None:
        if email and email in self.by_email:
            return self.by_email[email]
        group = self.by_phone.get(phone) if phone else None
        if group is None:
            return None
        if email and group.email and group.email != email:
            return None
        if name and group.name and _fold(name) != _fold(group.name):
            return None
        return group


def _existing(cid: int, values: Mapping[str, Value], updated_at: float) -> _Group:
    group = _Group(cid, dict(values), updated_at)
    group.learn(values.get(CONTACT_EMAIL), values.get(CONTACT_PHONE), values.get(CONTACT_NAME))
    return group


def group_contacts(
    contacts: Mapping[int, AmoContact],
    leads: Mapping[int, AmoLead],
    drafts: dict[str, Draft],
    contact_rules: list[FieldRule],
):
    directory = _Directory()
    for cid in sorted(contacts):
        contact = contacts[cid]
        directory.add(_existing(cid, contact.values, contact.updated_at))
    needs: list[Draft] = []
    for draft in drafts.values():  # rows whose lead already has a main contact
        if (
            draft.outcome in (Outcome.CREATE, Outcome.ERROR, Outcome.EMPTY, Outcome.DELETED_IN_AMO)
            or draft.lead_id is None
        ):
            if draft.outcome is Outcome.CREATE:
                needs.append(draft)
            continue
        lead = leads[draft.lead_id]
        if lead.contact_id is not None:
            cvals = {t: v for t, v in lead.values.items() if t.startswith("contact.")}
            group = directory.add(_existing(lead.contact_id, cvals, lead.contact_updated_at))
            group.keys.append(draft.row.key)
            draft.contact = group.gid
        elif any(
            draft.sheet_value(r.target) is not None
            for r in contact_rules
            if r.direction is not Direction.TO_SHEET
        ):
            needs.append(draft)
    for draft in sorted(needs, key=lambda x: x.row.key):
        email, phone, name = (
            None if t in draft.row.errors else draft.sheet_value(t)
            for t in (CONTACT_EMAIL, CONTACT_PHONE, CONTACT_NAME)
        )
        if not any(
            draft.sheet_value(r.target) is not None
            for r in contact_rules
            if r.direction is not Direction.TO_SHEET
        ):
            continue  # nothing to put in a contact: the lead is created without one
        group = directory.match(email, phone, name)
        if group is None:
            group = directory.add(_Group(f"new:{draft.row.key}", {}, 0.0))
        group.learn(email, phone, name)
        directory.index(group)
        group.keys.append(draft.row.key)
        draft.contact = group.gid
        draft.link_contact = draft.outcome is not Outcome.CREATE
    return directory.groups


SHARED = "shared contact"  # a Conflict.reason prefix: shown on the row, never applied


def _joins(draft: Draft, gid: int | str, target: str) -> bool:
    """The row does not own this field of this existing contact: it found the contact (by e-mail or
    phone, or by adopting its lead) and has no agreed value of the field. A row whose own lead a
    manager moved to another contact keeps its base: that change is amoCRM's, and the row follows it —
    but a value the person typed since was meant for the contact the row showed, not this one."""
    if isinstance(gid, str):
        return False
    if draft.outcome is Outcome.CREATE or draft.link_contact:
        return True
    if not (draft.entry is not None and draft.has_base and target in draft.entry.values):
        return True
    return _typed_for_another(draft, gid, target)


def _typed_for_another(draft: Draft, gid: int | str, target: str) -> bool:
    """A manager moved the row's lead to contact `gid`, and the row's value changed since it agreed with
    the contact before: that value (or its clearing) was meant for the other contact."""
    entry = draft.entry
    moved = entry is not None and entry.contact_id is not None and entry.contact_id != gid
    return moved and draft.has_base and draft.sheet_value(target) != entry.values.get(target)


def _base_is_of(draft: Draft, gid: int | str) -> bool:
    """The row's agreed contact values are this contact's. A field the run cannot settle (its cell is
    invalid) keeps its base only then: a base agreed with the contact the row showed before a manager
    moved its lead to this one says nothing of this contact's field, and kept, it would let the row's
    next value overwrite a contact it never agreed with as if it were its owner."""
    return isinstance(gid, str) or (draft.entry is not None and draft.entry.contact_id == gid)


def _member(draft: Draft, gid: int | str, target: str) -> Member:
    """A row's say in a contact field; one typed for another contact has no base here, as a joining row:
    an emptied cell takes the contact's value, a value fills an empty field, another value is held."""
    member = draft.member(target)
    return replace(member, b=None, has_base=False) if _typed_for_another(draft, gid, target) else member


def contact_fields(
    drafts: dict[str, Draft], contact_rules: list[FieldRule], groups: dict
) -> tuple[list[NewContact], list[ContactUpdate]]:
    """Every contact field across the rows that show the contact. A row that joins an existing contact
    may only fill its empty fields; where its value contradicts the contact's, the contact — shared with
    its other leads — is left as it is, the row's cell too, and the row shows the conflict (it has no
    base for that field, so it keeps showing it until a person settles it)."""
    new_contacts: list[NewContact] = []
    updates: list[ContactUpdate] = []
    for group in sorted(groups.values(), key=lambda group: str(group.gid)):
        if not group.keys:
            continue
        members = [drafts[k] for k in group.keys]
        push: dict[str, Value] = {}
        pushers: set[str] = set()
        for rule in contact_rules:
            amo = group.values.get(rule.target)
            valid = [draft for draft in members if rule.target not in draft.row.errors]
            held = [
                draft
                for draft in valid
                if rule.direction is not Direction.TO_SHEET
                and _joins(draft, group.gid, rule.target)
                and amo is not None
                and draft.sheet_value(rule.target) != amo
                and (draft.sheet_value(rule.target) is not None or rule.direction is Direction.TO_AMO)
            ]
            valid = [draft for draft in valid if draft not in held]
            res = resolve(
                rule, amo, [_member(draft, group.gid, rule.target) for draft in valid], group.updated_at
            )
            if res.final is None and amo is not None and held:
                # its owner empties a field a joining row holds another value of: joining fills empty
                # fields, so that value fills it now rather than on the next run (one run converges)
                value = min(held, key=lambda draft: draft.row.key).sheet_value(rule.target)
                valid += [draft for draft in held if draft.sheet_value(rule.target) == value]
                held = [draft for draft in held if draft.sheet_value(rule.target) != value]
                res = replace(res, final=value)
            if res.final != amo:
                push[rule.target] = res.final
                pushers.update(
                    draft.row.key for draft in valid if draft.sheet_value(rule.target) == res.final
                )
            for draft in members:
                if draft in held:
                    why = f"{SHARED}: amoCRM's contact {group.gid} holds another value and is not changed"
                    draft.conflicts.append(
                        Conflict(rule.target, draft.sheet_value(rule.target), amo, None, Side.AMO, why)
                    )
                    continue
                if draft not in valid:
                    if _base_is_of(draft, group.gid):
                        keep_base(draft, rule.target)
                    continue
                if draft.sheet_value(rule.target) != res.final:
                    draft.sheet_update[rule.target] = res.final
                    draft.cleared_sheet |= res.final is None
                draft.base[rule.target] = res.final
                if draft.row.key in res.conflicts:
                    draft.conflicts.append(res.conflicts[draft.row.key])
        if isinstance(group.gid, str):
            new_contacts.append(NewContact(group.gid, {t: v for t, v in push.items() if v is not None}))
        elif push:
            updates.append(ContactUpdate(group.gid, push, tuple(sorted(pushers))))
            for draft in members:
                draft.cleared_amo |= any(v is None for v in push.values())
        for draft in members:
            if draft.row.key in pushers and push:
                draft.contact_update = {t: v for t, v in push.items() if draft.sheet_value(t) == v}
    return new_contacts, updates
