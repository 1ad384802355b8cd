"""A minimal read-only HTML view of a spreadsheet: `/_sandbox/view/<id>` (and a list at `/`).

One table per sheet with column letters and row numbers, FORMATTED values as a person would see
them, formulas in the cell's tooltip, and rows/columns carrying developer metadata marked (hover to see
key = value). The sandbox page (a later issue) makes it editable; this view only reads.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from sandbox.sheets import a1, grid, render
from sandbox.sheets.locales import locale_of

bp = Blueprint("sheets_view", __name__, template_folder="templates")


@bp.get("/")
def home():
    st = current_app.extensions["sheets_sandbox"]
    with st.lock:
        items = list(st.spreadsheets.values())
    return render_template("sheets_view.html", title="Sheets sandbox", spreadsheets=items)


@bp.get("/_sandbox/view/<spreadsheet_id>")
def view(spreadsheet_id: str):
    st = current_app.extensions["sheets_sandbox"]
    with st.lock:
        ss = st.spreadsheets.get(spreadsheet_id)
        if ss is None:
            return "No such spreadsheet", 404
        sheet = ss.sheet_by_title(request.args.get("sheet", "")) or ss.sheets[0]
        used_rows, used_cols = grid.used_extent(sheet)
        n_rows, n_cols = max(used_rows + 2, 10), max(used_cols + 1, 6)
        n_rows, n_cols = min(n_rows, sheet.row_count), min(n_cols, sheet.column_count)
        marks: dict[tuple[str, int], list[str]] = {}
        for m in ss.metadata.values():
            if m.sheet_id == sheet.sheet_id and m.index is not None:
                marks.setdefault((m.location_type, m.index), []).append(f"{m.key} = {m.value or ''}")
        columns = [
            {"name": a1.column_letters(c), "meta": "; ".join(marks.get(("COLUMN", c), []))}
            for c in range(n_cols)
        ]
        rows = []
        for r in range(n_rows):
            cells = []
            for c in range(n_cols):
                cell = grid.cell_at(sheet, r, c)
                cells.append(
                    {
                        "text": render.formatted(cell, locale_of(ss.locale)) if cell else "",
                        "formula": cell.formula if cell else None,
                    }
                )
            rows.append({"number": r + 1, "meta": "; ".join(marks.get(("ROW", r), [])), "cells": cells})
        return render_template(
            "sheets_view.html",
            title=f"{ss.title} — {sheet.title}",
            spreadsheets=None,
            tabs=[s.title for s in ss.sheets],
            columns=columns,
            rows=rows,
        )
