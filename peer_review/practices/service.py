"""The good-practice library: the strengths reviewers tagged as good practices (in released reviews only) and
the practices cities enter themselves, as one list a person may search and filter by section, region and
language. Each entry links to its criteria, its evidence (only items the reader may see and whose consent is not
withdrawn) and the city's peer group in that cycle.

Visibility: a reviewer's tagged strength in a released review is offered to the whole network (the review form
says so); a city's own practice is shown to the network or only to the city and facilitators, as it chooses.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..access import is_facilitator, is_staff, member_city_ids
from ..cities.models import City
from ..cycles.models import Cycle
from ..evidence.models import EvidenceItem
from ..extensions import db
from ..reviews.models import Review, Strength
from ..rubrics import content
from ..utils import utcnow
from .models import VISIBILITIES, Practice

LANGUAGES = ("en", "es", "fr")


@dataclass
class Entry:
    kind: str  # "reviewer" or "city"
    id: int
    city: City
    cycle: Cycle | None
    title: str
    text: str
    language: str
    criteria: list[dict] = field(default_factory=list)  # {id, title, section}
    evidence: list[EvidenceItem] = field(default_factory=list)
    peer_group: str | None = None
    reviewer: str | None = None
    visibility: str = "network"
    practice: Practice | None = None

    @property
    def sections(self) -> set[str]:
        return {c["section"] for c in self.criteria if c.get("section")}


class ListPager:
    """The attributes the pagination macro reads, over a list already filtered in Python."""

    def __init__(self, rows: list, page: int, per_page: int):
        self.total = len(rows)
        self.per_page = per_page
        self.pages = max(1, math.ceil(self.total / per_page))
        self.page = min(max(1, page), self.pages)
        self.items = rows[(self.page - 1) * per_page:self.page * per_page]
        self.has_prev, self.has_next = self.page > 1, self.page < self.pages
        self.prev_num, self.next_num = self.page - 1, self.page + 1

    def iter_pages(self, left_edge=1, right_edge=1, left_current=1, right_current=2):
        last = 0
        for n in range(1, self.pages + 1):
            if n <= left_edge or n > self.pages - right_edge or \
                    self.page - left_current - 1 < n < self.page + right_current + 1:
                if last + 1 != n:
                    yield None
                yield n
                last = n


def _criteria(cycle: Cycle | None, ids, locale: str) -> list[dict]:
    if cycle is None or cycle.rubric_version is None:
        return [{"id": c, "title": "", "section": None} for c in ids or []]
    known = {c["id"]: c for c in content.criteria(cycle.rubric_version)}
    return [{"id": c, "title": content.text(known[c].get("title"), locale), "section": known[c]["section"]}
            for c in ids or [] if c in known]


def section_choices(locale: str) -> list[tuple[str, str]]:
    """Every section of the rubric versions cycles use, newest cycle first, each once."""
    seen, out = set(), []
    for cycle in db.session.execute(db.select(Cycle).filter(Cycle.rubric_version_id.is_not(None))
                                    .order_by(Cycle.starts_on.desc())).scalars():
        for section in content.sections(cycle.rubric_version):
            if section["id"] not in seen:
                seen.add(section["id"])
                out.append((section["id"], content.text(section.get("title"), locale)))
    return out


def _peer_group(cycle, city_id: int, locale: str, cache: dict) -> str | None:
    if cycle is None:
        return None
    key = (cycle.id, city_id)
    if key not in cache:
        from ..indicators.peergroup_service import group_of
        found = group_of(cycle, city_id, locale)
        cache[key] = f"{found[0]}: {found[1]}" if found else None
    return cache[key]


def _language_of(text: str) -> str:
    try:
        from nlp import detect_language
        return detect_language(text)
    except Exception:  # pragma: no cover - the library works without the NLP package
        return "en"


def can_see_practice(user, practice: Practice) -> bool:
    if practice.visibility == "network":
        return user.is_authenticated
    return user.is_authenticated and (is_staff(user) or is_facilitator(user)
                                      or practice.city_id in member_city_ids(user))


def visible_evidence(user, ids) -> list[EvidenceItem]:
    """The linked items this reader may see, consent not withdrawn."""
    if not ids:
        return []
    from ..permissions import can
    items = db.session.execute(db.select(EvidenceItem).filter(EvidenceItem.id.in_(list(ids)),
                                                              EvidenceItem.consent != "withdrawn")).scalars()
    return [i for i in items if can(user, "evidence.view", i)]


def entries(user, locale: str = "en") -> list[Entry]:
    """Every entry the user may read, newest first."""
    groups: dict = {}
    out = []
    strengths = db.session.execute(
        db.select(Strength, Review).join(Review, Review.id == Strength.review_id)
        .filter(Strength.good_practice.is_(True), Review.released_at.is_not(None))
        .order_by(Review.released_at.desc(), Strength.id)).all()
    for strength, review in strengths:
        cycle, city = review.cycle, review.reviewed_city
        criteria = _criteria(cycle, strength.criterion_ids, locale)
        # A strength has no title of its own: the criterion it speaks to names it, else its first words.
        title = next((c["title"] for c in criteria if c["title"]), None) or _first_line(strength.text)
        out.append(Entry("reviewer", strength.id, city, cycle, title=title,
                         text=strength.text, language=_language_of(strength.text), criteria=criteria,
                         peer_group=_peer_group(cycle, city.id, locale, groups),
                         reviewer=review.reviewer_city.name))
    practices = db.session.execute(db.select(Practice).order_by(Practice.created_at.desc(), Practice.id.desc())
                                   ).scalars().all()
    for practice in practices:
        if not can_see_practice(user, practice):
            continue
        out.append(Entry("city", practice.id, practice.city, practice.cycle, title=practice.title,
                         text=practice.summary, language=practice.language,
                         criteria=_criteria(practice.cycle, practice.criterion_ids, locale),
                         evidence=visible_evidence(user, practice.evidence_ids),
                         peer_group=_peer_group(practice.cycle, practice.city_id, locale, groups),
                         visibility=practice.visibility, practice=practice))
    return out


def _first_line(text: str, limit: int = 90) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    line = line.lstrip("#*-> ").strip()
    return line if len(line) <= limit else line[:limit - 1].rsplit(" ", 1)[0] + "…"


def search(rows: list[Entry], q: str = "", section: str = "", region: str = "", language: str = "",
           kind: str = "") -> list[Entry]:
    words = [w for w in (q or "").casefold().split() if w]
    out = []
    for row in rows:
        if section and section not in row.sections:
            continue
        if region and row.city.region != region:
            continue
        if language and row.language != language:
            continue
        if kind and row.kind != kind:
            continue
        if words:
            hay = " ".join([row.title, row.text, row.city.name, row.city.country,
                            " ".join(c["title"] for c in row.criteria)]).casefold()
            if not all(w in hay for w in words):
                continue
        out.append(row)
    return out


class PracticeError(ValueError):
    def __init__(self, errors: dict):
        super().__init__("invalid practice")
        self.errors = errors


def eligible_evidence(city: City, cycle: Cycle | None) -> list[EvidenceItem]:
    """Items a city may link to its practice: its own, consent not withdrawn, newest first."""
    stmt = db.select(EvidenceItem).filter(EvidenceItem.city_id == city.id, EvidenceItem.consent != "withdrawn")
    if cycle is not None:
        stmt = stmt.filter(EvidenceItem.cycle_id == cycle.id)
    return db.session.execute(stmt.order_by(EvidenceItem.date.desc(), EvidenceItem.id.desc()).limit(200)
                              ).scalars().all()


def save(practice: Practice | None, city: City, user, data: dict) -> Practice:
    """Create or change a city's practice after checking what the form or the API sent."""
    errors = {}
    title = (data.get("title") or "").strip()
    summary = (data.get("summary") or "").strip()
    if not title:
        errors["title"] = "required"
    elif len(title) > 200:
        errors["title"] = "too_long"
    if not summary:
        errors["summary"] = "required"
    elif len(summary) > 20000:
        errors["summary"] = "too_long"
    language = data.get("language") or "en"
    if language not in LANGUAGES:
        errors["language"] = "invalid"
    visibility = data.get("visibility") or "network"
    if visibility not in VISIBILITIES:
        errors["visibility"] = "invalid"
    cycle = db.session.get(Cycle, data["cycle_id"]) if data.get("cycle_id") else None
    if data.get("cycle_id") and (cycle is None or city not in cycle.cities):
        errors["cycle_id"] = "invalid"
    criteria = list(dict.fromkeys(data.get("criterion_ids") or []))
    if criteria and (cycle is None or cycle.rubric_version is None or any(
            c not in {k["id"] for k in content.criteria(cycle.rubric_version)} for c in criteria)):
        errors["criterion_ids"] = "invalid"
    evidence = list(dict.fromkeys(data.get("evidence_ids") or []))
    if evidence and any(i not in {e.id for e in eligible_evidence(city, cycle)} for i in evidence):
        errors["evidence_ids"] = "invalid"
    if errors:
        raise PracticeError(errors)
    if practice is None:
        practice = Practice(city_id=city.id, created_by_id=user.id, created_at=utcnow())
        db.session.add(practice)
    practice.title, practice.summary, practice.language, practice.visibility = title, summary, language, visibility
    practice.cycle_id = cycle.id if cycle is not None else None
    practice.criterion_ids, practice.evidence_ids = criteria, evidence
    practice.contact = (data.get("contact") or "").strip()[:200]
    db.session.flush()
    return practice


def as_dict(entry: Entry) -> dict:
    return {"kind": entry.kind, "id": entry.id, "city": entry.city.slug, "city_name": entry.city.name,
            "region": entry.city.region, "cycle_id": entry.cycle.id if entry.cycle else None,
            "title": entry.title, "text": entry.text, "language": entry.language,
            "criteria": [c["id"] for c in entry.criteria], "sections": sorted(entry.sections),
            "evidence_ids": [e.id for e in entry.evidence], "peer_group": entry.peer_group,
            "reviewer": entry.reviewer, "visibility": entry.visibility}
