"""Numeric entries from a spreadsheet: check the upload, read CSV or XLSX rows, report every problem by row, and
save the valid rows (each through ``numeric.create_entry``, so with its revision and audit entry)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import os

from ..audit.operations import record
from ..evidence.tabular import RowError, TableError, _cell_to_str, _normalise_header
from ..evidence.uploads import UploadRejected, _open_zip_guarded, safe_filename
from ..i18n import lazy_gettext as _l
from .models import NumericEntry
from .numeric import FIELDS, create_entry, duplicate_key, validate_entry  # noqa: F401

# --- Spreadsheets -----------------------------------------------------------------------------------------------

COLUMNS = ["indicator", "value", "unit", "period_start", "period_end", "source", "area", "sex", "age_group",
           "proxy", "proxy_note"]
REQUIRED_COLUMNS = ["indicator", "value", "period_start", "period_end", "source"]
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
EXTENSIONS = (".csv", ".xlsx")
_COLUMN_OF = {"is_proxy": "proxy"}


class UploadRefused(ValueError):
    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


def check_upload(filename: str, data: bytes) -> str:
    """Refuse a file that is not .csv/.xlsx, empty, or over 2 MB; return a safe name."""
    name = safe_filename(filename, default="upload")
    if os.path.splitext(name)[1].lower() not in EXTENSIONS:
        raise UploadRefused(_l("Choose a file ending in .csv or .xlsx"))
    if not data:
        raise UploadRefused(_l("The file is empty."))
    if len(data) > MAX_BYTES:
        raise UploadRefused(_l("The file is larger than %(n)s MB; split it into smaller files.",
                               n=MAX_BYTES // (1024 * 1024)))
    return name


def _matrix(name: str, data: bytes):
    if name.lower().endswith(".xlsx"):
        import openpyxl
        try:
            _open_zip_guarded(data).close()
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True, max_row=MAX_ROWS + 2)]
            book.close()
            return rows
        except UploadRejected as exc:
            raise TableError(exc.message) from exc
        except Exception as exc:
            raise TableError(_l("The XLSX file is damaged or not a spreadsheet and cannot be read.")) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TableError(_l("The CSV file is not UTF-8 text. In your spreadsheet program, save it as "
                            "\"CSV UTF-8\".")) from exc
    if "\x00" in text:
        raise TableError(_l("The CSV file contains binary data and cannot be read."))
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise TableError(_l("The CSV file is malformed: %(error)s", error=str(exc))) from exc


def read_rows(filename: str, data: bytes) -> list[dict]:
    """Rows of the first sheet as {column: text, "_row": spreadsheet row number}; blank rows skipped."""
    matrix = _matrix(filename, data)
    if not matrix:
        raise TableError(_l("The file is empty."))
    header = [_normalise_header(c) for c in matrix[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise TableError(_l("The first row must name the columns; missing: %(columns)s.", columns=", ".join(missing)))
    positions = {name: i for i, name in reversed(list(enumerate(header))) if name in COLUMNS}
    rows = []
    for number, cells in enumerate(matrix[1:], start=2):
        values = {c: _cell_to_str(cells[i]) if i < len(cells) else "" for c, i in positions.items()}
        if not any(values.values()):
            continue
        if len(rows) >= MAX_ROWS:
            raise TableError(_l("The file has more than %(n)s rows; split it into smaller files.", n=MAX_ROWS))
        rows.append({**{c: "" for c in COLUMNS}, **values, "_row": number})
    return rows


def check_rows(rows: list[dict], city, definitions: list[dict], today: dt.date | None = None):
    """``(valid, errors)``: valid is [(row number, clean)], errors every RowError (a row may have several).
    A row repeating an earlier row of the file, or an entry already saved, is an error."""
    valid, errors, seen = [], [], {}
    for row in rows:
        data = {**{k: row.get(k, "") for k in COLUMNS}, "is_proxy": row.get("proxy", "")}
        clean, problems = validate_entry(data, city, definitions, today=today)
        if not problems:
            first = seen.get(duplicate_key(clean))
            if first is not None:
                problems = {"duplicate": [_l("Row %(n)s already gives this indicator for the same period, area, "
                                             "sex and age group", n=first)]}
            seen.setdefault(duplicate_key(clean), row["_row"])
        if problems:
            errors += [RowError(row["_row"], _COLUMN_OF.get(f, f), m) for f, ms in problems.items() for m in ms]
        else:
            valid.append((row["_row"], clean))
    return valid, errors


def save_rows(city, valid, definitions: list[dict], *, actor=None) -> list[NumericEntry]:
    entries = [create_entry(city, {}, definitions, actor=actor, source="spreadsheet", clean=clean)
               for _row, clean in valid]
    if entries:
        record("numeric.import", "numeric_entry", None, summary=f"{city.name}: {len(entries)} entries imported",
               after={"ids": [e.id for e in entries]}, actor=actor)
    return entries


def template_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerow(["homicide_rate", "7.4", "per_100k", "2025-01-01", "2025-12-31", "Police annual report 2025",
                     "", "all", "all", "no", ""])
    writer.writerow(["feel_safe_after_dark", "41", "percent", "2025-01-01", "2025-12-31", "City survey 2025",
                     "Old Town", "female", "adults", "no", ""])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
