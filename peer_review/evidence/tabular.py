"""Bulk import and export of evidence items as CSV or XLSX.

Why: cities keep evidence in spreadsheets today. Import reads a file into plain rows (``read_table``), checks every
row and cell (``validate_rows``) and reports errors by spreadsheet row number so the view can show a preview and
import all or nothing. Export writes the same columns back, neutralising spreadsheet formula injection, because an
exported cell like ``=HYPERLINK(...)`` written by one city must not run in another person's spreadsheet program.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from peer_review.evidence import vocab
from peer_review.evidence.sanitize import clean_text

from ..i18n import lazy_gettext as _l

__all__ = [
    "COLUMNS",
    "REQUIRED_COLUMNS",
    "MAX_ROWS",
    "MAX_TITLE",
    "TableError",
    "RowError",
    "read_table",
    "validate_rows",
    "write_csv",
    "write_xlsx",
    "neutralise_formula",
]

COLUMNS: list[str] = [
    "city", "cycle", "type", "title", "text", "date", "language", "area", "source",
    "gender", "age_group", "vulnerable_groups", "consent", "visibility",
]
REQUIRED_COLUMNS: list[str] = ["city", "cycle", "type", "title", "text", "language", "consent", "visibility"]
MAX_ROWS = 5_000
MAX_TITLE = 200
MAX_SHORT = 500  # area and source
XLSX_CELL_LIMIT = 32_767  # Excel's own limit on characters in a cell
ROW_KEY = "_row"  # spreadsheet row number (header = 1) carried by every row read_table returns

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ENUMS: dict[str, vocab.Vocab] = {
    "type": vocab.EVIDENCE_TYPES,
    "language": vocab.LANGUAGES,
    "gender": vocab.GENDERS,
    "age_group": vocab.AGE_GROUPS,
    "consent": vocab.CONSENT,
    "visibility": vocab.VISIBILITY,
}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class TableError(ValueError):
    """The file as a whole cannot be imported; ``message`` is translatable and says why."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class RowError(NamedTuple):
    """One problem in one cell: ``row`` is the spreadsheet row number (header = 1), ``column`` a COLUMNS name."""

    row: int
    column: str
    message: Any


# --- reading --------------------------------------------------------------------------------------------------


