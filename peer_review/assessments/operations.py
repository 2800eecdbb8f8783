"""Starting, filling in, submitting and reopening a city's self-assessment. Every change is audited and every
saved answer kept as a revision; the request commits."""
from __future__ import annotations

from .. import drafts
from ..audit.operations import record
from ..errors import ValidationFailed
from ..evidence.models import Attachment, EvidenceItem
from ..evidence.sanitize import clean_text
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..input_limits import parse_id
from ..rubrics import content
from ..utils import utcnow
from . import rubric
from .models import DRAFT, SUBMITTED, Answer, AnswerRevision, Assessment

MAX_JUSTIFICATION = 20_000
MAX_NOTE = 2_000
FIELDS = ("level", "not_applicable", "na_reason", "justification", "proxy_used", "proxy_note", "evidence_ids",
          "attachment_ids")
SOURCES = ("form", "autosave", "api", "workbook")


class AssessmentLocked(ValidationFailed):
    """The assessment is submitted: nothing changes until the secretariat reopens it."""

    def __init__(self):
        super().__init__({"assessment": [_l("This self-assessment has been submitted and is locked. Ask the "
                                            "secretariat to reopen it to make changes.")]})


class AnswerConflict(drafts.DraftConflict):
    """Someone saved this criterion since the version the change was based on. Carries both sides, so the page
    or the API can show the text as saved now beside the text as typed (which is never thrown away)."""

    def __init__(self, answer: Answer | None, yours: dict):
        super().__init__(answer, answer_data(answer), yours)
        self.answer = answer


def answer_data(answer: Answer | None) -> dict:
    if answer is None:
        return {"level": None, "not_applicable": False, "na_reason": "", "justification": "", "proxy_used": False,
                "proxy_note": "", "evidence_ids": [], "attachment_ids": [], "version": 0}
    return {"level": answer.level, "not_applicable": answer.not_applicable, "na_reason": answer.na_reason,
            "justification": answer.justification, "proxy_used": answer.proxy_used, "proxy_note": answer.proxy_note,
            "evidence_ids": [i.id for i in answer.evidence], "attachment_ids": list(answer.attachment_ids or []),
            "version": answer.version}


def snapshot(assessment: Assessment) -> dict:
    return {"city": assessment.city.slug, "cycle": assessment.cycle.name, "state": assessment.state,
            "rubric": assessment.rubric_version.label}


def _answer_audit(answer: Answer) -> dict:
    """Audited state of one answer; the justification's length, not its words (they can name people)."""
    return {"criterion": answer.criterion_id, "level": answer.level, "not_applicable": answer.not_applicable,
            "proxy_used": answer.proxy_used, "justification_length": len(answer.justification or ""),
            "evidence": sorted(i.id for i in answer.evidence), "version": answer.version}


# --- Starting ------------------------------------------------------------------------------------------------

def find(city, cycle) -> Assessment | None:
    return db.session.execute(db.select(Assessment).filter_by(city_id=city.id, cycle_id=cycle.id)
                              ).scalar_one_or_none()


def get_or_start(city, cycle, actor=None) -> Assessment:
    """The city's assessment in the cycle, started (pinned to the cycle's rubric version) if there is none."""
    existing = find(city, cycle)
    if existing is not None:
        return existing
    if cycle.rubric_version_id is None:
        raise ValidationFailed({"cycle": [_l("%(cycle)s has no rubric version yet: the secretariat picks one "
                                             "before self-assessments can start.", cycle=cycle.name)]})
    if city.id not in cycle.city_ids:
        raise ValidationFailed({"city": [_l("%(city)s does not take part in %(cycle)s", city=city.name,
                                            cycle=cycle.name)]})
    assessment = Assessment(city=city, cycle=cycle, rubric_version_id=cycle.rubric_version_id, state=DRAFT)
    db.session.add(assessment)
    db.session.flush()
    db.session.refresh(assessment)
    record("assessment.start", "assessment", assessment.id, summary=f"{city.name}, {cycle.name}",
           after=snapshot(assessment), actor=actor)
    return assessment


def answers_by_criterion(assessment: Assessment) -> dict[str, Answer]:
    return {a.criterion_id: a for a in assessment.answers}


def progress(assessment: Assessment | None, version=None) -> dict[str, tuple[int, int]]:
    """Per section id: (answered, criteria), plus "" for the whole assessment."""
    version = version or assessment.rubric_version
    answers = answers_by_criterion(assessment) if assessment is not None else {}
    out, total_done, total = {}, 0, 0
    for section in content.sections(version):
        ids = [c["id"] for c in section.get("criteria", [])]
        done = sum(1 for i in ids if i in answers and answers[i].answered)
        out[section["id"]] = (done, len(ids))
        total_done, total = total_done + done, total + len(ids)
    out[""] = (total_done, total)
    return out


# --- Saving one answer ---------------------------------------------------------------------------------------

def _as_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("1", "true", "yes", "y", "on", "si", "sí", "oui")


