"""Open data over the API: a cycle's latest published release (public, like its stable addresses) and
publishing a new one (the secretariat)."""
from __future__ import annotations

from flask import abort, jsonify, request
from flask_login import current_user
from marshmallow import Schema, fields, validate

from ..api import bp
from ..api.util import load_json, token_required
from ..cycles.models import Cycle
from ..extensions import db
from ..permissions import can, require
from . import service


class OpenDataPublishSchema(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=2000))


@bp.get("/open-data/cycles/<int:cycle_id>")
def get_open_data(cycle_id):
    """A cycle's published indicator values.
    ---
    get:
      tags: [open data]
      summary: The latest published release of a cycle's indicator values (no sign-in needed)
      parameters: [{in: path, name: cycle_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: "OK", content: {application/json: {schema: {type: object}}}}
        404: {description: "No such cycle, or nothing published"}
    """
    cycle = db.session.get(Cycle, cycle_id)
    release = service.latest(cycle) if cycle is not None else None
    if release is None or not can(current_user, "opendata.read"):
        abort(404)
    return jsonify(service.as_json(release, cycle))


@bp.post("/open-data/cycles/<int:cycle_id>/publish")
@token_required
def publish_open_data(cycle_id):
    """Publish a release.
    ---
    post:
      tags: [open data]
      summary: Freeze today's indicator values of a cycle as a new open data release (the secretariat)
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: cycle_id, required: true, schema: {type: integer}}]
      requestBody: {required: false, content: {application/json: {schema: OpenDataPublishSchema}}}
      responses:
        201: {description: "Published", content: {application/json: {schema: {type: object}}}}
        403: {description: "Not the secretariat"}
        404: {description: "No such cycle"}
    """
    require("opendata.publish")
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        abort(404)
    body = load_json(OpenDataPublishSchema()) if request.get_data() else {"note": ""}  # the note is optional
    release = service.publish(cycle, current_user, body["note"])
    db.session.commit()
    return jsonify({"cycle_id": cycle.id, "release": release.number, "sha256": release.sha256,
                    "values": len(release.rows)}), 201
