"""Numeric entries over the API: the same validation, history and permission rules as the pages."""
from __future__ import annotations

from flask import request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, fields

from ..api import bp
from ..api.schemas import DbInteger, PageSchema
from ..api.util import (
    ApiError,
    if_match_version,
    load_json,
    paginated,
    token_required,
    version_etag,
)
from ..cities.models import City
from ..extensions import db
from ..permissions import require
from . import definitions as defs
from . import numeric
from .models import NumericEntry


class NumericEntryInSchema(Schema):
    indicator = fields.String(metadata={"description": "The indicator's id (a definition with numeric: true)"})
    value = fields.Raw(metadata={"description": "A finite number within the indicator's range"})
    unit = fields.String(metadata={"description": "The indicator's unit (per_100k, percent...); default: it"})
    period_start = fields.Date()
    period_end = fields.Date(metadata={"description": "Not in the future; at most five years after the start"})
    source = fields.String()
    area = fields.String(metadata={"description": "Empty for the whole city"})
    sex = fields.String(metadata={"description": "all | female | male | other"})
    age_group = fields.String(metadata={"description": "all | children | youth | adults | older_people"})
    is_proxy = fields.Boolean()
    proxy_note = fields.String(metadata={"description": "Required when is_proxy"})
    cycle = DbInteger(allow_none=True, metadata={"description": "Id of an open cycle of the city, or null"})
    version = DbInteger(metadata={"description": "PATCH: the version you read (or send If-Match)"})


class NumericEntryOutSchema(Schema):
    id = fields.Integer()
    city = fields.Function(lambda e: e.city.slug)
    cycle = fields.Integer(attribute="cycle_id", allow_none=True)
    indicator = fields.String(attribute="indicator_key")
    value = fields.Float()
    unit = fields.String()
    period_start = fields.Date()
    period_end = fields.Date()
    source = fields.String()
    area = fields.String()
    sex = fields.String()
    age_group = fields.String()
    is_proxy = fields.Boolean()
    proxy_note = fields.String()
    withdrawn = fields.Boolean()
    read_only = fields.Function(numeric.is_locked, metadata={"description": "Linked to a closed cycle"})
    entered_via = fields.String()
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class NumericEntryPageSchema(PageSchema):
    items = fields.List(fields.Nested(NumericEntryOutSchema))


class NumericRevisionSchema(Schema):
    version = fields.Integer()
    saved_at = fields.DateTime()
    saved_by = fields.Function(lambda r: r.saved_by.name if r.saved_by else None)
    source = fields.String()
    state = fields.Dict()


class NumericHistorySchema(Schema):
    items = fields.List(fields.Nested(NumericRevisionSchema))


def _city(slug: str) -> City:
    city = db.session.execute(db.select(City).filter_by(slug=slug[:80])).scalar_one_or_none()
    if city is None:
        raise ApiError(404, "not_found", _("Not found."))
    return city


def _entry(entry_id: int, action: str) -> NumericEntry:
    entry = db.session.get(NumericEntry, entry_id)
    if entry is None:
        raise ApiError(404, "not_found", _("Not found."))
    require(action, entry.city)
    return entry


def _definitions(city) -> list[dict]:
    return defs.definitions_for(defs.ensure_loaded(), city.id)


def _data(body: dict) -> dict:
    data = {k: v for k, v in body.items() if k in numeric.FIELDS}
    if "cycle" in body:
        data["cycle_id"] = body["cycle"]
    return data


def _out(entry: NumericEntry, status: int = 200):
    return NumericEntryOutSchema().dump(entry), status, {"ETag": version_etag(entry.version)}


def _locked():
    return ApiError(403, "read_only", _("This number belongs to a closed cycle: it can be read, not changed."))


@bp.get("/cities/<slug>/numeric-entries")
@token_required
def list_numeric_entries(slug):
    """A city's reported numbers.
    ---
    get:
      tags: [indicators]
      summary: The numbers a city reports, newest period first (withdrawn ones only with withdrawn=1)
      security: [{bearerAuth: []}]
      parameters:
        - {in: path, name: slug, required: true, schema: {type: string}}
        - {in: query, name: indicator, schema: {type: string}}
        - {in: query, name: withdrawn, schema: {type: integer, enum: [0, 1]}}
        - {in: query, name: page, schema: {type: integer, minimum: 1}}
        - {in: query, name: per_page, schema: {type: integer, minimum: 1, maximum: 100}}
      responses:
        200: {description: "OK", content: {application/json: {schema: NumericEntryPageSchema}}}
        404: {description: "Not found or not visible to you", content: {application/json: {schema: ErrorSchema}}}
    """
    city = _city(slug)
    require("numeric.view", city)
    key = request.args.get("indicator", "")[:60] or None
    withdrawn = request.args.get("withdrawn") == "1"
    args = {k: v for k, v in (("indicator", key), ("withdrawn", "1" if withdrawn else None)) if v}
    return paginated(numeric.entries_for_city(city, key, include_withdrawn=withdrawn), NumericEntryOutSchema(),
                     "api.list_numeric_entries", slug=city.slug, **args)


