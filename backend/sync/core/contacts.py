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
from dataclasses import dataclass, field

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
from backend.sync.core.resolve import resolve


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

    def add(self, g: _Group) -> _Group:
        self.groups.setdefault(g.gid, g)
        g = self.groups[g.gid]
        self.index(g)
        return g

    def index(self, g: _Group) -> None:
        if g.email:
            self.by_email.setdefault(g.email, g)
        if g.phone:
            self.by_phone.setdefault(g.phone, g)

    def match(self, email: Value, phone: Value, name: Value) -> _Group | None:
        if email and email in self.by_email:
            return self.by_email[email]
        g = self.by_phone.get(phone) if phone else None
        if g is None:
            return None
        if email and g.email and g.email != email:
            return None
        if name and g.name and _fold(name) != _fold(g.name):
            return None
        return g


def _existing(cid: int, values: Mapping[str, Value], updated_at: float) -> _Group:
    g = _Group(cid, dict(values), updated_at)
    g.learn(values.get(CONTACT_EMAIL), values.get(CONTACT_PHONE), values.get(CONTACT_NAME))
    return g


def group_contacts(
    contacts: Mapping[int, AmoContact],
    leads: Mapping[int, AmoLead],
    drafts: dict[str, Draft],
    contact_rules: list[FieldRule],
):
    directory = _Directory()
    for cid in sorted(contacts):
        c = contacts[cid]
        directory.add(_existing(cid, c.values, c.updated_at))
    needs: list[Draft] = []
    for d in drafts.values():  # rows whose lead already has a main contact
        if (
            d.outcome in (Outcome.CREATE, Outcome.ERROR, Outcome.EMPTY, Outcome.DELETED_IN_AMO)
            or d.lead_id is None
        ):
            if d.outcome is Outcome.CREATE:
                needs.append(d)
            continue
        al = leads[d.lead_id]
        if al.contact_id is not None:
            cvals = {t: v for t, v in al.values.items() if t.startswith("contact.")}
            g = directory.add(_existing(al.contact_id, cvals, al.contact_updated_at))
            g.keys.append(d.sr.key)
            d.contact = g.gid
        elif any(d.s(r.target) is not None for r in contact_rules if r.direction is not Direction.TO_SHEET):
            needs.append(d)
    for d in sorted(needs, key=lambda x: x.sr.key):
        email, phone, name = (
            None if t in d.sr.errors else d.s(t) for t in (CONTACT_EMAIL, CONTACT_PHONE, CONTACT_NAME)
        )
        if not any(d.s(r.target) is not None for r in contact_rules if r.direction is not Direction.TO_SHEET):
            continue  # nothing to put in a contact: the lead is created without one
        g = directory.match(email, phone, name)
        if g is None:
            g = directory.add(_Group(f"new:{d.sr.key}", {}, 0.0))
        g.learn(email, phone, name)
        directory.index(g)
        g.keys.append(d.sr.key)
        d.contact = g.gid
        d.link_contact = d.outcome is not Outcome.CREATE
    return directory.groups


SHARED = "shared contact"  # a Conflict.reason prefix: shown on the row, never applied


def _joins(d: Draft, gid: int | str, target: str) -> bool:
    """The row does not own this field of this existing contact: it found the contact (by e-mail or
    phone, or by adopting its lead) and has no agreed value of the field. A row whose own lead a
    manager moved to another contact keeps its base: that change is amoCRM's, and the row follows it."""
    if isinstance(gid, str):
        return False
    if d.outcome is Outcome.CREATE or d.link_contact:
        return True
    return not (d.le is not None and d.has_base and target in d.le.values)


def contact_fields(
    drafts: dict[str, Draft], contact_rules: list[FieldRule], groups: dict
) -> tuple[list[NewContact], list[ContactUpdate]]:
    """Every contact field across the rows that show the contact. A row that joins an existing contact
    may only fill its empty fields; where its value contradicts the contact's, the contact — shared with
    its other leads — is left as it is, the row's cell too, and the row shows the conflict (it has no
    base for that field, so it keeps showing it until a person settles it)."""
    new_contacts: list[NewContact] = []
    updates: list[ContactUpdate] = []
    for g in sorted(groups.values(), key=lambda g: str(g.gid)):
        if not g.keys:
            continue
        members = [drafts[k] for k in g.keys]
        push: dict[str, Value] = {}
        pushers: set[str] = set()
        for rule in contact_rules:
            a = g.values.get(rule.target)
            valid = [d for d in members if rule.target not in d.sr.errors]
            held = [
                d
                for d in valid
                if rule.direction is not Direction.TO_SHEET
                and _joins(d, g.gid, rule.target)
                and a is not None
                and d.s(rule.target) != a
                and (d.s(rule.target) is not None or rule.direction is Direction.TO_AMO)
            ]
            valid = [d for d in valid if d not in held]
            res = resolve(rule, a, [d.member(rule.target) for d in valid], g.updated_at)
            if res.final != a:
                push[rule.target] = res.final
                pushers.update(d.sr.key for d in valid if d.s(rule.target) == res.final)
            for d in members:
                if d in held:
                    why = f"{SHARED}: amoCRM's contact {g.gid} holds another value and is not changed"
                    d.conflicts.append(Conflict(rule.target, d.s(rule.target), a, None, Side.AMO, why))
                    continue
                if d not in valid:
                    keep_base(d, rule.target)
                    continue
                if d.s(rule.target) != res.final:
                    d.sheet_update[rule.target] = res.final
                    d.cleared_sheet |= res.final is None
                d.base[rule.target] = res.final
                if d.sr.key in res.conflicts:
                    d.conflicts.append(res.conflicts[d.sr.key])
        if isinstance(g.gid, str):
            new_contacts.append(NewContact(g.gid, {t: v for t, v in push.items() if v is not None}))
        elif push:
            updates.append(ContactUpdate(g.gid, push, tuple(sorted(pushers))))
            for d in members:
                d.cleared_amo |= any(v is None for v in push.values())
        for d in members:
            if d.sr.key in pushers and push:
                d.contact_update = {t: v for t, v in push.items() if d.s(t) == v}
    return new_contacts, updates
