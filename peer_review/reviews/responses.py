"""The reviewed city's response to the recommendations of its released peer reviews: one per city and cycle,
a decision and an action per recommendation (versioned like every draft, through ``peer_review.drafts``),
submitted once as a whole; then the progress of each action, followed into later cycles."""
from __future__ import annotations

import datetime as dt

from .. import drafts
from ..audit.operations import record
from ..errors import ValidationFailed
from ..evidence.sanitize import clean_text
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..utils import utcnow
from .models import (
    DECISIONS,
    DRAFT,
    PROGRESS,
    SUBMITTED,
    CityResponse,
    Recommendation,
    RecommendationResponse,
    Review,
)

MAX_TEXT = 5_000
MAX_OWNER = 200
ITEM_FIELDS = ("decision", "comment", "action", "action_owner", "action_due")
DECISION_KEYS = tuple(k for k, _label in DECISIONS)
PROGRESS_KEYS = tuple(k for k, _label in PROGRESS)


class ResponseLocked(ValidationFailed):
    def __init__(self):
        super().__init__({"response": [_l("This response has been submitted and is locked.")]})


class ItemConflict(drafts.DraftConflict):
    def __init__(self, item: RecommendationResponse | None, yours: dict):
        super().__init__(item, item_data(item), yours)
        self.item = item


def item_data(item: RecommendationResponse | None) -> dict:
    if item is None:
        return {"decision": None, "comment": "", "action": "", "action_owner": "", "action_due": None,
                "progress": "not_started", "progress_note": "", "version": 0}
    return {"decision": item.decision, "comment": item.comment, "action": item.action,
            "action_owner": item.action_owner,
            "action_due": item.action_due.isoformat() if item.action_due else None,
            "progress": item.progress, "progress_note": item.progress_note, "version": item.version}


def _audit(item: RecommendationResponse) -> dict:
    return {"recommendation": item.recommendation_id, "decision": item.decision,
            "comment_length": len(item.comment or ""), "action_length": len(item.action or ""),
            "owner_given": bool(item.action_owner), "due": item.action_due.isoformat() if item.action_due else None,
            "progress": item.progress, "version": item.version}


def released_reviews(cycle, city) -> list[Review]:
    return db.session.execute(db.select(Review).filter(
        Review.cycle_id == cycle.id, Review.reviewed_city_id == city.id, Review.released_at.is_not(None))
        .order_by(Review.id)).scalars().all()


def find(cycle, city) -> CityResponse | None:
    return db.session.execute(db.select(CityResponse).filter_by(cycle_id=cycle.id, city_id=city.id)
                              ).scalar_one_or_none()


def _sync_items(response: CityResponse) -> None:
    """One item per recommendation of the city's released reviews, made when first needed."""
    have = {i.recommendation_id for i in response.items}
    for review in released_reviews(response.cycle, response.city):
        for rec in review.recommendations:
            if rec.id not in have:
                response.items.append(RecommendationResponse(recommendation_id=rec.id))
    db.session.flush()


def get_or_start(cycle, city, actor=None) -> CityResponse:
    """The city's response in the cycle, started once at least one of its reviews is released."""
    response = find(cycle, city)
    if response is None:
        if not released_reviews(cycle, city):
            raise ValidationFailed({"response": [_l(
                "No peer review of %(city)s has been released in %(cycle)s yet: the response starts once the "
                "secretariat releases one.", city=city.name, cycle=cycle.name)]})
        if cycle.state == "closed":
            raise ValidationFailed({"cycle": [_l("This cycle is closed.")]})
        response = CityResponse(cycle_id=cycle.id, city_id=city.id, state=DRAFT)
        db.session.add(response)
        db.session.flush()
        db.session.refresh(response)
        record("response.start", "city_response", response.id, summary=f"{city.name}, {cycle.name}",
               after=response.snapshot(), actor=actor)
    _sync_items(response)
    return response


def items(response: CityResponse) -> list[RecommendationResponse]:
    """The items, by review then the recommendations' order, only of reviews released now."""
    released = {r.id for r in released_reviews(response.cycle, response.city)}
    rows = [i for i in response.items if i.recommendation.review_id in released]
    return sorted(rows, key=lambda i: (i.recommendation.review_id, i.recommendation.position,
                                       i.recommendation_id))


def item_for(response: CityResponse, recommendation_id: int) -> RecommendationResponse | None:
    return next((i for i in items(response) if i.recommendation_id == recommendation_id), None)


def _date(value) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ValidationFailed({"action_due": [_l("Give the due date as a date, like 2027-06-30")]}) from None


def _check(item: RecommendationResponse, data: dict) -> dict:
    current = item_data(item)
    merged = {k: data[k] if k in data else current[k] for k in ITEM_FIELDS}
    errors: dict[str, list] = {}
    out: dict = {}
    decision = merged["decision"]
    if decision in (None, ""):
        out["decision"] = None
    elif decision not in DECISION_KEYS:
        errors["decision"] = [_l("Choose accept, accept in part or decline")]
    else:
        out["decision"] = decision
    for key, limit in (("comment", MAX_TEXT), ("action", MAX_TEXT), ("action_owner", MAX_OWNER)):
        out[key] = clean_text(str(merged[key] or "")).strip()
        if len(out[key]) > limit:
            errors[key] = [_l("Must be %(n)s characters or fewer", n=f"{limit:,}")]
    try:
        out["action_due"] = _date(merged["action_due"])
    except ValidationFailed as err:
        errors.update(err.fields)
    if errors:
        raise ValidationFailed(errors)
    return out


