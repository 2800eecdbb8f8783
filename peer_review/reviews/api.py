"""Peer review API: the reviews a token's user may read, starting one, per-criterion answers (If-Match),
submitting, releasing (secretariat). Strengths and recommendations are in ``api_items`` (imported at the end),
the reviewed city's response in ``api_responses``."""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from ..api import bp
from ..api.errors import error_response
from ..api.util import (
    ApiError,
    if_match_version,
    load_json,
    paginated,
    token_required,
    version_etag,
)
from ..assignments.models import Assignment
from ..cities.models import City
from ..cycles.models import Cycle
from ..errors import ValidationFailed
from ..extensions import db
from ..permissions import can, require
from ..rubrics import content
from . import operations as ops
from .models import Review
from .schemas import (
    ReleaseSchema,
    ReviewAnswerOutSchema,
    ReviewAnswerSchema,
    ReviewOutSchema,
    ReviewSummarySchema,
)


def _answer_out(review: Review, cid: str, answer, city_answer) -> dict:
    data = ops.answer_data(answer)
    data.update(criterion_id=cid, etag=version_etag(data["version"]), done=ops.criterion_done(answer, city_answer),
                updated_at=answer.updated_at if answer is not None else None)
    return data


def _item_out(row) -> dict:
    data = ops.item_data(row)
    data["etag"] = version_etag(row.version)
    return data


def _summary(review: Review) -> dict:
    done, total = ops.progress(review)[""]
    return {"id": review.id, "cycle": review.cycle_id, "reviewer": review.reviewer_city.slug,
            "reviewed": review.reviewed_city.slug, "assessment": review.assessment_id, "state": review.state,
            "released": review.released, "submitted_at": review.submitted_at, "released_at": review.released_at,
            "done": done, "criteria": total}


def _review_out(review: Review) -> dict:
    answers, theirs = ops.answers_by_criterion(review), ops.city_answers(review)
    out = _summary(review)
    out["answers"] = [_answer_out(review, c["id"], answers.get(c["id"]), theirs.get(c["id"]))
                      for c in content.criteria(review.assessment.rubric_version)]
    out["strengths"] = [_item_out(s) for s in review.strengths]
    out["recommendations"] = [_item_out(r) for r in review.recommendations]
    return out


def _get_review(review_id: int) -> Review:
    review = db.session.get(Review, review_id)
    if review is None:
        raise ApiError(404, "not_found", _("No such review."))
    return review


def _conflict(err, current: dict):
    db.session.rollback()
    response = error_response(409, "conflict", _(
        "Someone saved this since you read it (version %(n)s is current). Both versions are in this answer: "
        "merge them, then send yours with If-Match set to the new ETag.", n=err.current))
    body = response.get_json()
    body["current"], body["yours"] = current, err.yours
    response = jsonify(body)
    response.status_code = 409
    response.headers["ETag"] = version_etag(err.current)
    return response


def _refuse_locked(review: Review) -> None:
    """The reviewer city's members learn why their review cannot change (409 locked), not a bare 403."""
    from .views import locked_message
    message = locked_message(review)
    if message is not None:
        raise ApiError(409, "locked", message)


def _locked(err):
    db.session.rollback()
    return error_response(409, "locked", err.first_message, err.fields)


@bp.get("/reviews")
@token_required
def list_reviews():
    """The peer reviews visible to you.
    ---
    get:
      tags: [reviews]
      summary: Reviews your cities write (published assignments), reviews of your cities once released, or every review (secretariat)
      security: [{bearerAuth: []}]
      parameters:
        - {in: query, name: page, schema: {type: integer}}
        - {in: query, name: per_page, schema: {type: integer}}
      responses:
        200: {description: "A page of reviews", content: {application/json: {schema: {type: object, properties: {items: {type: array, items: ReviewSummarySchema}}}}}}
    """
    require("review.index")
    from sqlalchemy.orm import lazyload, selectinload

    from ..assessments.models import Assessment
    # Progress reads each review's answers and its assessment's: loaded for the page in three queries, not per row.
    stmt = ops.visible_reviews_stmt(current_user).order_by(Review.id).options(
        selectinload(Review.answers),
        selectinload(Review.assessment).options(lazyload(Assessment.cycle), selectinload(Assessment.answers)))

    class _Dump:
        def dump(self, rows, many=True):
            from ..cycles.board import rubric_versions_without_content
            versions = rubric_versions_without_content(  # noqa: F841  (kept while progress reads them)
                {r.assessment.rubric_version_id for r in rows if r.assessment is not None})
            return ReviewSummarySchema().dump([_summary(r) for r in rows], many=True)
    return paginated(stmt, _Dump(), "api.list_reviews")


@bp.post("/assignments/<int:assignment_id>/review")
@token_required
def start_review(assignment_id):
    """Start the review of a published assignment.
    ---
    post:
      tags: [reviews]
      summary: Start (201) or return (200) the review of one of your cities' published assignments, once the reviewed city has submitted
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: assignment_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: "Already started", content: {application/json: {schema: ReviewOutSchema}}}
        201: {description: "Started", content: {application/json: {schema: ReviewOutSchema}}}
        404: {description: "Not found or not yours", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "The reviewed city has not submitted yet", content: {application/json: {schema: ErrorSchema}}}
    """
    require("review.index")
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or not can(current_user, "review.start", assignment):
        raise ApiError(404, "not_found", _("No such assignment of your cities."))
    existed = ops.find(assignment) is not None
    review = ops.get_or_start(assignment, actor=current_user)
    db.session.commit()
    return ReviewOutSchema().dump(_review_out(review)), (200 if existed else 201)


