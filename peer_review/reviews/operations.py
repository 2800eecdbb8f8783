"""A reviewer city's peer review: starting it once the reviewed city has submitted, saving per-criterion answers
(versioned like the self-assessment's, through ``peer_review.drafts``), submitting (which locks it), reopening by
the secretariat, and releasing submitted reviews to the reviewed city. Strengths and recommendations are in
``items`` (re-exported here). Every change is audited with ids and lengths, never the words; the request
commits."""
from __future__ import annotations

from .. import drafts
from ..assessments import operations as assessment_ops
from ..assessments import rubric
from ..assignments.models import PUBLISHED, Assignment
from ..audit.operations import record
from ..errors import ValidationFailed
from ..evidence.sanitize import clean_text
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..rubrics import content
from ..utils import utcnow
from .items import (  # noqa: F401  (re-exported: callers use ops.save_strength and the like)
    MAX_TEXT,
    PRIORITY_KEYS,
    ItemConflict,
    delete_recommendation,
    delete_strength,
    item_data,
    save_recommendation,
    save_strength,
)
from .models import (
    AGREEMENTS,
    DRAFT,
    SUBMITTED,
    Review,
    ReviewAnswer,
    ReviewAnswerRevision,
)

MAX_COMMENT = 20_000
MAX_REASON = 2_000
ANSWER_FIELDS = ("level", "agreement", "comment")
SOURCES = ("form", "autosave", "api")
AGREEMENT_KEYS = tuple(k for k, _label in AGREEMENTS)


class ReviewLocked(ValidationFailed):
    def __init__(self):
        super().__init__({"review": [_l("This peer review has been submitted and is locked. Ask the secretariat "
                                        "to reopen it to make changes.")]})


class CycleClosed(ValidationFailed):
    def __init__(self):
        super().__init__({"cycle": [_l("This cycle is closed: its peer reviews can be read, not changed.")]})


class ReviewAnswerConflict(drafts.DraftConflict):
    def __init__(self, answer: ReviewAnswer | None, yours: dict):
        super().__init__(answer, answer_data(answer), yours)
        self.answer = answer


def answer_data(answer: ReviewAnswer | None) -> dict:
    if answer is None:
        return {"level": None, "agreement": None, "comment": "", "version": 0}
    return {"level": answer.level, "agreement": answer.agreement, "comment": answer.comment,
            "version": answer.version}


def _answer_audit(answer: ReviewAnswer) -> dict:
    return {"criterion": answer.criterion_id, "level": answer.level, "agreement": answer.agreement,
            "comment_length": len(answer.comment or ""), "version": answer.version}


def _summary(review: Review, extra: str = "") -> str:
    text = f"{review.reviewer_city.name} on {review.reviewed_city.name}, {review.cycle.name}"
    return f"{text}: {extra}" if extra else text


# --- Starting --------------------------------------------------------------------------------------------

def find(assignment: Assignment) -> Review | None:
    return db.session.execute(db.select(Review).filter_by(assignment_id=assignment.id)).scalar_one_or_none()


def reviewed_assessment(assignment: Assignment):
    return db.session.execute(db.select(assessment_ops.Assessment).filter_by(
        city_id=assignment.reviewed_city_id, cycle_id=assignment.cycle_id)).scalar_one_or_none()


def can_start(assignment: Assignment) -> bool:
    assessment = reviewed_assessment(assignment)
    return assignment.state == PUBLISHED and assessment is not None and assessment.state == "submitted"


def get_or_start(assignment: Assignment, actor=None) -> Review:
    """The review of a published assignment, started once the reviewed city has submitted its self-assessment."""
    existing = find(assignment)
    if existing is not None:
        return existing
    if assignment.state != PUBLISHED:
        raise ValidationFailed({"assignment": [_l("This review assignment is not published.")]})
    if assignment.cycle.state == "closed":
        raise CycleClosed()
    assessment = reviewed_assessment(assignment)
    if assessment is None or assessment.state != "submitted":
        raise ValidationFailed({"assessment": [_l(
            "%(city)s has not submitted its self-assessment yet: the review starts once it has.",
            city=assignment.reviewed_city.name)]})
    review = Review(assignment_id=assignment.id, cycle_id=assignment.cycle_id,
                    reviewer_city_id=assignment.reviewer_city_id, reviewed_city_id=assignment.reviewed_city_id,
                    assessment_id=assessment.id, state=DRAFT)
    db.session.add(review)
    db.session.flush()
    db.session.refresh(review)
    record("review.start", "review", review.id, summary=_summary(review), after=review.snapshot(), actor=actor)
    return review


# --- Reading ---------------------------------------------------------------------------------------------

def answers_by_criterion(review: Review) -> dict[str, ReviewAnswer]:
    return {a.criterion_id: a for a in review.answers}


def city_answers(review: Review) -> dict:
    return assessment_ops.answers_by_criterion(review.assessment)