def _normalise_header(name: Any) -> str:
    text = str(name or "").replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def _cell_to_str(value: Any) -> str:
    """Spreadsheet cell -> text; dates become ISO (a midnight datetime is just a date)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    # Undo our own export's neutralisation so a round trip gives back the original text.
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        text = text[1:]
    return text.strip()


def _rows_from_matrix(matrix: Iterable[Iterable[Any]]) -> list[dict[str, Any]]:
    iterator = iter(matrix)
    try:
        header_cells = list(next(iterator))
    except StopIteration:
        raise TableError(_l("The file is empty.")) from None
    header = [_normalise_header(cell) for cell in header_cells]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise TableError(
            _l(
                "The first row must name the columns; missing required columns: %(columns)s.",
                columns=", ".join(missing),
            )
        )
    positions = {name: index for index, name in reversed(list(enumerate(header))) if name in COLUMNS}
    rows: list[dict[str, Any]] = []
    for number, cells in enumerate(iterator, start=2):
        cells = list(cells)
        values = {name: _cell_to_str(cells[index]) if index < len(cells) else "" for name, index in positions.items()}
        if not any(values.values()):
            continue  # blank lines are not errors
        if len(rows) >= MAX_ROWS:
            raise TableError(
                _l("The file has more than %(limit)s rows; split it into smaller files.", limit=MAX_ROWS)
            )
        for column in COLUMNS:
            values.setdefault(column, "")
        values[ROW_KEY] = number
        rows.append(values)
    return rows


def _pick_delimiter(text: str) -> str:
    """Choose the delimiter that makes the header row name the most known columns.

    csv.Sniffer guesses wrongly on free text full of commas and semicolons, so its guess (restricted to
    ``,``, ``;`` and tab) only breaks ties; the header, which we know, decides.
    """
    first_line = text.split("\n", 1)[0]
    try:
        sniffed = csv.Sniffer().sniff(first_line, delimiters=",;\t").delimiter
    except csv.Error:
        sniffed = ","
    scores = {}
    for delimiter in (sniffed, ",", ";", "\t"):
        header = next(csv.reader([first_line], delimiter=delimiter), [])
        scores.setdefault(delimiter, sum(1 for cell in header if _normalise_header(cell) in COLUMNS))
    return max(scores, key=lambda d: scores[d])  # dicts keep order: the sniffed one wins ties


def _read_csv(data: bytes) -> list[dict[str, Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TableError(
            _l("The CSV file is not UTF-8 text. In your spreadsheet program, save it as \"CSV UTF-8\".")
        ) from exc
    if "\x00" in text:
        raise TableError(_l("The CSV file contains binary data and cannot be read."))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise TableError(_l("The file is empty."))
    delimiter = _pick_delimiter(text)
    csv.field_size_limit(max(csv.field_size_limit(), 4 * 1024 * 1024))
    try:
        return _rows_from_matrix(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise TableError(_l("The CSV file is malformed: %(error)s", error=str(exc))) from exc


def _read_xlsx(data: bytes) -> list[dict[str, Any]]:
    import openpyxl

    from peer_review.evidence.uploads import UploadRejected, _open_zip_guarded

    try:
        _open_zip_guarded(data).close()
    except UploadRejected as exc:
        raise TableError(exc.message) from exc
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types on damaged files
        raise TableError(_l("The XLSX file is damaged or not a spreadsheet and cannot be read.")) from exc
    try:
        sheet = workbook.worksheets[0]
        return _rows_from_matrix(sheet.iter_rows(values_only=True))
    except TableError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise TableError(_l("The XLSX file is damaged or not a spreadsheet and cannot be read.")) from exc
    finally:
        workbook.close()


def read_table(filename: str, data: bytes) -> list[dict[str, Any]]:
    """Read a .csv or .xlsx file into rows: dicts with every COLUMNS key (text, ``""`` when empty) and ``_row``.

    CSV must be UTF-8 (a BOM is fine) separated by commas, semicolons or tabs. In XLSX only the first sheet is
    read, formulas give their cached values, and dates become ISO ``YYYY-MM-DD``. Blank rows are skipped; the header
    is row 1 and must name the required columns; unknown columns are ignored. Raises ``TableError``.
    """
    name = (filename or "").lower()
    if not data:
        raise TableError(_l("The file is empty."))
    if name.endswith(".xlsx") or data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    if name.endswith((".csv", ".txt", ".tsv")):
        return _read_csv(data)
    raise TableError(_l("Only .csv and .xlsx files can be imported; save the spreadsheet in one of these formats."))


# --- validating -----------------------------------------------------------------------------------------------


def _match_enum(voc: vocab.Vocab, raw: str) -> str | None:
    wanted = raw.strip().casefold()
    for value, text in voc:
        if wanted in (value.casefold(), str(text).casefold()):
            return value
    return None


def _match_set(allowed: set[str], raw: str) -> str | None:
    if raw in allowed:
        return raw
    wanted = raw.casefold()
    for item in allowed:
        if str(item).casefold() == wanted:
            return item
    return None


def _short(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def validate_rows(
    rows: Iterable[Mapping[str, Any]],
    *,
    cities: set[str],
    cycles: set[str],
    max_text: int = 100_000,
) -> tuple[list[dict[str, Any]], list[RowError]]:
    """Check and clean rows from ``read_table``; return ``(valid_rows, errors)``.

    Every problem of every row is reported (not just the first), with the spreadsheet row number and column, so a
    city can fix the whole file at once; the view imports nothing while ``errors`` is not empty. Valid rows have
    the COLUMNS keys plus ``_row``: enum values normalised to their stored value (the label is accepted too, any
    case), ``city``/``cycle`` as spelt in ``cities``/``cycles``, ``date`` as ``datetime.date`` or None,
    ``vulnerable_groups`` as a list of values, and text cleaned with ``clean_text``. Cells starting with
    ``= + - @`` are kept as plain text: nothing here is ever evaluated.
    """
    valid: list[dict[str, Any]] = []
    errors: list[RowError] = []
    for index, raw in enumerate(rows):
        number = int(raw.get(ROW_KEY) or index + 2)
        row_errors: list[RowError] = []

        def err(column: str, message: Any, _n: int = number, _e: list[RowError] = row_errors) -> None:
            _e.append(RowError(_n, column, message))

        def cell(column: str) -> str:
            return clean_text(str(raw.get(column) or "")).strip()

        out: dict[str, Any] = {ROW_KEY: number}
        for column in REQUIRED_COLUMNS:
            if not cell(column):
                err(column, _l("The column \"%(column)s\" is required.", column=column))

        city = cell("city")
        if city:
            out["city"] = _match_set(cities, city)
            if out["city"] is None:
                err("city", _l("Unknown city \"%(value)s\".", value=_short(city)))
        cycle = cell("cycle")
        if cycle:
            out["cycle"] = _match_set(cycles, cycle)
            if out["cycle"] is None:
                err("cycle", _l("Unknown cycle \"%(value)s\".", value=_short(cycle)))

        for column, voc in _ENUMS.items():
            value = cell(column)
            if not value:
                out[column] = "unspecified" if column in ("gender", "age_group") else None
                continue
            out[column] = _match_enum(voc, value)
            if out[column] is None:
                err(
                    column,
                    _l(
                        "\"%(value)s\" is not allowed here; use one of: %(allowed)s.",
                        value=_short(value),
                        allowed=", ".join(vocab.values(voc)),
                    ),
                )

        title = " ".join(cell("title").split())
        if len(title) > MAX_TITLE:
            err("title", _l("The title is %(n)s characters long; the limit is %(limit)s.",
                            n=len(title), limit=MAX_TITLE))
        out["title"] = title

        text = cell("text")
        if len(text) > max_text:
            err("text", _l("The text is %(n)s characters long; the limit is %(limit)s.", n=len(text), limit=max_text))
        out["text"] = text

        for column in ("area", "source"):
            value = " ".join(cell(column).split())
            if len(value) > MAX_SHORT:
                err(column, _l("This cell is longer than %(limit)s characters.", limit=MAX_SHORT))
            out[column] = value

        date_text = cell("date")
        out["date"] = None
        if date_text:
            if date_text[:10] != date_text and re.match(r"^\d{4}-\d{2}-\d{2}[ T]00:00(:00)?$", date_text):
                date_text = date_text[:10]
            try:
                if not _ISO_DATE.match(date_text):
                    raise ValueError(date_text)
                out["date"] = dt.date.fromisoformat(date_text)
            except ValueError:
                err("date", _l("\"%(value)s\" is not a date written as YYYY-MM-DD.", value=_short(date_text)))

        groups: list[str] = []
        for part in re.split(r"[;,]", cell("vulnerable_groups")):
            part = part.strip()
            if not part:
                continue
            value = _match_enum(vocab.VULNERABLE_GROUPS, part)
            if value is None:
                err(
                    "vulnerable_groups",
                    _l(
                        "\"%(value)s\" is not a known group; use values from: %(allowed)s, separated by \";\".",
                        value=_short(part),
                        allowed=", ".join(vocab.values(vocab.VULNERABLE_GROUPS)),
                    ),
                )
            elif value not in groups:
                groups.append(value)
        if "none" in groups and len(groups) > 1:
            err("vulnerable_groups", _l("\"none\" cannot be combined with other groups."))
        out["vulnerable_groups"] = groups

        if row_errors:
            errors.extend(row_errors)
        else:
            valid.append({column: out.get(column) for column in COLUMNS} | {ROW_KEY: number})
    return valid, errors


# --- writing --------------------------------------------------------------------------------------------------


# Characters a spreadsheet may skip before it sees "=": spaces of every kind, line breaks, and the invisible
# ones (byte-order mark, zero-width space and joiners, word joiner, soft hyphen).
_SKIPPED_BEFORE_FORMULA = " \t\r\n\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009" \
    "\u200a\u202f\u205f\u3000\ufeff\u200b\u200c\u200d\u2060\u00ad\u180e"


def neutralise_formula(value: str) -> str:
    """Prefix ``'`` to text a spreadsheet would treat as a formula: it starts with = + - @, tab or CR, also after
    spaces or invisible characters."""
    if value and (value.startswith(_FORMULA_START) or
                  value.lstrip(_SKIPPED_BEFORE_FORMULA).startswith(("=", "+", "-", "@"))):
        return "'" + value
    return value


def _export_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        return ";".join(str(v) for v in items)
    return neutralise_formula(str(value))


def _export_rows(rows: Iterable[Mapping[str, Any]]) -> Iterable[list[str]]:
    yield list(COLUMNS)
    for row in rows:
        yield [_export_value(row.get(column)) for column in COLUMNS]


def write_csv(rows: Iterable[Mapping[str, Any]]) -> bytes:
    """Write rows as UTF-8 CSV with a BOM (so Excel reads accents right), header COLUMNS, formulas neutralised."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(_export_rows(rows))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(rows: Iterable[Mapping[str, Any]]) -> bytes:
    """Write rows as an XLSX workbook with one sheet, every cell as text, formulas neutralised.

    Characters XML cannot hold are dropped, and cells longer than Excel's 32,767-character limit are cut (with
    "…"); use CSV to export very long texts unchanged.
    """
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("evidence")
    for values in _export_rows(rows):
        cells = []
        for value in values:
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
            if len(value) > XLSX_CELL_LIMIT:
                value = value[: XLSX_CELL_LIMIT - 1] + "…"
            cells.append(value)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
