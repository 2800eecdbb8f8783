"""Rubric versions in the JSON API: the list, and one version with its sections and criteria."""
from flask import abort

from ..api import bp
from ..api.util import paginated, token_required
from ..extensions import db
from ..permissions import require
from . import content
from . import operations as ops
from .models import RubricVersion
from .schemas import RubricVersionDetailSchema, RubricVersionSchema, ScaleLevelSchema, SectionSchema  # noqa: F401


@bp.get("/rubrics")
@token_required
def list_rubrics():
    """List rubric versions.
    ---
    get:
      tags: [rubrics]
      summary: Every loaded rubric version, by rubric id then load order
      description: >-
        Each version's `ref` ("core@1.0") is how a cycle names its rubric version (the cycle's `rubric_version`
        field).
      security: [{bearerAuth: []}]
      parameters:
        - {in: query, name: page, schema: {type: integer, minimum: 1}}
        - {in: query, name: per_page, schema: {type: integer, minimum: 1, maximum: 100}}
      responses:
        200: {description: "OK", content: {application/json: {schema: RubricVersionPageSchema}}}
    """
    require("rubric.view")
    stmt = db.select(RubricVersion).order_by(RubricVersion.rubric_id, RubricVersion.loaded_at, RubricVersion.id)
    return paginated(stmt, RubricVersionSchema(), "api.list_rubrics")


@bp.get("/rubrics/<rubric_id>/<version>")
@token_required
def get_rubric_version(rubric_id, version):
    """One rubric version with its scale, sections and criteria.
    ---
    get:
      tags: [rubrics]
      summary: One rubric version, with its sections, criteria and level descriptors in every language
      security: [{bearerAuth: []}]
      parameters:
        - {in: path, name: rubric_id, required: true, schema: {type: string}, example: core}
        - {in: path, name: version, required: true, schema: {type: string}, example: "1.0"}
      responses:
        200: {description: "OK", content: {application/json: {schema: RubricVersionDetailSchema}}}
        404: {description: "No such version", content: {application/json: {schema: ErrorSchema}}}
    """
    require("rubric.view")
    found = ops.get_version(rubric_id, version)
    if found is None:
        abort(404)
    out = RubricVersionSchema().dump(found)
    out["scale"] = ScaleLevelSchema(many=True).dump(content.scale(found))
    out["sections"] = SectionSchema(many=True).dump(content.sections(found))
    return out
