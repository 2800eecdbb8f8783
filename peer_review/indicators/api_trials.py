"""Field-trial ratings and summary, and a city's local indicators, over the API (the same permission table)."""
from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user
from marshmallow import INCLUDE, Schema, fields

from ..api import bp
from ..api.util import ApiError, load_json, token_required
from ..cities.models import REGIONS, City
from ..cycles.models import Cycle
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..permissions import require
from . import local as local_ops
from . import trials
from .models import LocalIndicator


class TrialRatingsSchema(Schema):
    """``ratings``: {indicator id: {ease, universality, relevance, credibility: 1..5 or null, comment}}."""
    ratings = fields.Dict(keys=fields.String(), values=fields.Dict(), required=True)


class LocalIndicatorInSchema(Schema):
    """A local indicator as in the definitions file; Spanish and French texts may be left out (English is used)."""

    class Meta:
        unknown = INCLUDE

    id = fields.String()
    name = fields.Dict(keys=fields.String(), values=fields.String())
    definition = fields.Dict(keys=fields.String(), values=fields.String())
    family = fields.String()
    direction = fields.String()
    codes = fields.List(fields.String())
    numeric = fields.Boolean()
    unit = fields.String()
    goalposts = fields.Dict(keys=fields.String(), values=fields.Raw())
    weight = fields.Raw()


def _cycle(cycle_id: int) -> Cycle:
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        raise ApiError(404, "not_found", _l("No such cycle"))
    require("cycle.view", cycle)
    return cycle


def _city(slug: str) -> City:
    city = db.session.execute(db.select(City).filter_by(slug=slug)).scalar_one_or_none()
    if city is None:
        raise ApiError(404, "not_found", _l("No such city"))
    return city


def _cycle_city(cycle_id: int, slug: str, action: str, obj_is_pair: bool):
    cycle, city = _cycle(cycle_id), _city(slug)
    require(action, (city, cycle) if obj_is_pair else city)
    if city not in cycle.cities:
        raise ApiError(404, "not_found", _l("The city does not take part in this cycle"))
    return cycle, city


def _ratings_out(cycle, city) -> dict:
    indicator_set = trials.cycle_set(cycle)
    return {"cycle": cycle.id, "city": city.slug, "set": indicator_set.version if indicator_set else None,
            "ratings": trials.ratings_of(cycle, city)}


@bp.get("/cycles/<int:cycle_id>/field-trial/<slug>")
@token_required
def get_trial_ratings(cycle_id, slug):
    """A city's field-trial ratings.
    ---
    get:
      tags: [indicators]
      summary: A city's field-trial ratings in a cycle (the city's members, facilitators and the secretariat)
      security: [{bearerAuth: []}]
      parameters:
        - {in: path, name: cycle_id, required: true, schema: {type: integer}}
        - {in: path, name: slug, required: true, schema: {type: string}}
      responses:
        200: {description: "{cycle, city, set, ratings: {indicator: {ease, universality, relevance, credibility, comment}}}"}
        404: {description: "Not found or not visible to you", content: {application/json: {schema: ErrorSchema}}}
    """
    cycle, city = _cycle_city(cycle_id, slug, "indicator.city", False)
    return jsonify(_ratings_out(cycle, city))


@bp.put("/cycles/<int:cycle_id>/field-trial/<slug>")
@token_required
def put_trial_ratings(cycle_id, slug):
    """Save a city's field-trial ratings.
    ---
    put:
      tags: [indicators]
      summary: Save ratings 1 (poor) to 5 (good) or null per indicator and criterion; the indicators given are
        replaced, the others kept (the city's members and the secretariat, while the cycle is open)
      security: [{bearerAuth: []}]
      parameters:
        - {in: path, name: cycle_id, required: true, schema: {type: integer}}
        - {in: path, name: slug, required: true, schema: {type: string}}
      requestBody: {required: true, content: {application/json: {schema: TrialRatingsSchema}}}
      responses:
        200: {description: "The city's ratings after the save"}
        403: {description: "Not allowed", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "Invalid values; see error.fields", content: {application/json: {schema: ErrorSchema}}}
    """
    cycle, city = _cycle_city(cycle_id, slug, "trial.rate", True)
    data = load_json(TrialRatingsSchema())
    trials.save_ratings(cycle, city, data["ratings"], current_user)
    db.session.commit()
    return jsonify(_ratings_out(cycle, city))