def _id_list(value) -> list[int] | None:
    if value is None:
        return []
    if isinstance(value, (int, str)):
        value = [value]
    if not isinstance(value, (list, tuple, set)):
        return None
    out = []
    for v in value:
        n = v if isinstance(v, int) and not isinstance(v, bool) else parse_id(str(v))
        if n is None:
            return None
        out.append(n)
    return sorted(set(out))


def _check(assessment: Assessment, answer: Answer | None, data: dict) -> dict:
    """Plain values (from a form, the API or a workbook) into answer fields; only the keys given change."""
    current = answer_data(answer)
    merged = {k: data[k] if k in data else current[k] for k in FIELDS}
    errors: dict[str, list] = {}
    out: dict = {}
    na = _as_bool(merged["not_applicable"])
    out["not_applicable"] = na
    level = merged["level"]
    if level in (None, "") or na:
        out["level"] = None
    else:
        number = level if isinstance(level, int) and not isinstance(level, bool) else parse_id(str(level).strip())
        allowed = rubric.levels(assessment.rubric_version)
        if number is None or number not in allowed:
            errors["level"] = [_l("Choose one of the levels %(levels)s", levels=", ".join(map(str, allowed)))]
        out["level"] = number
    out["na_reason"] = clean_text(str(merged["na_reason"] or "")).strip()
    if na and not out["na_reason"]:
        errors["na_reason"] = [_l("Say why this criterion does not apply to your city")]
    if len(out["na_reason"]) > MAX_NOTE:
        errors["na_reason"] = [_l("Must be %(n)s characters or fewer", n=f"{MAX_NOTE:,}")]
    out["justification"] = clean_text(str(merged["justification"] or ""))  # stored as typed, rendered sanitised
    if len(out["justification"]) > MAX_JUSTIFICATION:
        errors["justification"] = [_l("The justification must be %(n)s characters or fewer",
                                      n=f"{MAX_JUSTIFICATION:,}")]
    out["proxy_used"] = _as_bool(merged["proxy_used"])
    out["proxy_note"] = clean_text(str(merged["proxy_note"] or "")).strip()
    if len(out["proxy_note"]) > MAX_NOTE:
        errors["proxy_note"] = [_l("Must be %(n)s characters or fewer", n=f"{MAX_NOTE:,}")]
    item_ids, attachment_ids = _id_list(merged["evidence_ids"]), _id_list(merged["attachment_ids"])
    items: list[EvidenceItem] = []
    if item_ids is None:
        errors["evidence_ids"] = [_l("Evidence must be a list of item ids")]
    elif item_ids:
        items = db.session.execute(db.select(EvidenceItem).filter(
            EvidenceItem.id.in_(item_ids), EvidenceItem.city_id == assessment.city_id,
            EvidenceItem.cycle_id == assessment.cycle_id)).scalars().all()
        if len(items) != len(item_ids):
            errors["evidence_ids"] = [_l("Link only your city's evidence items of this cycle")]
    out["evidence"] = items
    if attachment_ids is None:
        errors["attachment_ids"] = [_l("Attachments must be a list of ids")]
    elif attachment_ids:
        allowed_items = {i.id for i in items}
        found = db.session.execute(db.select(Attachment.id).filter(
            Attachment.id.in_(attachment_ids), Attachment.item_id.in_(allowed_items or [-1]))).scalars().all()
        if len(found) != len(attachment_ids):
            errors["attachment_ids"] = [_l("Link only attachments of the evidence items linked here")]
    out["attachment_ids"] = attachment_ids or []
    if errors:
        raise ValidationFailed(errors)
    return out


def _differs(answer: Answer, values: dict) -> bool:
    return any(getattr(answer, k) != v for k, v in values.items() if k != "evidence") or \
        sorted(i.id for i in answer.evidence) != sorted(i.id for i in values["evidence"])


def save_answer(assessment: Assessment, criterion_id: str, data: dict, expected_version: int | None,
                actor=None, source: str = "form") -> Answer:
    """Save one criterion's answer. ``expected_version`` is the version the change was based on (0: there was
    no answer yet); a stale one raises ``AnswerConflict`` carrying both versions. ``None`` skips the check."""
    if assessment.locked:
        raise AssessmentLocked()
    if criterion_id not in rubric.criterion_ids(assessment.rubric_version):
        raise ValidationFailed({"criterion": [_l("Unknown criterion %(id)s", id=criterion_id)]})
    yours = {k: data.get(k) for k in FIELDS if k in data}
    actor_id = getattr(actor, "id", None)  # read first: loading it could flush a half-filled answer

    def apply(answer: Answer, values: dict) -> None:
        for key, value in values.items():
            setattr(answer, key, value)
        answer.updated_by_id = actor_id
        answer.updated_at = utcnow()

    def revise(answer: Answer) -> None:
        db.session.add(AnswerRevision(
            answer=answer, version=answer.version, level=answer.level, not_applicable=answer.not_applicable,
            na_reason=answer.na_reason, justification=answer.justification, proxy_used=answer.proxy_used,
            proxy_note=answer.proxy_note, evidence_ids=[i.id for i in answer.evidence], saved_by_id=actor_id,
            source=source if source in SOURCES else "form"))

    saved = drafts.save_versioned(
        answers_by_criterion(assessment).get(criterion_id), expected_version,
        validate=lambda answer: _check(assessment, answer, data), differs=_differs,
        create=lambda: Answer(assessment=assessment, criterion_id=criterion_id), apply=apply,
        conflict=lambda answer: AnswerConflict(answer, yours),
        reload=lambda: db.session.execute(db.select(Answer).filter_by(
            assessment_id=assessment.id, criterion_id=criterion_id)).scalar_one_or_none(),
        revise=revise, snapshot=_answer_audit)
    answer = saved.row
    if not saved.changed:
        return answer
    assessment.updated_at = utcnow()
    record("assessment.answer", "assessment", assessment.id,
           summary=f"{assessment.city.name}, {assessment.cycle.name}: {criterion_id}",
           before=saved.before, after=_answer_audit(answer), actor=actor)
    return answer