def criterion_done(answer: ReviewAnswer | None, city_answer) -> bool:
    """Complete for submission: an agreement, and a level unless the city marked the criterion not applicable
    (then the agreement acknowledges, or disputes, the city's reason)."""
    if answer is None or answer.agreement is None:
        return False
    return answer.level is not None or bool(city_answer is not None and city_answer.not_applicable)


def progress(review: Review) -> dict[str, tuple[int, int]]:
    """Per section id: (criteria done, criteria), plus "" for the whole review."""
    version = review.assessment.rubric_version
    answers, theirs = answers_by_criterion(review), city_answers(review)
    out, done_all, total = {}, 0, 0
    for section in content.sections(version):
        ids = [c["id"] for c in section.get("criteria", [])]
        done = sum(1 for i in ids if criterion_done(answers.get(i), theirs.get(i)))
        out[section["id"]] = (done, len(ids))
        done_all, total = done_all + done, total + len(ids)
    out[""] = (done_all, total)
    return out


def reviews_of(city_id: int, cycle_id: int) -> list[Review]:
    return db.session.execute(db.select(Review).filter_by(reviewed_city_id=city_id, cycle_id=cycle_id)
                              .order_by(Review.id)).scalars().all()


# --- Saving answers --------------------------------------------------------------------------------------

def _editable(review: Review) -> None:
    if review.locked:
        raise ReviewLocked()
    if review.cycle.state == "closed":
        raise CycleClosed()


def _check_answer(review: Review, answer: ReviewAnswer | None, data: dict) -> dict:
    current = answer_data(answer)
    merged = {k: data[k] if k in data else current[k] for k in ANSWER_FIELDS}
    errors: dict[str, list] = {}
    out: dict = {}
    level = merged["level"]
    if level in (None, ""):
        out["level"] = None
    else:
        allowed = rubric.levels(review.assessment.rubric_version)
        number = level if isinstance(level, int) and not isinstance(level, bool) else None
        if number is None and isinstance(level, str) and level.strip().isdigit() and len(level.strip()) < 4:
            number = int(level.strip())
        if number is None or number not in allowed:
            errors["level"] = [_l("Choose one of the levels %(levels)s", levels=", ".join(map(str, allowed)))]
        out["level"] = number
    agreement = merged["agreement"]
    if agreement in (None, ""):
        out["agreement"] = None
    elif agreement not in AGREEMENT_KEYS:
        errors["agreement"] = [_l("Choose agree, partly agree or disagree")]
    else:
        out["agreement"] = agreement
    out["comment"] = clean_text(str(merged["comment"] or ""))  # stored as typed, rendered sanitised
    if len(out["comment"]) > MAX_COMMENT:
        errors["comment"] = [_l("The comment must be %(n)s characters or fewer", n=f"{MAX_COMMENT:,}")]
    if errors:
        raise ValidationFailed(errors)
    return out


def save_answer(review: Review, criterion_id: str, values: dict, posted_version: int | None, actor=None,
                source: str = "form") -> ReviewAnswer:
    """Save the reviewers' answer on one criterion (the keys given change). ``posted_version``: the version the
    change was based on (0: none yet); a stale one raises ``ReviewAnswerConflict``; ``None`` skips the check."""
    _editable(review)
    if criterion_id not in rubric.criterion_ids(review.assessment.rubric_version):
        raise ValidationFailed({"criterion": [_l("Unknown criterion %(id)s", id=criterion_id)]})
    yours = {k: values.get(k) for k in ANSWER_FIELDS if k in values}
    actor_id = getattr(actor, "id", None)

    def apply(answer: ReviewAnswer, checked: dict) -> None:
        for key, value in checked.items():
            setattr(answer, key, value)
        answer.updated_by_id = actor_id
        answer.updated_at = utcnow()

    def revise(answer: ReviewAnswer) -> None:
        db.session.add(ReviewAnswerRevision(
            answer=answer, version=answer.version, level=answer.level, agreement=answer.agreement,
            comment=answer.comment, saved_by_id=actor_id, source=source if source in SOURCES else "form"))

    saved = drafts.save_versioned(
        answers_by_criterion(review).get(criterion_id), posted_version,
        validate=lambda answer: _check_answer(review, answer, values),
        differs=lambda answer, checked: any(getattr(answer, k) != v for k, v in checked.items()),
        create=lambda: ReviewAnswer(review=review, criterion_id=criterion_id), apply=apply,
        conflict=lambda answer: ReviewAnswerConflict(answer, yours),
        reload=lambda: db.session.execute(db.select(ReviewAnswer).filter_by(
            review_id=review.id, criterion_id=criterion_id)).scalar_one_or_none(),
        revise=revise, snapshot=_answer_audit)
    if saved.changed:
        review.updated_at = utcnow()
        record("review.answer", "review", review.id, summary=_summary(review, criterion_id),
               before=saved.before, after=_answer_audit(saved.row), actor=actor)
    return saved.row


# --- Submitting, reopening, releasing --------------------------------------------------------------------