@bp.post("/cities/<slug>/numeric-entries")
@token_required
def create_numeric_entry(slug):
    """Report a number.
    ---
    post:
      tags: [indicators]
      summary: Add a reported number; refused (422, per field) when invalid or a duplicate of a current entry
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: slug, required: true, schema: {type: string}}]
      requestBody: {required: true, content: {application/json: {schema: NumericEntryInSchema}}}
      responses:
        201: {description: "Created", content: {application/json: {schema: NumericEntryOutSchema}}}
        403: {description: "Not allowed", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "Invalid values; see error.fields", content: {application/json: {schema: ErrorSchema}}}
    """
    city = _city(slug)
    require("numeric.edit", city)
    body = load_json(NumericEntryInSchema())
    entry = numeric.create_entry(city, _data(body), _definitions(city), actor=current_user, source="api")
    db.session.commit()
    out, status, headers = _out(entry, 201)
    headers["Location"] = url_for("api.get_numeric_entry", entry_id=entry.id)
    return out, status, headers


@bp.get("/numeric-entries/<int:entry_id>")
@token_required
def get_numeric_entry(entry_id):
    """One reported number.
    ---
    get:
      tags: [indicators]
      summary: A reported number, with its version (also as ETag)
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: entry_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: "OK", content: {application/json: {schema: NumericEntryOutSchema}}}
        404: {description: "Not found or not visible to you", content: {application/json: {schema: ErrorSchema}}}
    """
    return _out(_entry(entry_id, "numeric.view"))


@bp.patch("/numeric-entries/<int:entry_id>")
@token_required
def update_numeric_entry(entry_id):
    """Change a reported number.
    ---
    patch:
      tags: [indicators]
      summary: Change some fields; send the version you read ("version" or If-Match), else 428; 409 when it
        changed meanwhile; 403 when it belongs to a closed cycle
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: entry_id, required: true, schema: {type: integer}}]
      requestBody: {required: true, content: {application/json: {schema: NumericEntryInSchema}}}
      responses:
        200: {description: "Changed", content: {application/json: {schema: NumericEntryOutSchema}}}
        409: {description: "Changed meanwhile", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "Invalid values; see error.fields", content: {application/json: {schema: ErrorSchema}}}
        428: {description: "No version given", content: {application/json: {schema: ErrorSchema}}}
    """
    entry = _entry(entry_id, "numeric.edit")
    body = load_json(NumericEntryInSchema())
    version = body.get("version")
    if version is None:
        version = if_match_version()
    try:
        numeric.update_entry(entry, _data(body), _definitions(entry.city), version, actor=current_user,
                             source="api")
    except numeric.EntryLocked:
        raise _locked() from None
    db.session.commit()
    return _out(entry)


@bp.delete("/numeric-entries/<int:entry_id>")
@token_required
def withdraw_numeric_entry(entry_id):
    """Withdraw a reported number.
    ---
    delete:
      tags: [indicators]
      summary: Withdraw (never delete) a number; its history is kept. With If-Match, refused (409) when it
        changed meanwhile
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: entry_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: "Withdrawn", content: {application/json: {schema: NumericEntryOutSchema}}}
        403: {description: "Not allowed, or in a closed cycle", content: {application/json: {schema: ErrorSchema}}}
        409: {description: "Changed meanwhile", content: {application/json: {schema: ErrorSchema}}}
    """
    entry = _entry(entry_id, "numeric.edit")
    version = if_match_version() if request.headers.get("If-Match") else entry.version
    try:
        numeric.withdraw_entry(entry, version, actor=current_user, source="api")
    except numeric.EntryLocked:
        raise _locked() from None
    db.session.commit()
    return _out(entry)


@bp.get("/numeric-entries/<int:entry_id>/history")
@token_required
def numeric_entry_history(entry_id):
    """Every saved state of a reported number.
    ---
    get:
      tags: [indicators]
      summary: The entry's saved states, oldest first, with who saved each and through what
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: entry_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: "OK", content: {application/json: {schema: NumericHistorySchema}}}
        404: {description: "Not found or not visible to you", content: {application/json: {schema: ErrorSchema}}}
    """
    entry = _entry(entry_id, "numeric.view")
    return NumericHistorySchema().dump({"items": entry.revisions})