# --- Submitting and reopening --------------------------------------------------------------------------------

def missing(assessment: Assessment, locale: str = "en") -> dict[str, list]:
    """Every criterion not answered yet (no level, or not applicable without a reason), by id."""
    answers = answers_by_criterion(assessment)
    out = {}
    for criterion in content.criteria(assessment.rubric_version):
        answer = answers.get(criterion["id"])
        if answer is None or not answer.answered:
            title = content.text(criterion.get("title"), locale)
            out[criterion["id"]] = [_l("%(id)s %(title)s: choose a level, or mark it not applicable and say why",
                                       id=criterion["id"], title=title)]
    return out


def submit(assessment: Assessment, actor=None, locale: str = "en") -> Assessment:
    if assessment.locked:
        raise AssessmentLocked()
    gaps = missing(assessment, locale)
    if gaps:
        raise ValidationFailed(gaps)
    before = snapshot(assessment)
    assessment.state = SUBMITTED
    assessment.submitted_at = utcnow()
    assessment.submitted_by_id = getattr(actor, "id", None)
    db.session.flush()
    record("assessment.submit", "assessment", assessment.id,
           summary=f"{assessment.city.name}, {assessment.cycle.name}", before=before, after=snapshot(assessment),
           actor=actor)
    drafts.notify("assessment_submitted", assessment)
    return assessment


def reopen(assessment: Assessment, reason: str, actor=None) -> Assessment:
    reason = clean_text(reason or "").strip()
    errors = {}
    if not assessment.locked:
        errors["assessment"] = [_l("This self-assessment is not submitted: there is nothing to reopen.")]
    if not reason:
        errors["reason"] = [_l("Say why the self-assessment is reopened; the city sees it")]
    elif len(reason) > MAX_NOTE:
        errors["reason"] = [_l("Must be %(n)s characters or fewer", n=f"{MAX_NOTE:,}")]
    if errors:
        raise ValidationFailed(errors)
    before = snapshot(assessment)
    assessment.state = DRAFT
    assessment.reopened_at = utcnow()
    assessment.reopen_reason = reason
    db.session.flush()
    record("assessment.reopen", "assessment", assessment.id,
           summary=f"{assessment.city.name}, {assessment.cycle.name}: {reason}"[:300], before=before,
           after=dict(snapshot(assessment), reason=reason), actor=actor)
    return assessment


# --- Reading ---------------------------------------------------------------------------------------------

def previous_answers(assessment: Assessment) -> tuple[Assessment | None, dict[str, Answer]]:
    """The city's assessment in its latest earlier cycle (by start date), with its answers by criterion."""
    from ..cycles.models import Cycle
    earlier = db.session.execute(
        db.select(Assessment).join(Cycle, Assessment.cycle_id == Cycle.id)
        .filter(Assessment.city_id == assessment.city_id, Assessment.id != assessment.id,
                Cycle.starts_on < assessment.cycle.starts_on)
        .order_by(Cycle.starts_on.desc()).limit(1)).scalar_one_or_none()
    return earlier, (answers_by_criterion(earlier) if earlier is not None else {})


def city_evidence(assessment: Assessment) -> list[EvidenceItem]:
    """The items an answer may link: the city's own, in the assessment's cycle."""
    return db.session.execute(db.select(EvidenceItem).filter_by(
        city_id=assessment.city_id, cycle_id=assessment.cycle_id).order_by(EvidenceItem.title)).scalars().all()


def cycle_assessments(cycle) -> list[tuple]:
    """Every participating city with its assessment (or None) in the cycle."""
    from sqlalchemy.orm import selectinload
    found = {a.city_id: a for a in db.session.execute(  # answers in one query, not one per city
        db.select(Assessment).filter_by(cycle_id=cycle.id).options(selectinload(Assessment.answers))).scalars()}
    return [(city, found.get(city.id)) for city in cycle.cities]
