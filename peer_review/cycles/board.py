"""The secretariat's tracking board: for every participating city, where it stands in each phase of a cycle.

``gather`` reads what the board needs in a few queries; everything after it is plain functions of that data and
of ``today`` (injectable, so lateness is testable): ``build_rows`` makes one row per city with a cell per
column, ``filter_rows`` applies the page's filters, ``summary`` counts, ``csv_bytes`` exports. The reminders
command reads the same data (``gather``), so the board and the reminders never disagree about who is late.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy.orm import lazyload

from ..evidence.tabular import neutralise_formula
from ..extensions import db
from ..i18n import lazy_gettext as _l
from .models import CITY_RESPONSE, EVIDENCE_CODING, PEER_REVIEW, SELF_ASSESSMENT

DUE_SOON_DAYS = 3  # "due in 3 days" (inclusive) and reminders "due soon"

# Board columns: (key, phase whose dates apply, heading).
COLUMNS = (
    ("self_assessment", SELF_ASSESSMENT, _l("Self-assessment")),
    ("reviewed", PEER_REVIEW, _l("Peer review (as reviewed city)")),
    ("reviewer", PEER_REVIEW, _l("Peer review (as reviewer)")),
    ("response", CITY_RESPONSE, _l("City response")),
    ("coding", EVIDENCE_CODING, _l("Evidence coding")),
)
# The phase filter: which columns each choice shows.
PHASE_FILTER = {
    SELF_ASSESSMENT: ("self_assessment",),
    PEER_REVIEW: ("reviewed", "reviewer"),
    CITY_RESPONSE: ("response",),
    EVIDENCE_CODING: ("coding",),
}
PHASE_FILTER_LABELS = (
    (SELF_ASSESSMENT, _l("Self-assessment")),
    (PEER_REVIEW, _l("Peer review")),
    (CITY_RESPONSE, _l("City response")),
    (EVIDENCE_CODING, _l("Evidence coding")),
)


def today_utc() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


# --- Reading ----------------------------------------------------------------------------------------------

@dataclass
class CycleData:
    cycle: object
    assessments: dict = field(default_factory=dict)       # city id -> Assessment
    answered: dict = field(default_factory=dict)          # assessment id -> answered criteria
    criteria: int = 0                                      # criteria in the cycle's rubric version
    assignments: list = field(default_factory=list)       # published Assignments
    reviews: dict = field(default_factory=dict)           # assignment id -> Review
    released: set = field(default_factory=set)            # city ids with at least one released review
    responses: dict = field(default_factory=dict)         # city id -> CityResponse
    evidence: dict = field(default_factory=dict)          # city id -> (items with a coding, items)


def rubric_versions_without_content(ids) -> list:
    """Put these rubric versions (and the core each extends) in the session without their ``content``.

    A version's content is the whole rubric file as data (the demo's core: 320 KB of JSON), read from the database
    and decoded whenever a version is loaded. Pages that need only its sections read them from
    ``rubrics.content.sections``, which keeps the merge per process under the content hash; loaded this way, an
    ``assessment.rubric_version`` or ``cycle.rubric_version`` found in the session carries the hash and no
    content, and the content is read only if something asks for it. Keep the returned list while the page uses
    them (the session holds its objects weakly)."""
    from sqlalchemy.orm import defer, selectinload

    from ..rubrics.models import RubricVersion
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return []
    light = defer(RubricVersion.content)
    return list(db.session.execute(
        db.select(RubricVersion).filter(RubricVersion.id.in_(wanted)).options(
            light, selectinload(RubricVersion.extends).defer(RubricVersion.content)
            .selectinload(RubricVersion.extends).defer(RubricVersion.content))).scalars())


def _criteria_count(version) -> int:
    if version is None:
        return 0
    from ..rubrics import content
    return sum(len(s.get("criteria", [])) for s in content.sections(version))


def gather(cycle) -> CycleData:
    from ..assessments.models import Answer, Assessment
    from ..assignments.models import PUBLISHED, Assignment
    from ..coding.models import Coding
    from ..evidence.models import EvidenceItem
    from ..reviews.models import CityResponse, Review

    versions = rubric_versions_without_content([cycle.rubric_version_id])  # noqa: F841  (kept while counting)
    data = CycleData(cycle=cycle, criteria=_criteria_count(cycle.rubric_version))
    # The cycle is loaded already: its assessments and reviews point to it instead of joining it (and its phases
    # and cities) again.
    data.assessments = {a.city_id: a for a in db.session.execute(
        db.select(Assessment).filter_by(cycle_id=cycle.id).options(lazyload(Assessment.cycle))).scalars()}
    if data.assessments:
        # Answer.answered in SQL: a level, or "not applicable" with a reason.
        answered = Answer.level.is_not(None) | (Answer.not_applicable.is_(True)
                                                & (db.func.trim(Answer.na_reason) != ""))
        data.answered = dict(db.session.execute(
            db.select(Answer.assessment_id, db.func.count(Answer.id))
            .filter(Answer.assessment_id.in_([a.id for a in data.assessments.values()]), answered)
            .group_by(Answer.assessment_id)).all())
    data.assignments = list(db.session.execute(
        db.select(Assignment).filter_by(cycle_id=cycle.id, state=PUBLISHED).order_by(Assignment.id)).scalars())
    reviews = list(db.session.execute(db.select(Review).filter_by(cycle_id=cycle.id)
                                      .options(lazyload(Review.cycle))).scalars())
    data.reviews = {r.assignment_id: r for r in reviews}
    data.released = {r.reviewed_city_id for r in reviews if r.released_at is not None
                     and r.assignment_id in {a.id for a in data.assignments}}
    data.responses = {r.city_id: r for r in db.session.execute(
        db.select(CityResponse).filter_by(cycle_id=cycle.id)).scalars()}
    # Per city: items with a coding (outside double-coding samples), and items; one grouped query.
    coded_items = db.select(Coding.item_id).filter(Coding.sample_id.is_(None)).distinct().subquery()
    data.evidence = {city_id: (coded, total) for city_id, total, coded in db.session.execute(
        db.select(EvidenceItem.city_id, db.func.count(EvidenceItem.id), db.func.count(coded_items.c.item_id))
        .outerjoin(coded_items, coded_items.c.item_id == EvidenceItem.id)
        .filter(EvidenceItem.cycle_id == cycle.id).group_by(EvidenceItem.city_id)).all()}
    return data


# --- Cells ------------------------------------------------------------------------------------------------

@dataclass
class Cell:
    column: str
    state: str            # a key: not_started, draft, submitted, none, partial, done, waiting, ...
    label: str            # the state in words
    colour: str           # GOV.UK tag colour; the label always says the same in words
    detail: str = ""      # "12 of 49 answered", "submitted 3 March 2027"
    done: bool = False
    applies: bool = True  # False: nothing to do (no reviewers assigned, reviews not released, no evidence)
    due_on: dt.date | None = None
    late_days: int | None = None   # > 0 when late
    due_in: int | None = None      # 0..DUE_SOON_DAYS when due soon

    @property
    def late(self) -> bool:
        return bool(self.late_days)

    @property
    def due_soon(self) -> bool:
        return self.due_in is not None

    @property
    def timing(self) -> str:
        if self.late_days:
            return ngettext("%(num)d day late", "%(num)d days late", self.late_days)
        if self.due_in is not None:
            if self.due_in == 0:
                return _("due today")
            return ngettext("due in %(num)d day", "due in %(num)d days", self.due_in)
        return ""


def timing(due_on, done: bool, applies: bool, today: dt.date) -> tuple[int | None, int | None]:
    """(days late, days until due) for undone work with a due date; (None, None) otherwise."""
    if done or not applies or due_on is None:
        return None, None
    if today > due_on:
        return (today - due_on).days, None
    left = (due_on - today).days
    return None, (left if left <= DUE_SOON_DAYS else None)


def _date(value) -> str:
    return format_date(value, "medium") if value else ""


def _assessment_cell(data: CycleData, city) -> Cell:
    a = data.assessments.get(city.id)
    if a is None:
        return Cell("self_assessment", "not_started", _("Not started"), "grey")
    if a.state == "submitted":
        return Cell("self_assessment", "submitted", _("Submitted"), "green", done=True,
                    detail=_("on %(date)s", date=_date(a.submitted_at.date() if a.submitted_at else None))
                    if a.submitted_at else "")
    return Cell("self_assessment", "draft", _("Draft"), "blue",
                detail=_("%(done)s of %(total)s answered", done=data.answered.get(a.id, 0), total=data.criteria))


def _reviews_cell(column: str, assignments, data: CycleData, empty: str) -> Cell:
    n = len(assignments)
    if not n:
        return Cell(column, "none", empty, "grey", applies=False)
    k = sum(1 for a in assignments if (r := data.reviews.get(a.id)) is not None and r.state == "submitted")
    detail = _("%(done)s of %(total)s submitted", done=k, total=n)
    if k == n:
        return Cell(column, "done", _("Submitted"), "green", detail=detail, done=True)
    started = any(a.id in data.reviews for a in assignments)
    if k or started:
        return Cell(column, "partial", _("In progress"), "blue", detail=detail)
    return Cell(column, "not_started", _("Not started"), "grey", detail=detail)


def _response_cell(data: CycleData, city) -> Cell:
    if city.id not in data.released:
        return Cell("response", "waiting", "—", "grey", detail=_("until the reviews are released"), applies=False)
    r = data.responses.get(city.id)
    if r is None:
        return Cell("response", "not_started", _("Not started"), "grey")
    if r.state == "submitted":
        return Cell("response", "submitted", _("Submitted"), "green", done=True,
                    detail=_("on %(date)s", date=_date(r.submitted_at.date())) if r.submitted_at else "")
    return Cell("response", "draft", _("Draft"), "blue")


def _coding_cell(data: CycleData, city) -> Cell:
    coded, total = data.evidence.get(city.id, (0, 0))
    if not total:
        return Cell("coding", "none", _("No evidence"), "grey", applies=False)
    detail = _("%(done)s of %(total)s items coded", done=coded, total=total)
    if coded >= total:
        return Cell("coding", "done", _("Coded"), "green", detail=detail, done=True)
    if coded:
        return Cell("coding", "partial", _("In progress"), "blue", detail=detail)
    return Cell("coding", "not_started", _("Not started"), "grey", detail=detail)


@dataclass
class Row:
    city: object
    cells: dict  # column key -> Cell

    @property
    def late(self) -> bool:
        return any(c.late for c in self.cells.values())


def build_rows(data: CycleData, today: dt.date | None = None) -> list[Row]:
    today = today or today_utc()
    cycle = data.cycle
    due = {key: getattr(cycle.phase_dates(phase), "due_on", None) for key, phase, _label in COLUMNS}
    rows = []
    for city in cycle.cities:
        cells = {
            "self_assessment": _assessment_cell(data, city),
            "reviewed": _reviews_cell("reviewed", [a for a in data.assignments if a.reviewed_city_id == city.id],
                                      data, _("No reviewers assigned")),
            "reviewer": _reviews_cell("reviewer", [a for a in data.assignments if a.reviewer_city_id == city.id],
                                      data, _("No reviews to write")),
            "response": _response_cell(data, city),
            "coding": _coding_cell(data, city),
        }
        for key, cell in cells.items():
            cell.due_on = due[key]
            cell.late_days, cell.due_in = timing(cell.due_on, cell.done, cell.applies, today)
        rows.append(Row(city=city, cells=cells))
    return rows


def board(cycle, today: dt.date | None = None) -> list[Row]:
    return build_rows(gather(cycle), today)


# --- Filters, summary, export --------------------------------------------------------------------------------

def columns_for(phase: str | None) -> list[tuple]:
    keys = PHASE_FILTER.get(phase or "")
    return [c for c in COLUMNS if keys is None or c[0] in keys]


def filter_rows(rows: list[Row], *, phase: str | None = None, late_only: bool = False,
                region: str | None = None) -> list[Row]:
    keys = [c[0] for c in columns_for(phase)]
    out = []
    for row in rows:
        if region and row.city.region != region:
            continue
        if late_only and not any(row.cells[k].late for k in keys):
            continue
        out.append(row)
    return out


def summary(rows: list[Row]) -> list[str]:
    """One sentence per phase, in the current language."""
    n = len(rows)
    if not n:
        return []

    def late(key):
        return sum(1 for r in rows if r.cells[key].late)

    lines = []
    submitted = sum(1 for r in rows if r.cells["self_assessment"].done)
    lines.append(_("%(done)s of %(total)s submitted their self-assessment; %(late)s late",
                   done=submitted, total=n, late=late("self_assessment")))
    owed = [r for r in rows if r.cells["reviewer"].applies]
    if owed:
        lines.append(_("%(done)s of %(total)s reviewer cities submitted all their reviews; %(late)s late",
                       done=sum(1 for r in owed if r.cells["reviewer"].done), total=len(owed), late=late("reviewer")))
    else:
        lines.append(_("No review assignments are published yet"))
    released = [r for r in rows if r.cells["response"].applies]
    if released:
        lines.append(_("%(done)s of %(total)s cities with released reviews submitted their response; %(late)s late",
                       done=sum(1 for r in released if r.cells["response"].done), total=len(released),
                       late=late("response")))
    with_evidence = [r for r in rows if r.cells["coding"].applies]
    if with_evidence:
        lines.append(_("%(done)s of %(total)s cities have all their evidence coded",
                       done=sum(1 for r in with_evidence if r.cells["coding"].done), total=len(with_evidence)))
    return lines


def csv_bytes(rows: list[Row], phase: str | None = None) -> bytes:
    """The board as CSV (UTF-8 with a BOM), every text cell formula-neutralised."""
    from ..cities.models import REGIONS
    regions = dict(REGIONS)
    cols = columns_for(phase)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    header = [_("City"), _("Country"), _("Region")]
    for _key, _phase, label in cols:
        header += [str(label), _("%(column)s: detail", column=label), _("%(column)s: due", column=label),
                   _("%(column)s: timing", column=label)]
    writer.writerow([neutralise_formula(str(h)) for h in header])
    for row in rows:
        line = [row.city.name, row.city.country, str(regions.get(row.city.region, row.city.region or ""))]
        for key, _phase, _label in cols:
            cell = row.cells[key]
            line += [cell.label, cell.detail, cell.due_on.isoformat() if cell.due_on else "", cell.timing]
        writer.writerow([neutralise_formula(str(v)) for v in line])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
