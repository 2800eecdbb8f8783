"""The self-assessment as an XLSX workbook to fill in offline, and reading one back.

One row per criterion: the rubric's texts and every level's descriptor in locked cells, then the cells a city
fills in (level from a drop-down of the scale plus "n/a", justification, why not applicable, proxy yes/no and
note). A hidden sheet keeps the assessment id, the rubric version's content hash, the export time and each
answer's version, so that reading it back can refuse a workbook of another rubric version and never overwrite
an answer someone changed on the server since the export.
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

from ..errors import ValidationFailed
from ..evidence.tabular import neutralise_formula
from ..i18n import lazy_gettext as _l
from ..rubrics import content
from ..utils import utcnow
from . import operations as ops
from . import rubric

MAIN, META = "assessment", "about"
NA = "n/a"
MAX_BYTES = 5 * 1024 * 1024
FILLED = ["level", "justification", "na_reason", "proxy", "proxy_note"]


class WorkbookRefused(ValueError):
    """The file as a whole cannot be read back (not a workbook, another assessment, another rubric version)."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass
class RowPlan:
    row: int
    criterion_id: str
    title: str
    status: str  # change | unchanged | conflict
    data: dict = field(default_factory=dict)
    changes: list = field(default_factory=list)  # (field label, before, after)
    version: int = 0


@dataclass
class Plan:
    rows: list[RowPlan]
    errors: list[tuple[int, str, str]]  # (row, column, message)

    @property
    def changes(self) -> list[RowPlan]:
        return [r for r in self.rows if r.status == "change"]

    @property
    def conflicts(self) -> list[RowPlan]:
        return [r for r in self.rows if r.status == "conflict"]


def _headers(version, locale: str) -> list[str]:
    levels = rubric.levels(version)
    return (["section", "criterion_id", "title"] + [f"level_{n}" for n in levels] + FILLED)


def export(assessment, locale: str = "en") -> bytes:
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    version = assessment.rubric_version
    answers = ops.answers_by_criterion(assessment)
    levels = rubric.levels(version)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = MAIN
    headers = _headers(version, locale)
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    level_col = headers.index("level") + 1
    unlocked = [headers.index(name) + 1 for name in FILLED]
    for criterion in content.criteria(version):
        answer = answers.get(criterion["id"])
        data = ops.answer_data(answer)
        level = NA if data["not_applicable"] else ("" if data["level"] is None else data["level"])
        descriptors = {d["level"]: f'{d["name"]}: {d["descriptor"]}' for d in
                       rubric.descriptors(criterion, version, locale)}
        section = rubric.section(version, criterion["section"])
        row = [content.text(section["title"], locale), criterion["id"], content.text(criterion.get("title"), locale)]
        row += [descriptors.get(n, "") for n in levels]
        row += [level, data["justification"], data["na_reason"], "yes" if data["proxy_used"] else "no",
                data["proxy_note"]]
        ws.append([neutralise_formula(v) if isinstance(v, str) else v for v in row])
    fill = PatternFill("solid", fgColor="FFF7D6")
    for r in range(2, ws.max_row + 1):
        for c in range(1, len(headers) + 1):
            cell = ws.cell(row=r, column=c)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if c in unlocked:
                cell.protection = Protection(locked=False)
                cell.fill = fill
    choices = ",".join([str(n) for n in levels] + [NA])
    dv = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True, showErrorMessage=True,
                        errorTitle=str(_l("Level")), error=str(_l("Choose one of: %(values)s", values=choices)))
    letter = openpyxl.utils.get_column_letter(level_col)
    dv.add(f"{letter}2:{letter}{max(ws.max_row, 2)}")
    ws.add_data_validation(dv)
    proxy_letter = openpyxl.utils.get_column_letter(headers.index("proxy") + 1)
    yes_no = DataValidation(type="list", formula1='"yes,no"', allow_blank=True)
    yes_no.add(f"{proxy_letter}2:{proxy_letter}{max(ws.max_row, 2)}")
    ws.add_data_validation(yes_no)
    ws.protection.sheet = True  # descriptors and texts are locked; the filled-in cells are not
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    for i, width in enumerate([18, 12, 30] + [28] * len(levels) + [8, 60, 30, 8, 30], start=1):
        ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width = width
    ws.freeze_panes = "D2"

    meta = wb.create_sheet(META)
    meta.append(["assessment_id", assessment.id])
    meta.append(["content_hash", version.content_hash])
    meta.append(["exported_at", utcnow().isoformat()])
    for cid, answer in sorted(answers.items()):
        meta.append(["answer_version", cid, answer.version])
    meta.sheet_state = "hidden"
    meta.protection.sheet = True
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _text(value) -> str:
    if value is None:
        return ""
    text = str(value)
    if text.startswith("'") and neutralise_formula(text[1:]) == text:  # undo the export's formula guard
        text = text[1:]
    return text


def _norm(value):
    if isinstance(value, str):
        return value.strip()
    return value


