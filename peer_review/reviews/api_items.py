"""Peer review API: a review's strengths and recommendations (add, change with If-Match, remove). Imported at the
end of ``api``; the review itself is there, the city's response in ``api_responses``."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user

from ..api import bp
from ..api.util import (
    ApiError,
    if_match_version,
    load_json,
    token_required,
    version_etag,
)
from ..extensions import db
from ..permissions import require
from . import operations as ops
from .api import _conflict, _get_review, _item_out, _locked, _refuse_locked
from .models import Recommendation, Review, Strength
from .schemas import (
    RecommendationOutSchema,
    RecommendationSchema,
    StrengthOutSchema,
    StrengthSchema,
)


def _item_or_404(review: Review, model, item_id: int):
    row = db.session.get(model, item_id)
    if row is None or row.review_id != review.id:
        raise ApiError(404, "not_found", _("No such item in this review."))
    return row


def _add(review_id, kind):
    review = _get_review(review_id)
    _refuse_locked(review)
    require("review.edit", review)
    schema = StrengthSchema() if kind == "strength" else RecommendationSchema()
    data = load_json(schema)
    save = ops.save_strength if kind == "strength" else ops.save_recommendation
    try:
        row = save(review, None, data, actor=current_user)
    except (ops.ReviewLocked, ops.CycleClosed) as err:
        return _locked(err)
    db.session.commit()
    out = StrengthOutSchema() if kind == "strength" else RecommendationOutSchema()
    return out.dump(_item_out(row)), 201, {"ETag": version_etag(row.version)}


def _update(review_id, item_id, kind):
    review = _get_review(review_id)
    _refuse_locked(review)
    require("review.edit", review)
    model = Strength if kind == "strength" else Recommendation
    row = _item_or_404(review, model, item_id)
    data = load_json(StrengthSchema() if kind == "strength" else RecommendationSchema(), partial=True)
    expected = if_match_version()
    save = ops.save_strength if kind == "strength" else ops.save_recommendation
    try:
        row = save(review, row, data, expected, actor=current_user)
    except ops.ItemConflict as err:
        return _conflict(err, err.theirs)
    except (ops.ReviewLocked, ops.CycleClosed) as err:
        return _locked(err)
    db.session.commit()
    out = StrengthOutSchema() if kind == "strength" else RecommendationOutSchema()
    return out.dump(_item_out(row)), 200, {"ETag": version_etag(row.version)}


def _delete(review_id, item_id, kind):
    review = _get_review(review_id)
    _refuse_locked(review)
    require("review.edit", review)
    model = Strength if kind == "strength" else Recommendation
    row = _item_or_404(review, model, item_id)
    expected = if_match_version()
    delete = ops.delete_strength if kind == "strength" else ops.delete_recommendation
    try:
        delete(review, row, expected, actor=current_user)
    except ops.ItemConflict as err:
        return _conflict(err, err.theirs)
    except (ops.ReviewLocked, ops.CycleClosed) as err:
        return _locked(err)
    db.session.commit()
    return "", 204


@bp.post("/reviews/<int:review_id>/strengths")
@token_required
def add_review_strength(review_id):
    """Add a strength.
    ---
    post:
      tags: [reviews]
      summary: Add a strength (text, good practice flag, linked criteria)
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: review_id, required: true, schema: {type: integer}}]
      requestBody: {required: true, content: {application/json: {schema: StrengthSchema}}}
      responses:
        201: {description: "Added", content: {application/json: {schema: StrengthOutSchema}}}
        409: {description: "Locked", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "Invalid values", content: {application/json: {schema: ErrorSchema}}}
    """
    return _add(review_id, "strength")


@bp.patch("/reviews/<int:review_id>/strengths/<int:strength_id>")
@token_required
def update_review_strength(review_id, strength_id):
    """Change a strength.
    ---
    patch:
      tags: [reviews]
      summary: Change a strength (If-Match with its ETag; 409 if it changed meanwhile)
      security: [{bearerAuth: []}]
      parameters:
        - {in: path, name: review_id, required: true, schema: {type: integer}}
        - {in: path, name: strength_id, required: true, schema: {type: integer}}
        - {in: header, name: If-Match, required: true, schema: {type: string}}
      requestBody: {required: true, content: {application/json: {schema: StrengthSchema}}}
      responses:
        200: {description: "OK", content: {application/json: {schema: StrengthOutSchema}}}
        409: {description: "Changed meanwhile, or locked", content: {application/json: {schema: ReviewConflictSchema}}}
        428: {description: "If-Match missing", content: {application/json: {schema: ErrorSchema}}}
    """
    return _update(review_id, strength_id, "strength")


@bp.delete("/reviews/<int:review_id>/strengths/<int:strength_id>")
@token_required
def delete_review_strength(review_id, strength_id):
    """Remove a strength.
    ---
    delete:
      tags: [reviews]
      summary: Remove a strength (If-Match with its ETag)
      security: [{bearerAuth: []}]
      parameters:
        - {in: path, name: review_id, required: true, schema: {type: integer}}
        - {in: path, name: strength_id, required: true, schema: {type: integer}}
        - {in: header, name: If-Match, required: true, schema: {type: string}}
      responses:
        204: {description: "Removed"}
        409: {description: "Changed meanwhile, or locked", content: {application/json: {schema: ReviewConflictSchema}}}
        428: {description: "If-Match missing", content: {application/json: {schema: ErrorSchema}}}
    """
    return _delete(review_id, strength_id, "strength")


@bp.post("/reviews/<int:review_id>/recommendations")
@token_required
def add_review_recommendation(review_id):
    """Add a recommendation.
    ---
    post:
      tags: [reviews]
      summary: Add a recommendation (text, priority, at least one linked criterion)
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: review_id, required: true, schema: {type: integer}}]
      requestBody: {required: true, content: {application/json: {schema: RecommendationSchema}}}
      responses:
        201: {description: "Added", content: {application/json: {schema: RecommendationOutSchema}}}
        409: {description: "Locked", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "Invalid values", content: {application/json: {schema: ErrorSchema}}}
    """
    return _add(review_id, "recommendation")


@bp.patch("/reviews/<int:review_id>/recommendations/<int:recommendation_id>")
@token_required
def update_review_recommendation(review_id, recommendation_id):
    """Change a recommendation.
    ---
    patch:
      tags: [reviews]
      summary: Change a recommendation (If-Match with its ETag; 409 if it changed meanwhile)
      security: [{bearerAuth: []}]
      parameters:
        - {in: path, name: review_id, required: true, schema: {type: integer}}
        - {in: path, name: recommendation_id, required: true, schema: {type: integer}}
        - {in: header, name: If-Match, required: true, schema: {type: string}}
      requestBody: {required: true, content: {application/json: {schema: RecommendationSchema}}}
      responses:
        200: {description: "OK", content: {application/json: {schema: RecommendationOutSchema}}}
        409: {description: "Changed meanwhile, or locked", content: {application/json: {schema: ReviewConflictSchema}}}
        428: {description: "If-Match missing", content: {application/json: {schema: ErrorSchema}}}
    """
    return _update(review_id, recommendation_id, "recommendation")


@bp.delete("/reviews/<int:review_id>/recommendations/<int:recommendation_id>")
@token_required
def delete_review_recommendation(review_id, recommendation_id):
    """Remove a recommendation.
    ---
    delete:
      tags: [reviews]
      summary: Remove a recommendation (If-Match with its ETag)
      security: [{bearerAuth: []}]
      parameters:
        - {in: path, name: review_id, required: true, schema: {type: integer}}
        - {in: path, name: recommendation_id, required: true, schema: {type: integer}}
        - {in: header, name: If-Match, required: true, schema: {type: string}}
      responses:
        204: {description: "Removed"}
        409: {description: "Changed meanwhile, or locked", content: {application/json: {schema: ReviewConflictSchema}}}
        428: {description: "If-Match missing", content: {application/json: {schema: ErrorSchema}}}
    """
    return _delete(review_id, recommendation_id, "recommendation")

