"""Writing an export table as CSV (UTF-8 with a byte-order mark, so spreadsheets read accents right), XLSX or JSON.

In CSV and XLSX every text cell goes through ``neutralise_formula``: a cell one city typed as ``=HYPERLINK(...)``
must not run in another person's spreadsheet program. Numbers stay numbers in XLSX; lists are joined with ";".
JSON keeps the values as they are (a JSON reader runs nothing).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json

from ..evidence.tabular import XLSX_CELL_LIMIT, neutralise_formula
from .tables import Table

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def cell_text(value) -> str:
    """A value as spreadsheet text, neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        value = ";".join(str(v) for v in items)
    return neutralise_formula(str(value))


def write_csv(table: Table) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell_text(c) for c in table.columns])
    for row in table.rows:
        writer.writerow([cell_text(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx_value(value):
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", cell_text(value))
    if len(text) > XLSX_CELL_LIMIT:
        text = text[: XLSX_CELL_LIMIT - 1] + "…"
    return text


def write_xlsx(table: Table) -> bytes:
    """One sheet named after the table; text cells stored as text (never as formulas)."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(table.name[:31] or "export")
    for values in [table.columns, *table.rows]:
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=_xlsx_value(value))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, whatever it starts with
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def as_json(table: Table, cycle, city) -> dict:
    return {"table": table.name, "cycle": {"id": cycle.id, "name": cycle.name},
            "city": city.slug if city is not None else None, "columns": list(table.columns),
            "count": len(table.rows), "rows": table.as_dicts()}


def write_json(table: Table, cycle, city) -> bytes:
    return json.dumps(as_json(table, cycle, city), ensure_ascii=False, indent=1, default=str).encode("utf-8")


def write(table: Table, fmt: str, cycle, city) -> bytes:
    if fmt == "csv":
        return write_csv(table)
    if fmt == "xlsx":
        return write_xlsx(table)
    if fmt == "json":
        return write_json(table, cycle, city)
    raise ValueError(f"unknown format {fmt!r}")
