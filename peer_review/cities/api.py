from flask import request, url_for
from flask_login import current_user

from ..api import bp
from ..api.util import load_json, paginated, token_required
from ..extensions import db
from ..permissions import can, require
from . import operations as ops
from .schemas import CityOutSchema, CitySchema


@bp.get("/cities")
@token_required
def list_cities():
    """List cities.
    ---
    get:
      tags: [cities]
      summary: List cities, searchable and paginated
      security: [{bearerAuth: []}]
      parameters:
        - {in: query, name: q, schema: {type: string}, description: "Search in name, country and slug"}
        - {in: query, name: page, schema: {type: integer, minimum: 1}}
        - {in: query, name: per_page, schema: {type: integer, minimum: 1, maximum: 100}}
      responses:
        200: {description: "OK", content: {application/json: {schema: CityPageSchema}}}
        401: {description: "Not signed in (no valid token)", content: {application/json: {schema: ErrorSchema}}}
    """
    require("city.list")
    q = (request.args.get("q") or "").strip()[:100]
    stmt = ops.search_cities(q, include_inactive=can(current_user, "city.edit"))
    return paginated(stmt, CityOutSchema(), "api.list_cities", q=q or None)


@bp.get("/cities/<slug>")
@token_required
def get_city(slug):
    """One city.
    ---
    get:
      tags: [cities]
      summary: One city by its short name
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: slug, required: true, schema: {type: string}}]
      responses:
        200: {description: "OK", content: {application/json: {schema: CityOutSchema}}}
        404: {description: "Not found or not visible to you", content: {application/json: {schema: ErrorSchema}}}
    """
    city = ops.get_city_or_404(slug)
    require("city.view", city)
    return CityOutSchema().dump(city)


@bp.post("/cities")
@token_required
def create_city():
    """Create a city (secretariat).
    ---
    post:
      tags: [cities]
      summary: Create a city
      security: [{bearerAuth: []}]
      requestBody: {required: true, content: {application/json: {schema: CitySchema}}}
      responses:
        201: {description: "Created", content: {application/json: {schema: CityOutSchema}}}
        403: {description: "Not allowed", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "Invalid values; see error.fields", content: {application/json: {schema: ErrorSchema}}}
    """
    require("city.create")
    data = load_json(CitySchema())
    city = ops.create_city(data)
    db.session.commit()
    return CityOutSchema().dump(city), 201, {"Location": url_for("api.get_city", slug=city.slug)}


@bp.patch("/cities/<slug>")
@token_required
def update_city(slug):
    """Change a city (secretariat).
    ---
    patch:
      tags: [cities]
      summary: Change some fields of a city
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: slug, required: true, schema: {type: string}}]
      requestBody: {required: true, content: {application/json: {schema: CitySchema}}}
      responses:
        200: {description: "OK", content: {application/json: {schema: CityOutSchema}}}
        403: {description: "Not allowed", content: {application/json: {schema: ErrorSchema}}}
        404: {description: "Not found or not visible to you", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "Invalid values; see error.fields", content: {application/json: {schema: ErrorSchema}}}
    """
    city = ops.get_city_or_404(slug)
    require("city.edit", city)
    data = load_json(CitySchema(), partial=True)
    ops.update_city(city, data)
    db.session.commit()
    return CityOutSchema().dump(city)
