"""The export tables: each a plain function ``(cycle, city, user) -> Table`` built from the database.

``city`` None means every city of the cycle the person may export (the whole cycle for the secretariat and
facilitators, their own cities for a city's members); each row is then kept only if the domain's own rule lets
the person see it. Evidence whose consent was withdrawn is left out, with its codings, as the REFI-QDA project
export does. An empty table still has its columns.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..cities.models import City
from ..cycles.models import Cycle
from ..extensions import db
from ..input_limits import parse_id
from ..permissions import can, is_staff, member_city_ids


@dataclass
class Table:
    name: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)

    def as_dicts(self) -> list[dict]:
        return [dict(zip(self.columns, row)) for row in self.rows]


class ExportNotFound(LookupError):
    """No such table, format, cycle or city (or one the person may not see): 404."""


class ExportForbidden(PermissionError):
    """A city the person may see but not export: 403."""


FORMATS = ("csv", "xlsx", "json")


def scope_ids(cycle: Cycle, city: City | None, user) -> set[int]:
    """The cities of ``cycle`` this person exports: ``city`` alone, else the whole cycle or their own cities."""
    in_cycle = {c.id for c in cycle.cities}
    if city is not None:
        if city.id not in in_cycle or not can(user, "export.city", city):
            return set()
        return {city.id}
    if can(user, "export.cycle"):
        return in_cycle
    return in_cycle & member_city_ids(user)


def _order(version) -> dict[str, int]:
    from ..rubrics.content import criteria
    return {c["id"]: n for n, c in enumerate(criteria(version))} if version is not None else {}


def _criterion_sorted(answers, version):
    order = _order(version)
    return sorted(answers, key=lambda a: (order.get(a.criterion_id, len(order)), a.criterion_id))


def _dt(value):
    return value.isoformat() if value is not None else None


# --- Assessments ----------------------------------------------------------------------------------------------

ASSESSMENT_COLUMNS = ["city", "criterion", "level", "not_applicable", "not_applicable_reason", "justification",
                      "proxy_used", "proxy_note", "state", "submitted_at"]


def assessments(cycle: Cycle, city: City | None, user) -> Table:
    from ..assessments.models import Assessment
    table = Table("assessments", list(ASSESSMENT_COLUMNS))
    ids = scope_ids(cycle, city, user)
    if not ids:
        return table
    found = db.session.execute(db.select(Assessment).join(City, City.id == Assessment.city_id)
                               .filter(Assessment.cycle_id == cycle.id, Assessment.city_id.in_(ids))
                               .order_by(City.slug)).scalars().all()
    for assessment in found:
        if not can(user, "assessment.view", assessment):
            continue
        for a in _criterion_sorted(assessment.answers, assessment.rubric_version):
            table.rows.append([assessment.city.slug, a.criterion_id, a.level, a.not_applicable, a.na_reason,
                               a.justification, a.proxy_used, a.proxy_note, assessment.state,
                               _dt(assessment.submitted_at)])
    return table


# --- Reviews ----------------------------------------------------------------------------------------------

REVIEW_COLUMNS = ["reviewer_city", "reviewed_city", "criterion", "level", "agreement", "comment", "state",
                  "submitted_at", "released_at"]


def review_readable(user, review) -> bool:
    """Released reviews for the reviewed city's members, submitted ones for the reviewer city, all for staff."""
    if not can(user, "review.view", review):
        return False
    if is_staff(user):
        return True
    own = member_city_ids(user)
    return (review.reviewed_city_id in own and review.released) or \
        (review.reviewer_city_id in own and review.state == "submitted")