@bp.get("/reviews/<int:review_id>")
@token_required
def get_review(review_id):
    """One peer review with its answers, strengths and recommendations.
    ---
    get:
      tags: [reviews]
      summary: A peer review, each answer, strength and recommendation with its version
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: review_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: "OK", content: {application/json: {schema: ReviewOutSchema}}}
        404: {description: "Not found or not visible to you", content: {application/json: {schema: ErrorSchema}}}
    """
    review = _get_review(review_id)
    require("review.view", review)
    return ReviewOutSchema().dump(_review_out(review))


@bp.patch("/reviews/<int:review_id>/answers/<criterion_id>")
@token_required
def update_review_answer(review_id, criterion_id):
    """Save the reviewers' answer on one criterion.
    ---
    patch:
      tags: [reviews]
      summary: Save one criterion's level, agreement and comment (the fields given change)
      description: Send If-Match with the answer's ETag ("v0" before its first save); a change based on an older
        version is refused with 409 carrying the current answer and what you sent.
      security: [{bearerAuth: []}]
      parameters:
        - {in: path, name: review_id, required: true, schema: {type: integer}}
        - {in: path, name: criterion_id, required: true, schema: {type: string}}
        - {in: header, name: If-Match, required: true, schema: {type: string}}
      requestBody: {required: true, content: {application/json: {schema: ReviewAnswerSchema}}}
      responses:
        200: {description: "OK", content: {application/json: {schema: ReviewAnswerOutSchema}}}
        409: {description: "Changed meanwhile, or locked", content: {application/json: {schema: ReviewConflictSchema}}}
        412: {description: "If-Match is not an ETag", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "Invalid values", content: {application/json: {schema: ErrorSchema}}}
        428: {description: "If-Match missing", content: {application/json: {schema: ErrorSchema}}}
    """
    review = _get_review(review_id)
    _refuse_locked(review)
    require("review.edit", review)
    if criterion_id not in [c["id"] for c in content.criteria(review.assessment.rubric_version)]:
        raise ApiError(404, "not_found", _("This rubric version has no criterion %(id)s.", id=criterion_id))
    data = load_json(ReviewAnswerSchema())
    expected = if_match_version()
    try:
        answer = ops.save_answer(review, criterion_id, data, expected, actor=current_user, source="api")
    except ops.ReviewAnswerConflict as err:
        return _conflict(err, _answer_out(review, criterion_id, err.answer, None))
    except (ops.ReviewLocked, ops.CycleClosed) as err:
        return _locked(err)
    db.session.commit()
    out = _answer_out(review, criterion_id, answer, ops.city_answers(review).get(criterion_id))
    return ReviewAnswerOutSchema().dump(out), 200, {"ETag": version_etag(answer.version)}


@bp.post("/reviews/<int:review_id>/submit")
@token_required
def submit_review(review_id):
    """Submit a peer review.
    ---
    post:
      tags: [reviews]
      summary: Submit (every criterion with an agreement and a level, at least one recommendation); locked afterwards
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: review_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: "OK", content: {application/json: {schema: ReviewOutSchema}}}
        409: {description: "Already submitted", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "What is missing, in error.fields", content: {application/json: {schema: ErrorSchema}}}
    """
    review = _get_review(review_id)
    _refuse_locked(review)
    require("review.submit", review)
    try:
        ops.submit(review, actor=current_user)
    except (ops.ReviewLocked, ops.CycleClosed) as err:
        return _locked(err)
    db.session.commit()
    return ReviewOutSchema().dump(_review_out(review))


@bp.post("/cycles/<int:review_cycle_id>/reviews/release")
@token_required
def release_reviews(review_cycle_id):
    """Release submitted reviews to the reviewed cities (secretariat).
    ---
    post:
      tags: [reviews]
      summary: Release the submitted reviews of one city (body {"city" - slug}) or of every city in the cycle
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: review_cycle_id, required: true, schema: {type: integer}}]
      requestBody: {required: false, content: {application/json: {schema: ReleaseSchema}}}
      responses:
        200: {description: "Released", content: {application/json: {schema: ReleaseOutSchema}}}
        403: {description: "Not allowed", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "Nothing to release", content: {application/json: {schema: ErrorSchema}}}
    """
    cycle = db.session.get(Cycle, review_cycle_id)
    if cycle is None:
        raise ApiError(404, "not_found", _("No such cycle."))
    require("review.release", cycle)
    data = load_json(ReleaseSchema()) if request.get_data() else {}
    city_id = None
    if data.get("city"):
        city = db.session.execute(db.select(City).filter_by(slug=data["city"])).scalar_one_or_none()
        if city is None:
            raise ValidationFailed({"city": [_("No city %(slug)s", slug=data["city"])]})
        city_id = city.id
    released = ops.release(cycle, city_id, actor=current_user)
    db.session.commit()
    return {"released": [r.id for r in released]}


from . import api_items  # noqa: F401  (the strengths and recommendations endpoints)
