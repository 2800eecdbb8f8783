"""Peer review API, the reviewed city's response: reading it (started for the city's members once a review is
released), a decision and an action per recommendation (If-Match), submitting, then following up progress."""
from __future__ import annotations

from types import SimpleNamespace

from flask import request
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
from ..cities.models import City
from ..cycles.models import Cycle
from ..extensions import db
from ..permissions import can, require
from . import responses as rops
from .api import _conflict, _locked
from .schemas import (
    ResponseItemOutSchema,
    ResponseItemSchema,
    ResponseOutSchema,
    ResponseProgressSchema,
)


def _response_item_out(item) -> dict:
    rec = item.recommendation
    data = rops.item_data(item)
    data.update(recommendation_id=rec.id, recommendation=rec.text, priority=rec.priority,
                criterion_ids=list(rec.criterion_ids or []), reviewer=rec.review.reviewer_city.slug,
                etag=version_etag(item.version))
    return data


def _response_out(response) -> dict:
    return {"id": response.id, "cycle": response.cycle_id, "city": response.city.slug, "state": response.state,
            "submitted_at": response.submitted_at, "items": [_response_item_out(i) for i in rops.items(response)]}


def _get_response(response_id: int):
    from .models import CityResponse
    response = db.session.get(CityResponse, response_id)
    if response is None:
        raise ApiError(404, "not_found", _("No such response."))
    return response


@bp.get("/cycles/<int:review_cycle_id>/responses/<city_slug>")
@token_required
def get_response(review_cycle_id, city_slug):
    """A city's response to its peer reviews in a cycle.
    ---
    get:
      tags: [responses]
      summary: The city's response (started for the city's members once a review is released)
      security: [{bearerAuth: []}]
      parameters:
        - {in: path, name: review_cycle_id, required: true, schema: {type: integer}}
        - {in: path, name: city_slug, required: true, schema: {type: string}}
      responses:
        200: {description: "OK", content: {application/json: {schema: ResponseOutSchema}}}
        404: {description: "Not found, not started or not visible to you", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "No review released yet", content: {application/json: {schema: ErrorSchema}}}
    """
    cycle = db.session.get(Cycle, review_cycle_id)
    city = db.session.execute(db.select(City).filter_by(slug=city_slug)).scalar_one_or_none()
    if cycle is None or city is None:
        raise ApiError(404, "not_found", _("No such cycle or city."))
    probe = SimpleNamespace(city_id=city.id, cycle=cycle, cycle_id=cycle.id)
    require("response.view", probe)
    response = rops.find(cycle, city)
    if can(current_user, "response.edit", response or probe) and (response is None or not response.locked):
        response = rops.get_or_start(cycle, city, actor=current_user)
        db.session.commit()
    if response is None:
        raise ApiError(404, "not_found", _("The city has not started its response."))
    return ResponseOutSchema().dump(_response_out(response))


def _response_item(response, recommendation_id):
    item = rops.item_for(response, recommendation_id)
    if item is None:
        raise ApiError(404, "not_found", _("This recommendation is not part of the response."))
    return item


@bp.patch("/responses/<int:response_id>/items/<int:rec_id>")
@token_required
def update_response_item(response_id, rec_id):
    """Save the city's decision and action on one recommendation.
    ---
    patch:
      tags: [responses]
      summary: Decision (accept, partial, decline), comment, action, owner and due date (If-Match with the item's ETag)
      security: [{bearerAuth: []}]
      parameters:
        - {in: path, name: response_id, required: true, schema: {type: integer}}
        - {in: path, name: rec_id, required: true, schema: {type: integer}}
        - {in: header, name: If-Match, required: true, schema: {type: string}}
      requestBody: {required: true, content: {application/json: {schema: ResponseItemSchema}}}
      responses:
        200: {description: "OK", content: {application/json: {schema: ResponseItemOutSchema}}}
        409: {description: "Changed meanwhile, or submitted", content: {application/json: {schema: ReviewConflictSchema}}}
        428: {description: "If-Match missing", content: {application/json: {schema: ErrorSchema}}}
    """
    response = _get_response(response_id)
    require("response.edit", response)
    _response_item(response, rec_id)
    data = load_json(ResponseItemSchema())
    expected = if_match_version()
    try:
        item = rops.save_item(response, rec_id, data, expected, actor=current_user)
    except rops.ItemConflict as err:
        return _conflict(err, err.theirs)
    except rops.ResponseLocked as err:
        return _locked(err)
    db.session.commit()
    return ResponseItemOutSchema().dump(_response_item_out(item)), 200, {"ETag": version_etag(item.version)}


@bp.post("/responses/<int:response_id>/submit")
@token_required
def submit_response(response_id):
    """Submit the city's response.
    ---
    post:
      tags: [responses]
      summary: Submit (a decision on every recommendation; an action, owner and due date for accepted ones); locked afterwards
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: response_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: "OK", content: {application/json: {schema: ResponseOutSchema}}}
        409: {description: "Already submitted", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "What is missing, in error.fields", content: {application/json: {schema: ErrorSchema}}}
    """
    response = _get_response(response_id)
    require("response.submit", response)
    try:
        rops.submit(response, actor=current_user)
    except rops.ResponseLocked as err:
        return _locked(err)
    db.session.commit()
    return ResponseOutSchema().dump(_response_out(response))


@bp.patch("/responses/<int:response_id>/items/<int:rec_id>/progress")
@token_required
def update_response_progress(response_id, rec_id):
    """Follow up an action after the response is submitted.
    ---
    patch:
      tags: [responses]
      summary: Progress of the action on one recommendation (not_started, in_progress, done, dropped) and a note; If-Match optional
      security: [{bearerAuth: []}]
      parameters:
        - {in: path, name: response_id, required: true, schema: {type: integer}}
        - {in: path, name: rec_id, required: true, schema: {type: integer}}
        - {in: header, name: If-Match, required: false, schema: {type: string}}
      requestBody: {required: true, content: {application/json: {schema: ResponseProgressSchema}}}
      responses:
        200: {description: "OK", content: {application/json: {schema: ResponseItemOutSchema}}}
        409: {description: "Changed meanwhile", content: {application/json: {schema: ReviewConflictSchema}}}
        422: {description: "Not submitted yet, or invalid", content: {application/json: {schema: ErrorSchema}}}
    """
    response = _get_response(response_id)
    require("response.progress", response)
    item = _response_item(response, rec_id)
    data = load_json(ResponseProgressSchema())
    expected = if_match_version() if request.headers.get("If-Match") else None
    try:
        item = rops.update_progress(item, data["progress"], data.get("note", ""), actor=current_user,
                                    posted_version=expected)
    except rops.ItemConflict as err:
        return _conflict(err, err.theirs)
    db.session.commit()
    return ResponseItemOutSchema().dump(_response_item_out(item)), 200, {"ETag": version_etag(item.version)}
