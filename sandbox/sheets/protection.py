"""Protected ranges: `addProtectedRange` and the check every value write goes through.

A protected range (not `warningOnly`) may be edited only by the spreadsheet's owner, the user who
protected it and the users listed in its `editors`; anyone else gets Google's 400 "You are trying to
edit a protected cell or object…". The check covers values.* writes and updateCells/repeatCell.
Structural edits (insert/delete rows) are not checked, and protected ranges do not shift when rows
or columns are inserted or deleted (see README, "left out").
"""

from __future__ import annotations

import random
from typing import Any

from sandbox.sheets.a1 import GridRange
from sandbox.sheets.errors import bad_request
from sandbox.sheets.model import Principal, Spreadsheet

PROTECTED_MESSAGE = (
    "You are trying to edit a protected cell or object. "
    "Please contact the spreadsheet owner to remove protection if you need to edit."
)


def add(ss: Spreadsheet, body: dict, principal: Principal, rng: random.Random) -> dict[str, Any]:
    pr = dict(body.get("protectedRange") or {})
    if "namedRangeId" in pr or "tableId" in pr:
        raise bad_request("The sandbox supports protected ranges given by `range` only.")
    grid = GridRange.from_json(pr.get("range") or {"sheetId": ss.sheets[0].sheet_id})
    if ss.sheet_by_id(grid.sheet_id) is None:
        raise bad_request(f"No grid with id: {grid.sheet_id}")
    if "protectedRangeId" in pr:
        if any(p["protectedRangeId"] == pr["protectedRangeId"] for p in ss.protected):
            raise bad_request(f"A protected range with ID {pr['protectedRangeId']} already exists.")
    else:
        pr["protectedRangeId"] = rng.randint(1, 2**31 - 1)
    pr["range"] = grid.to_json()
    users = set((pr.get("editors") or {}).get("users") or [])
    if not pr.get("warningOnly"):
        users |= {ss.owner, principal.email}  # the owner and whoever protects it keep edit rights
        pr["editors"] = {**(pr.get("editors") or {}), "users": sorted(users)}
    ss.protected.append(pr)
    return {"protectedRange": {**pr, "requestingUserCanEdit": True}}


def check_write(ss: Spreadsheet, sheet_id: int, r0: int, r1: int, c0: int, c1: int, email: str) -> None:
    """Refuse a write into a protected box by someone who may not edit it."""
    if email == ss.owner or r1 <= r0 or c1 <= c0:
        return
    box = GridRange(sheet_id, r0, r1, c0, c1)
    for pr in ss.protected:
        if pr.get("warningOnly"):
            continue
        if email in ((pr.get("editors") or {}).get("users") or []):
            continue
        if GridRange.from_json(pr["range"]).intersects(box):
            raise bad_request(PROTECTED_MESSAGE)


def for_sheet(ss: Spreadsheet, sheet_id: int, email: str) -> list[dict[str, Any]]:
    out = []
    for pr in ss.protected:
        if pr["range"].get("sheetId", 0) == sheet_id:
            can_edit = email == ss.owner or email in ((pr.get("editors") or {}).get("users") or [])
            out.append({**pr, "requestingUserCanEdit": bool(pr.get("warningOnly")) or can_edit})
    return out