def reviews(cycle: Cycle, city: City | None, user) -> Table:
    from sqlalchemy import or_

    from ..reviews.models import Review
    table = Table("reviews", list(REVIEW_COLUMNS))
    ids = scope_ids(cycle, city, user)
    if not ids:
        return table
    found = db.session.execute(db.select(Review).filter(
        Review.cycle_id == cycle.id, or_(Review.reviewed_city_id.in_(ids), Review.reviewer_city_id.in_(ids)))
        .order_by(Review.id)).scalars().all()
    found = sorted((r for r in found if review_readable(user, r)),
                   key=lambda r: (r.reviewed_city.slug, r.reviewer_city.slug))
    for review in found:
        version = review.assessment.rubric_version if review.assessment is not None else None
        for a in _criterion_sorted(review.answers, version):
            table.rows.append([review.reviewer_city.slug, review.reviewed_city.slug, a.criterion_id, a.level,
                               a.agreement, a.comment, review.state, _dt(review.submitted_at),
                               _dt(review.released_at)])
    return table


# --- Responses --------------------------------------------------------------------------------------------

RESPONSE_COLUMNS = ["city", "reviewer_city", "recommendation", "priority", "criteria", "decision", "comment",
                    "action", "action_owner", "action_due", "progress", "progress_note", "state"]


def responses(cycle: Cycle, city: City | None, user) -> Table:
    from ..reviews.models import CityResponse
    table = Table("responses", list(RESPONSE_COLUMNS))
    ids = scope_ids(cycle, city, user)
    if not ids:
        return table
    found = db.session.execute(db.select(CityResponse).join(City, City.id == CityResponse.city_id).filter(
        CityResponse.cycle_id == cycle.id, CityResponse.city_id.in_(ids)).order_by(City.slug)).scalars().all()
    for response in found:
        if not can(user, "response.view", response):
            continue
        items = sorted(response.items, key=lambda i: (i.recommendation.review_id, i.recommendation.position,
                                                      i.recommendation_id))
        for item in items:
            rec = item.recommendation
            table.rows.append([response.city.slug, rec.review.reviewer_city.slug, rec.text, rec.priority,
                               list(rec.criterion_ids or []), item.decision, item.comment, item.action,
                               item.action_owner, _dt(item.action_due), item.progress, item.progress_note,
                               response.state])
    return table


# --- Evidence ---------------------------------------------------------------------------------------------

EVIDENCE_COLUMNS = ["id", "city", "type", "title", "text", "date", "language", "area", "source", "gender",
                    "age_group", "vulnerable_groups", "consent", "visibility"]


def visible_evidence(cycle: Cycle, city: City | None, user) -> list:
    """The cycle's items in scope this person may see, without those whose consent was withdrawn."""
    from ..evidence.models import EvidenceItem
    from ..evidence.operations import visible_items
    ids = scope_ids(cycle, city, user)
    if not ids:
        return []
    stmt = visible_items(user, cycle=cycle).filter(EvidenceItem.city_id.in_(ids),
                                                   EvidenceItem.consent != "withdrawn")
    stmt = stmt.order_by(None).order_by(EvidenceItem.id)
    return [i for i in db.session.execute(stmt).unique().scalars() if can(user, "evidence.view", i)]


def evidence(cycle: Cycle, city: City | None, user) -> Table:
    table = Table("evidence", list(EVIDENCE_COLUMNS))
    for i in visible_evidence(cycle, city, user):
        table.rows.append([i.id, i.city.slug, i.type, i.title, i.text, _dt(i.date), i.language, i.area, i.source,
                           i.gender, i.age_group, i.group_list, i.consent, i.visibility])
    return table


# --- Codings ----------------------------------------------------------------------------------------------

CODING_COLUMNS = ["item_id", "city", "code", "start", "end", "passage", "coder", "origin"]


def codings(cycle: Cycle, city: City | None, user) -> Table:
    """Counted codings (never blind double-coding work) of the items the person may see, for those who may read
    codings at all (facilitators and the secretariat)."""
    from ..coding.models import Coding
    table = Table("codings", list(CODING_COLUMNS))
    if not can(user, "coding.view"):
        return table
    items = {i.id: i for i in visible_evidence(cycle, city, user)}
    if not items:
        return table
    found = db.session.execute(db.select(Coding).filter(Coding.item_id.in_(list(items)), Coding.sample_id.is_(None))
                               .order_by(Coding.item_id, Coding.start_offset, Coding.id)).unique().scalars().all()
    for c in found:
        item = items[c.item_id]
        coder = c.coder.name if c.coder is not None else (c.coder_name or "")
        table.rows.append([c.item_id, item.city.slug, c.code.key, c.start_offset, c.end_offset,
                           c.passage(item.text or ""), coder, c.origin])
    return table