def plan(assessment, data: bytes) -> Plan:
    """What reading the workbook back would change, row by row, with every problem; changes nothing."""
    import openpyxl
    if len(data) > MAX_BYTES:
        raise WorkbookRefused(_l("The file is larger than %(n)s MB.", n=MAX_BYTES // (1024 * 1024)))
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001  (zip, XML and openpyxl errors alike mean "not a workbook we can read")
        raise WorkbookRefused(_l("This is not an XLSX workbook.")) from None
    if MAIN not in wb.sheetnames or META not in wb.sheetnames:
        raise WorkbookRefused(_l("This workbook was not downloaded from a self-assessment here."))
    meta: dict = {}
    versions: dict[str, int] = {}
    for row in wb[META].iter_rows(values_only=True):
        if not row or row[0] is None:
            continue
        if row[0] == "answer_version" and len(row) >= 3:
            versions[str(row[1])] = int(row[2] or 0)
        else:
            meta[str(row[0])] = row[1] if len(row) > 1 else None
    if str(meta.get("assessment_id")) != str(assessment.id):
        raise WorkbookRefused(_l("This workbook belongs to another self-assessment."))
    if meta.get("content_hash") != assessment.rubric_version.content_hash:
        raise WorkbookRefused(_l("This workbook was made for another version of the rubric, so its rows may not "
                                 "match the criteria here. Download a new workbook and copy your answers into it."))
    rows = list(wb[MAIN].iter_rows(values_only=True))
    if not rows:
        raise WorkbookRefused(_l("The workbook's first sheet is empty."))
    header = [str(h or "").strip() for h in rows[0]]
    missing = [h for h in ["criterion_id"] + FILLED if h not in header]
    if missing:
        raise WorkbookRefused(_l("Columns missing: %(columns)s", columns=", ".join(missing)))
    col = {h: i for i, h in enumerate(header)}
    known = {c["id"]: c for c in content.criteria(assessment.rubric_version)}
    answers = ops.answers_by_criterion(assessment)
    levels = rubric.levels(assessment.rubric_version)
    out: list[RowPlan] = []
    errors: list[tuple[int, str, str]] = []
    seen = set()
    for number, values in enumerate(rows[1:], start=2):
        values = list(values) + [None] * (len(header) - len(values))
        cid = str(values[col["criterion_id"]] or "").strip()
        if not cid and not any(values):
            continue
        if cid not in known:
            errors.append((number, "criterion_id", str(_l("Unknown criterion %(id)s", id=cid))))
            continue
        if cid in seen:
            errors.append((number, "criterion_id", str(_l("Criterion %(id)s appears twice", id=cid))))
            continue
        seen.add(cid)
        raw_level = _text(values[col["level"]]).strip()
        if isinstance(values[col["level"]], float) and values[col["level"]].is_integer():
            raw_level = str(int(values[col["level"]]))
        proxy = _text(values[col["proxy"]]).strip().lower()
        row_data = {"justification": _text(values[col["justification"]]),
                    "na_reason": _text(values[col["na_reason"]]).strip(),
                    "proxy_note": _text(values[col["proxy_note"]]).strip()}
        if raw_level.lower() == NA:
            row_data.update(level=None, not_applicable=True)
        elif raw_level == "":
            row_data.update(level=None, not_applicable=False)
        elif raw_level.isdigit() and int(raw_level) in levels:
            row_data.update(level=int(raw_level), not_applicable=False)
        else:
            errors.append((number, "level", str(_l("“%(value)s” is not a level: use %(values)s or leave it empty",
                                                   value=raw_level[:20],
                                                   values=", ".join([str(n) for n in levels] + [NA])))))
            continue
        if proxy in ("yes", "y", "sí", "si", "oui", "true", "1"):
            row_data["proxy_used"] = True
        elif proxy in ("", "no", "non", "false", "0"):
            row_data["proxy_used"] = False
        else:
            errors.append((number, "proxy", str(_l("Write yes or no"))))
            continue
        answer = answers.get(cid)
        try:
            ops._check(assessment, answer, row_data)
        except ValidationFailed as err:
            for name, messages in err.fields.items():
                errors.append((number, name, " ".join(map(str, messages))))
            continue
        current = ops.answer_data(answer)
        changes = [(name, current[name], row_data[name]) for name in
                   ("level", "not_applicable", "na_reason", "justification", "proxy_used", "proxy_note")
                   if _norm(current[name]) != _norm(row_data[name])]
        title = content.text(known[cid].get("title"))
        exported = versions.get(cid, 0)
        if not changes:
            status = "unchanged"
        elif exported != current["version"]:
            status = "conflict"  # changed on the server since the export: never overwritten from the file
        else:
            status = "change"
        out.append(RowPlan(number, cid, title, status, row_data, changes, current["version"]))
    return Plan(out, errors)


def apply(assessment, data: bytes, actor=None) -> Plan:
    """All or nothing: any row error refuses the whole file; rows changed on the server are left as they are."""
    result = plan(assessment, data)
    if result.errors:
        raise ValidationFailed({f"row {r}": [f"{c}: {m}"] for r, c, m in result.errors})
    for row in result.changes:
        ops.save_answer(assessment, row.criterion_id, row.data, row.version, actor=actor, source="workbook")
    from ..audit.operations import record
    record("assessment.import", "assessment", assessment.id,
           summary=f"{assessment.city.name}, {assessment.cycle.name}: {len(result.changes)} answers",
           after={"changed": [r.criterion_id for r in result.changes],
                  "left_as_saved": [r.criterion_id for r in result.conflicts]}, actor=actor)
    return result


def filename(assessment) -> str:
    stamp = dt.date.today().isoformat()
    return f"self-assessment-{assessment.city.slug}-{assessment.cycle_id}-{stamp}.xlsx"
