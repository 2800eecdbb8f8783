"""Practices over the API: the library (filtered as on the page) and a city entering a practice."""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import get_locale
from flask_login import current_user
from marshmallow import Schema, fields, validate

from ..api import bp
from ..api.util import ApiError, load_json, token_required
from ..cities.models import City
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..permissions import require
from . import service


class PracticeSchema(Schema):
    city = fields.String(required=True, validate=validate.Length(min=1, max=80))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    summary = fields.String(required=True, validate=validate.Length(min=1, max=20000))
    language = fields.String(load_default="en", validate=validate.OneOf(service.LANGUAGES))
    cycle_id = fields.Integer(load_default=None, allow_none=True, strict=True)
    criterion_ids = fields.List(fields.String(validate=validate.Length(max=40)), load_default=list)
    evidence_ids = fields.List(fields.Integer(strict=True), load_default=list)
    visibility = fields.String(load_default="network", validate=validate.OneOf(["network", "city"]))
    contact = fields.String(load_default="", validate=validate.Length(max=200))


@bp.get("/practices")
@token_required
def list_practices():
    """The good-practice library.
    ---
    get:
      tags: [practices]
      summary: Tagged strengths of released reviews and cities' own practices the caller may read
      security: [{bearerAuth: []}]
      parameters:
        - {in: query, name: q, schema: {type: string}}
        - {in: query, name: section, schema: {type: string}}
        - {in: query, name: region, schema: {type: string}}
        - {in: query, name: language, schema: {type: string, enum: [en, es, fr]}}
        - {in: query, name: kind, schema: {type: string, enum: [reviewer, city]}}
      responses:
        200: {description: "OK", content: {application/json: {schema: {type: object}}}}
    """
    require("practice.menu")
    from .views import filters
    rows = service.search(service.entries(current_user, str(get_locale() or "en")), **filters())
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    pager = service.ListPager(rows, page, 50)
    return jsonify({"items": [service.as_dict(e) for e in pager.items], "page": pager.page, "pages": pager.pages,
                    "total": pager.total})


@bp.post("/practices")
@token_required
def create_practice():
    """Enter a city's practice.
    ---
    post:
      tags: [practices]
      summary: A city's own practice for the library (its members, or the secretariat)
      security: [{bearerAuth: []}]
      requestBody: {content: {application/json: {schema: PracticeSchema}}}
      responses:
        201: {description: "Created", content: {application/json: {schema: {type: object}}}}
        403: {description: "Not a member of the city"}
        422: {description: "Invalid request"}
    """
    body = load_json(PracticeSchema())
    city = db.session.execute(db.select(City).filter_by(slug=body["city"])).scalar_one_or_none()
    if city is None:
        raise ApiError(422, "invalid", _l("No such city"), {"city": ["invalid"]})
    require("practice.create", city)
    try:
        practice = service.save(None, city, current_user, body)
    except service.PracticeError as err:
        db.session.rollback()
        raise ApiError(422, "invalid", _l("Check the practice's fields"),
                       {k: [v] for k, v in err.errors.items()}) from None
    db.session.commit()
    entry = next(e for e in service.entries(current_user) if e.kind == "city" and e.id == practice.id)
    return jsonify(service.as_dict(entry)), 201