def save_item(response: CityResponse, recommendation_id: int, values: dict, posted_version: int | None,
              actor=None) -> RecommendationResponse:
    """The city's decision and action on one recommendation; a change based on another version raises
    ``ItemConflict`` (both versions in it)."""
    if response.locked:
        raise ResponseLocked()
    if response.cycle.state == "closed":
        raise ValidationFailed({"cycle": [_l("This cycle is closed.")]})
    item = item_for(response, recommendation_id)
    if item is None:
        raise ValidationFailed({"recommendation": [_l("This recommendation is not part of the response.")]})
    yours = {k: values.get(k) for k in ITEM_FIELDS if k in values}
    actor_id = getattr(actor, "id", None)

    def apply(target, checked):
        for key, value in checked.items():
            setattr(target, key, value)
        target.updated_by_id = actor_id
        target.updated_at = utcnow()

    saved = drafts.save_versioned(
        item, posted_version, validate=lambda target: _check(target, values),
        differs=lambda target, checked: any(getattr(target, k) != v for k, v in checked.items()),
        create=lambda: item, apply=apply, conflict=lambda target: ItemConflict(target, yours),
        reload=lambda: db.session.execute(db.select(RecommendationResponse).filter_by(
            recommendation_id=recommendation_id)).scalar_one_or_none(), snapshot=_audit)
    if saved.changed:
        response.updated_at = utcnow()
        record("response.save", "city_response", response.id,
               summary=f"{response.city.name}, {response.cycle.name}: recommendation {recommendation_id}",
               before=saved.before, after=_audit(saved.row), actor=actor)
    return saved.row


def missing(response: CityResponse) -> dict[str, list]:
    out: dict[str, list] = {}
    for n, item in enumerate(items(response), start=1):
        key = f"item-{item.recommendation_id}"
        if item.decision is None:
            out[key] = [_l("Recommendation %(n)s: choose accept, accept in part or decline", n=n)]
        elif item.decision in ("accept", "partial") and not (item.action and item.action_owner and item.action_due):
            out[key] = [_l("Recommendation %(n)s: say which action, who owns it and when it is due", n=n)]
    return out


def submit(response: CityResponse, actor=None) -> CityResponse:
    if response.locked:
        raise ResponseLocked()
    if response.cycle.state == "closed":
        raise ValidationFailed({"cycle": [_l("This cycle is closed.")]})
    gaps = missing(response)
    if gaps:
        raise ValidationFailed(gaps)
    before = response.snapshot()
    response.state = SUBMITTED
    response.submitted_at = utcnow()
    response.submitted_by_id = getattr(actor, "id", None)
    db.session.flush()
    record("response.submit", "city_response", response.id, summary=f"{response.city.name}, {response.cycle.name}",
           before=before, after=dict(response.snapshot(), items=len(items(response))), actor=actor)
    drafts.notify("response_submitted", response)
    return response


def update_progress(item: RecommendationResponse, progress: str, note: str = "", actor=None,
                    posted_version: int | None = None) -> RecommendationResponse:
    """After submission: where the action stands (also in later cycles, while the city is a member)."""
    response = item.city_response
    errors: dict[str, list] = {}
    if not response.locked:
        errors["response"] = [_l("Progress is followed once the response is submitted.")]
    if progress not in PROGRESS_KEYS:
        errors["progress"] = [_l("Choose not started, in progress, done or dropped")]
    note = clean_text(note or "").strip()
    if len(note) > MAX_TEXT:
        errors["progress_note"] = [_l("Must be %(n)s characters or fewer", n=f"{MAX_TEXT:,}")]
    if errors:
        raise ValidationFailed(errors)
    drafts.check_version(item, posted_version, lambda target: ItemConflict(target, {"progress": progress,
                                                                                   "progress_note": note}))
    if item.progress == progress and item.progress_note == note:
        return item
    before = _audit(item)
    item.progress, item.progress_note = progress, note
    item.progress_updated_at = utcnow()
    item.updated_by_id = getattr(actor, "id", None)
    db.session.flush()
    record("response.progress", "city_response", response.id,
           summary=f"{response.city.name}, {response.cycle.name}: recommendation {item.recommendation_id}",
           before=before, after=dict(_audit(item), note_length=len(note)), actor=actor)
    return item


def follow_up(city, cycle) -> dict | None:
    """The recommendations the city received in its latest earlier cycle (released reviews), each with the
    city's response and progress: for the city and its new reviewers."""
    from ..cycles.models import Cycle
    earlier = db.session.execute(
        db.select(Cycle).join(Review, Review.cycle_id == Cycle.id)
        .filter(Review.reviewed_city_id == city.id, Review.released_at.is_not(None),
                Cycle.starts_on < cycle.starts_on, Cycle.id != cycle.id)
        .order_by(Cycle.starts_on.desc()).limit(1)).scalar_one_or_none()
    if earlier is None:
        return None
    response = find(earlier, city)
    rows = []
    for review in released_reviews(earlier, city):
        for rec in review.recommendations:
            rows.append({"recommendation": rec, "review": review, "item": rec.response})
    return {"cycle": earlier, "response": response, "rows": rows}


def recommendation_or_none(recommendation_id: int) -> Recommendation | None:
    return db.session.get(Recommendation, recommendation_id)