def missing(review: Review, locale: str = "en") -> dict[str, list]:
    """What stops submission, by criterion id (and "recommendations"): every criterion needs an agreement and a
    level (or, where the city marked it not applicable, an agreement with that), and the review at least one
    recommendation."""
    answers, theirs = answers_by_criterion(review), city_answers(review)
    out: dict[str, list] = {}
    for criterion in content.criteria(review.assessment.rubric_version):
        cid = criterion["id"]
        if criterion_done(answers.get(cid), theirs.get(cid)):
            continue
        title = content.text(criterion.get("title"), locale)
        city_na = theirs.get(cid) is not None and theirs[cid].not_applicable
        out[cid] = [_l("%(id)s %(title)s: say whether you agree that it does not apply", id=cid, title=title)
                    if city_na else
                    _l("%(id)s %(title)s: choose a level and whether you agree with the city", id=cid, title=title)]
    if not review.recommendations:
        out["recommendations"] = [_l("Write at least one recommendation")]
    return out


def submit(review: Review, actor=None, locale: str = "en") -> Review:
    _editable(review)
    gaps = missing(review, locale)
    if gaps:
        raise ValidationFailed(gaps)
    before = review.snapshot()
    review.state = SUBMITTED
    review.submitted_at = utcnow()
    review.submitted_by_id = getattr(actor, "id", None)
    db.session.flush()
    record("review.submit", "review", review.id, summary=_summary(review), before=before,
           after=dict(review.snapshot(), recommendations=len(review.recommendations),
                      strengths=len(review.strengths)), actor=actor)
    drafts.notify("review_submitted", review)
    return review


def reopen(review: Review, reason: str, actor=None) -> Review:
    """Back to a draft the reviewers can change; a released review is withdrawn from the city until it is
    released again."""
    reason = clean_text(reason or "").strip()
    errors = {}
    if not review.locked:
        errors["review"] = [_l("This peer review is not submitted: there is nothing to reopen.")]
    if review.cycle.state == "closed":
        errors["cycle"] = [_l("This cycle is closed: its peer reviews can be read, not changed.")]
    if not reason:
        errors["reason"] = [_l("Say why the review is reopened; the reviewers see it")]
    elif len(reason) > MAX_REASON:
        errors["reason"] = [_l("Must be %(n)s characters or fewer", n=f"{MAX_REASON:,}")]
    if errors:
        raise ValidationFailed(errors)
    before = review.snapshot()
    review.state = DRAFT
    review.released_at = None
    review.released_by_id = None
    db.session.flush()
    # The reason is the secretariat's note to the reviewers (as for self-assessments), kept with the entry.
    record("review.reopen", "review", review.id, summary=_summary(review)[:200], before=before,
           after=dict(review.snapshot(), reason=reason), actor=actor)
    return review


def reopen_reason(review: Review) -> str | None:
    """The secretariat's reason for the latest reopening, while the review is a draft again."""
    if review.locked:
        return None
    from ..audit.models import AuditEntry
    entry = db.session.execute(db.select(AuditEntry).filter_by(
        action="review.reopen", object_type="review", object_id=str(review.id))
        .order_by(AuditEntry.id.desc()).limit(1)).scalar_one_or_none()
    return (entry.after or {}).get("reason") if entry is not None else None


def release(cycle, city_id: int | None = None, actor=None) -> list[Review]:
    """Release the submitted, not yet released reviews of one reviewed city (or of every city) in the cycle."""
    if cycle.state == "closed":
        raise CycleClosed()
    stmt = db.select(Review).filter(Review.cycle_id == cycle.id, Review.state == SUBMITTED,
                                    Review.released_at.is_(None))
    if city_id is not None:
        stmt = stmt.filter(Review.reviewed_city_id == city_id)
    reviews = db.session.execute(stmt.order_by(Review.id)).scalars().all()
    if not reviews:
        raise ValidationFailed({"reviews": [_l("There are no submitted reviews waiting to be released.")]})
    now = utcnow()
    for review in reviews:
        review.released_at = now
        review.released_by_id = getattr(actor, "id", None)
    db.session.flush()
    cities = sorted({r.reviewed_city_id for r in reviews})
    record("review.release", "cycle", cycle.id, summary=cycle.name,
           after={"cities": sorted(r.reviewed_city.slug for r in {r.reviewed_city_id: r for r in reviews}.values()),
                  "reviews": [r.id for r in reviews]}, actor=actor)
    for cid in cities:
        drafts.notify("reviews_released", cycle, cid)
    return reviews


def visible_reviews_stmt(user):
    """Reviews the user may read (the SQL twin of review.view)."""
    from sqlalchemy import and_, false, or_, true

    from ..permissions import is_staff, member_city_ids
    if not user.is_authenticated:
        return db.select(Review).filter(false())
    if is_staff(user):
        return db.select(Review).filter(true())
    own = member_city_ids(user) or {-1}
    return db.select(Review).join(Assignment, Assignment.id == Review.assignment_id).filter(or_(
        and_(Review.reviewer_city_id.in_(own), Assignment.state == PUBLISHED),
        and_(Review.reviewed_city_id.in_(own), Review.released_at.is_not(None))))