@bp.get("/cycles/<int:cycle_id>/field-trial")
@token_required
def get_trial_summary(cycle_id):
    """The field-trial summary.
    ---
    get:
      tags: [indicators]
      summary: Per indicator (never per city) the number of cities that rated it, and per criterion the mean and
        the counts of 1 to 5, overall and per region, with the comments (secretariat and facilitators)
      security: [{bearerAuth: []}]
      parameters:
        - {in: path, name: cycle_id, required: true, schema: {type: integer}}
        - {in: query, name: region, schema: {type: string}}
      responses:
        200: {description: "{cycle, set, newest, region, criteria, indicators: [...]}"}
        403: {description: "Not allowed", content: {application/json: {schema: ErrorSchema}}}
    """
    cycle = _cycle(cycle_id)
    require("trial.summary")
    region = request.args.get("region") or None
    if region is not None and region not in dict(REGIONS):
        raise ApiError(422, "invalid", _l("Unknown region"), {"region": [_l("Unknown region")]})
    return jsonify(trials.summary(cycle, region=region))


# --- Local indicators ---------------------------------------------------------------------------------------

@bp.get("/cities/<slug>/local-indicators")
@token_required
def list_local_indicators(slug):
    """A city's local indicators.
    ---
    get:
      tags: [indicators]
      summary: The indicators a city added for itself, retired ones included (the city, facilitators, secretariat)
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: slug, required: true, schema: {type: string}}]
      responses:
        200: {description: "{items: [{id, key, city, retired, definition, created_at, updated_at}]}"}
        403: {description: "Not allowed", content: {application/json: {schema: ErrorSchema}}}
    """
    city = _city(slug)
    require("indicator.city", city)
    return jsonify({"items": [local_ops.out(r) for r in local_ops.of_city(city)]})


@bp.post("/cities/<slug>/local-indicators")
@token_required
def create_local_indicator(slug):
    """Add a local indicator.
    ---
    post:
      tags: [indicators]
      summary: Add an indicator for one city (its coordinators or the secretariat); the id must not be a network
        indicator's, codes must be in the codebook
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: slug, required: true, schema: {type: string}}]
      requestBody: {required: true, content: {application/json: {schema: LocalIndicatorInSchema}}}
      responses:
        201: {description: "Created"}
        403: {description: "Not allowed", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "Invalid values; see error.fields", content: {application/json: {schema: ErrorSchema}}}
    """
    city = _city(slug)
    require("indicator.local", city)
    data = load_json(LocalIndicatorInSchema())
    row = local_ops.create_local(city, data, current_user)
    db.session.commit()
    return jsonify(local_ops.out(row)), 201


def _local(local_id: int) -> LocalIndicator:
    row = db.session.get(LocalIndicator, local_id)
    if row is None:
        raise ApiError(404, "not_found", _l("No such local indicator"))
    require("indicator.local", row.city)
    return row


@bp.patch("/local-indicators/<int:local_id>")
@token_required
def update_local_indicator(local_id):
    """Change a local indicator.
    ---
    patch:
      tags: [indicators]
      summary: Change the fields given (the id stays); its city's coordinators or the secretariat
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: local_id, required: true, schema: {type: integer}}]
      requestBody: {required: true, content: {application/json: {schema: LocalIndicatorInSchema}}}
      responses:
        200: {description: "Changed"}
        404: {description: "Not found or not visible to you", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "Invalid values; see error.fields", content: {application/json: {schema: ErrorSchema}}}
    """
    row = _local(local_id)
    data = load_json(LocalIndicatorInSchema(), partial=True)
    local_ops.update_local(row, data, current_user)
    db.session.commit()
    return jsonify(local_ops.out(row))


@bp.delete("/local-indicators/<int:local_id>")
@token_required
def retire_local_indicator(local_id):
    """Retire a local indicator.
    ---
    delete:
      tags: [indicators]
      summary: Retire a local indicator (kept for the record, no longer computed); its city's coordinators or
        the secretariat
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: local_id, required: true, schema: {type: integer}}]
      responses:
        204: {description: "Retired"}
        404: {description: "Not found or not visible to you", content: {application/json: {schema: ErrorSchema}}}
    """
    row = _local(local_id)
    local_ops.retire_local(row, current_user)
    db.session.commit()
    return "", 204