# --- Indicators -------------------------------------------------------------------------------------------

INDICATOR_COLUMNS = ["city", "indicator", "kind", "status", "value", "low", "high", "evidence_count",
                     "method_hash"]


def indicators(cycle: Cycle, city: City | None, user) -> Table:
    from ..indicators import compute
    table = Table("indicators", list(INDICATOR_COLUMNS))
    cities = sorted((c for c in cycle.cities if c.id in scope_ids(cycle, city, user)
                     and can(user, "indicator.city", c)), key=lambda c: c.slug)
    if not cities:
        return table
    values = compute.refresh(cycle, [c.id for c in cities])
    for c in cities:
        for key, row in sorted(values.get(c.id, {}).items()):
            table.rows.append([c.slug, key, row.kind, row.status, row.value, row.low, row.high, row.n,
                               row.method_hash])
    return table


TABLES = {"assessments": assessments, "reviews": reviews, "responses": responses, "evidence": evidence,
          "codings": codings, "indicators": indicators}


def build(name: str, cycle: Cycle, city: City | None, user) -> Table:
    return TABLES[name](cycle, city, user)


# --- What a request asks for --------------------------------------------------------------------------------

def cycles_for(user) -> list[Cycle]:
    """Cycles this person may export from, newest first."""
    stmt = db.select(Cycle).order_by(Cycle.starts_on.desc(), Cycle.id.desc())
    found = [c for c in db.session.execute(stmt).scalars() if can(user, "cycle.view", c)]
    if can(user, "export.cycle"):
        return found
    own = member_city_ids(user)
    return [c for c in found if own & {city.id for city in c.cities}]


def cities_for(user, cycle: Cycle | None = None) -> list[City]:
    """Cities this person may export (of ``cycle`` when given), by name."""
    if cycle is not None:
        pool = list(cycle.cities)
    else:
        pool = list(db.session.execute(db.select(City)).scalars())
    return sorted((c for c in pool if can(user, "city.view", c) and can(user, "export.city", c)),
                  key=lambda c: c.name.casefold())


def resolve(user, table: str, fmt: str, cycle_arg, city_arg) -> tuple[Cycle, City | None]:
    """The cycle and city an export asks for, checked: ``ExportNotFound`` (404) or ``ExportForbidden`` (403).

    Without a cycle, the newest cycle the person may export from."""
    if table not in TABLES or fmt not in FORMATS:
        raise ExportNotFound(table)
    if cycle_arg:
        number = parse_id(cycle_arg)
        cycle = db.session.get(Cycle, number) if number is not None else None
        if cycle is None or not can(user, "cycle.view", cycle):
            raise ExportNotFound("cycle")
    else:
        cycle = next(iter(cycles_for(user)), None)
        if cycle is None:
            raise ExportNotFound("cycle")
    city = None
    if city_arg:
        city = db.session.execute(db.select(City).filter_by(slug=str(city_arg)[:80])).scalar_one_or_none()
        if city is None or not can(user, "city.view", city):
            raise ExportNotFound("city")
        if not can(user, "export.city", city):
            raise ExportForbidden("city")
        if city not in cycle.cities:
            raise ExportNotFound("city")
    elif not can(user, "export.index"):
        raise ExportForbidden("export")
    return cycle, city


def filename(table: str, cycle: Cycle, city: City | None, fmt: str) -> str:
    from ..utils import slugify
    parts = [table, slugify(cycle.name) or f"cycle-{cycle.id}"] + ([city.slug] if city is not None else [])
    return "-".join(parts) + f".{fmt}"
