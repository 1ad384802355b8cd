"""Developer metadata: create / update / delete (batchUpdate requests), get and search.

Owns DeveloperMetadataLookup matching (the intersection of the fields set; location EXACT or
INTERSECTING, INTERSECTING being the default), DOCUMENT vs PROJECT visibility (PROJECT entries are
visible only to callers of the project that created them; a lookup without visibility sees DOCUMENT
entries plus the caller's PROJECT ones), and the 30,000-character limits: the key + value characters of
spreadsheet-level entries may not exceed 30,000, nor may those of the entries located on any one sheet
(its SHEET, ROW and COLUMN entries). Row/column entries move with their row/column: see grid.py.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

from sandbox.sheets import a1, fieldmask
from sandbox.sheets.errors import ApiError, bad_request, not_found
from sandbox.sheets.model import Metadata, Spreadsheet

LIMIT_CHARS = 30_000
VISIBILITIES = ("DOCUMENT", "PROJECT")


def visible(meta: Metadata, project: str) -> bool:
    return meta.visibility == "DOCUMENT" or meta.project == project


def parse_location(ss: Spreadsheet, location: dict | None) -> tuple[str, int | None, int | None]:
    """A DeveloperMetadataLocation → (location_type, sheet_id, index), validated against the grid."""
    if not location:
        raise bad_request("Developer metadata must have a location.")
    if location.get("spreadsheet"):
        return "SPREADSHEET", None, None
    if "dimensionRange" in location:
        dr = location["dimensionRange"] or {}
        sheet = ss.sheet_by_id(int(dr.get("sheetId", 0)))
        if sheet is None:
            raise bad_request(f"No grid with id: {dr.get('sheetId', 0)}")
        dimension = dr.get("dimension")
        if dimension not in ("ROWS", "COLUMNS"):
            raise bad_request("dimensionRange.dimension must be ROWS or COLUMNS.")
        start, end = dr.get("startIndex"), dr.get("endIndex")
        if start is None or end is None or end - start != 1:
            raise bad_request(
                "Developer metadata can only be associated with a single row or column: "
                "the dimensionRange must be bounded and span exactly one row or column."
            )
        count = sheet.row_count if dimension == "ROWS" else sheet.column_count
        if not 0 <= start < count:
            raise bad_request(
                f"dimensionRange index {start} is outside the grid ({count} {dimension.lower()})."
            )
        return ("ROW" if dimension == "ROWS" else "COLUMN"), sheet.sheet_id, start
    if "sheetId" in location:
        sheet = ss.sheet_by_id(int(location["sheetId"]))
        if sheet is None:
            raise bad_request(f"No grid with id: {location['sheetId']}")
        return "SHEET", sheet.sheet_id, None
    raise bad_request("Developer metadata must have a location.")


def check_limits(ss: Spreadsheet) -> None:
    totals: dict[int | None, int] = {}
    for meta in ss.metadata.values():
        scope = None if meta.location_type == "SPREADSHEET" else meta.sheet_id
        totals[scope] = totals.get(scope, 0) + meta.chars
    for scope, total in totals.items():
        if total > LIMIT_CHARS:
            where = "the spreadsheet" if scope is None else f"sheet {_title(ss, scope)}"
            raise bad_request(
                f"Developer metadata on {where} would total {total} characters (keys plus values), "
                f"above the limit of {LIMIT_CHARS}."
            )


def _title(ss: Spreadsheet, sheet_id: int) -> str:
    sheet = ss.sheet_by_id(sheet_id)
    return f"'{sheet.title}' (id {sheet_id})" if sheet else str(sheet_id)


def create(ss: Spreadsheet, body: dict, project: str, rng: random.Random) -> dict[str, Any]:
    dm = body.get("developerMetadata") or {}
    key = dm.get("metadataKey")
    if not key:
        raise bad_request("Developer metadata must have a metadataKey.")
    visibility = dm.get("visibility")
    if visibility not in VISIBILITIES:
        raise bad_request("Developer metadata must have a visibility of DOCUMENT or PROJECT.")
    location_type, sheet_id, index = parse_location(ss, dm.get("location"))
    meta_id = dm.get("metadataId")
    if meta_id is not None:
        meta_id = int(meta_id)
        if meta_id <= 0:
            raise bad_request("metadataId must be positive.")
        if meta_id in ss.metadata:
            raise bad_request(f"Developer metadata with ID {meta_id} already exists.")
    else:
        meta_id = rng.randint(1, 2**31 - 1)
        while meta_id in ss.metadata:
            meta_id = rng.randint(1, 2**31 - 1)
    value = dm.get("metadataValue")
    meta = Metadata(
        meta_id,
        str(key),
        None if value is None else str(value),
        visibility,
        project,
        location_type,
        sheet_id,
        index,
    )
    ss.metadata[meta_id] = meta
    check_limits(ss)
    return {"developerMetadata": meta.to_api()}


def update(ss: Spreadsheet, body: dict, project: str) -> dict[str, Any]:
    filters = body.get("dataFilters") or []
    if not filters:
        raise bad_request("At least one data filter must be specified.")
    if not body.get("fields"):
        raise bad_request("At least one field must be specified.")
    wanted = fieldmask.paths(body["fields"])
    new = body.get("developerMetadata") or {}
    everything = "*" in wanted
    unknown = {p.split(".")[0] for p in wanted} - {
        "*",
        "metadataKey",
        "metadataValue",
        "visibility",
        "location",
    }
    if unknown:
        raise bad_request(f"Invalid field mask: {', '.join(sorted(unknown))} cannot be updated.")
    matched = _matching_any(ss, filters, project)
    updated = []
    for meta in matched:
        changes: dict[str, Any] = {}
        if everything or "metadataKey" in wanted:
            if not new.get("metadataKey"):
                raise bad_request("Developer metadata must have a metadataKey.")
            changes["key"] = str(new["metadataKey"])
        if everything or "metadataValue" in wanted:
            value = new.get("metadataValue")
            changes["value"] = None if value is None else str(value)
        if everything or "visibility" in wanted:
            if new.get("visibility") not in VISIBILITIES:
                raise bad_request("Developer metadata must have a visibility of DOCUMENT or PROJECT.")
            changes["visibility"] = new["visibility"]
        if everything or any(p.startswith("location") for p in wanted):
            location_type, sheet_id, index = parse_location(ss, new.get("location"))
            changes.update(location_type=location_type, sheet_id=sheet_id, index=index)
        ss.metadata[meta.metadata_id] = replace(meta, **changes)
        updated.append(ss.metadata[meta.metadata_id].to_api())
    check_limits(ss)
    return {"developerMetadata": updated}


def delete(ss: Spreadsheet, body: dict, project: str) -> dict[str, Any]:
    data_filter = body.get("dataFilter")
    if not data_filter:
        raise bad_request("A data filter must be specified.")
    deleted = []
    for meta in _matching_any(ss, [data_filter], project):
        deleted.append(meta.to_api())
        del ss.metadata[meta.metadata_id]
    return {"deletedDeveloperMetadata": deleted}


def get(ss: Spreadsheet, metadata_id: str, project: str) -> dict[str, Any]:
    try:
        meta = ss.metadata.get(int(metadata_id))
    except ValueError:
        raise bad_request(f"Invalid value at 'metadata_id' (TYPE_INT32), \"{metadata_id}\"") from None
    if meta is None or not visible(meta, project):
        raise not_found()
    return meta.to_api()


def search(ss: Spreadsheet, body: dict, project: str) -> dict[str, Any]:
    filters = body.get("dataFilters") or []
    matched: dict[int, list[dict]] = {}
    for data_filter in filters:
        for meta in matching(ss, data_filter, project):
            matched.setdefault(meta.metadata_id, []).append(data_filter)
    if not matched:
        return {}  # Google omits the empty list
    ordered = [m for m in ss.metadata.values() if m.metadata_id in matched]
    return {
        "matchedDeveloperMetadata": [
            {"developerMetadata": m.to_api(), "dataFilters": matched[m.metadata_id]} for m in ordered
        ]
    }


def _matching_any(ss: Spreadsheet, filters: list[dict], project: str) -> list[Metadata]:
    ids: set[int] = set()
    for data_filter in filters:
        ids.update(m.metadata_id for m in matching(ss, data_filter, project))
    return [m for m in ss.metadata.values() if m.metadata_id in ids]


def matching(ss: Spreadsheet, data_filter: dict, project: str) -> list[Metadata]:
    """The visible metadata a DataFilter selects: by lookup, or located on an intersecting range."""
    metas = [m for m in ss.metadata.values() if visible(m, project)]
    if "developerMetadataLookup" in data_filter:
        lookup = data_filter["developerMetadataLookup"] or {}
        _validate_lookup(lookup)
        return [m for m in metas if _lookup_matches(ss, m, lookup, project)]
    grid = filter_range(ss, data_filter)
    return [m for m in metas if _location_in_range(m, grid)]


def filter_range(ss: Spreadsheet, data_filter: dict) -> a1.GridRange:
    """The grid range of an `a1Range` or `gridRange` DataFilter."""
    if "a1Range" in data_filter:
        return a1.parse_range(str(data_filter["a1Range"]), ss.sheet_refs()).grid
    if "gridRange" in data_filter:
        grid = a1.GridRange.from_json(data_filter["gridRange"] or {})
        if ss.sheet_by_id(grid.sheet_id) is None:
            raise bad_request(f"No grid with id: {grid.sheet_id}")
        return grid
    raise bad_request("A DataFilter must set one of a1Range, gridRange or developerMetadataLookup.")


def _location_in_range(meta: Metadata, grid: a1.GridRange) -> bool:
    if meta.sheet_id != grid.sheet_id:
        return False
    if meta.location_type == "SHEET":
        return True
    if meta.location_type == "ROW":
        return a1.GridRange(grid.sheet_id, meta.index, (meta.index or 0) + 1).intersects(grid)
    return a1.GridRange(grid.sheet_id, None, None, meta.index, (meta.index or 0) + 1).intersects(grid)


def _validate_lookup(lookup: dict) -> None:
    strategy = lookup.get("locationMatchingStrategy")
    if strategy and "metadataLocation" not in lookup:
        raise bad_request("locationMatchingStrategy requires a metadataLocation.")
    if strategy == "EXACT_LOCATION" and lookup.get("locationType"):
        raise bad_request("locationType must be unspecified when locationMatchingStrategy is EXACT_LOCATION.")
    if lookup.get("visibility") not in (None, *VISIBILITIES, "DEVELOPER_METADATA_VISIBILITY_UNSPECIFIED"):
        raise bad_request(f"Invalid visibility: {lookup.get('visibility')}")


def _lookup_matches(ss: Spreadsheet, meta: Metadata, lookup: dict, project: str) -> bool:
    if "metadataId" in lookup and int(lookup["metadataId"]) != meta.metadata_id:
        return False
    if "metadataKey" in lookup and lookup["metadataKey"] != meta.key:
        return False
    if "metadataValue" in lookup and lookup["metadataValue"] != meta.value:
        return False
    wanted_visibility = lookup.get("visibility")
    if wanted_visibility in VISIBILITIES and wanted_visibility != meta.visibility:
        return False
    location_type = lookup.get("locationType")
    if location_type and location_type != "DEVELOPER_METADATA_LOCATION_TYPE_UNSPECIFIED":
        if location_type != meta.location_type:
            return False
    if "metadataLocation" in lookup:
        exact = lookup.get("locationMatchingStrategy") == "EXACT_LOCATION"
        return _location_matches(ss, meta, lookup["metadataLocation"] or {}, exact)
    return True


def _location_matches(ss: Spreadsheet, meta: Metadata, location: dict, exact: bool) -> bool:
    if location.get("spreadsheet"):
        return meta.location_type == "SPREADSHEET"  # spreadsheet metadata intersects nothing else
    if meta.location_type == "SPREADSHEET":
        return False
    if "dimensionRange" in location:
        dr = location["dimensionRange"] or {}
        sheet_id = int(dr.get("sheetId", 0))
        if meta.sheet_id != sheet_id:
            return False
        kind = "ROW" if dr.get("dimension") == "ROWS" else "COLUMN"
        start, end = dr.get("startIndex", 0), dr.get("endIndex")
        if exact:
            return meta.location_type == kind and meta.index == start and end == start + 1
        if meta.location_type == "SHEET":
            return True
        if meta.location_type != kind:
            return True  # a column crosses every row, and a row every column
        return meta.index is not None and meta.index >= start and (end is None or meta.index < end)
    if "sheetId" in location:
        sheet_id = int(location["sheetId"])
        if exact:
            return meta.location_type == "SHEET" and meta.sheet_id == sheet_id
        return meta.sheet_id == sheet_id
    raise ApiError(400, "metadataLocation must set spreadsheet, sheetId or dimensionRange.")
