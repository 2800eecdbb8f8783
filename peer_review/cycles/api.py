from flask import url_for
from flask_login import current_user

from ..api import bp
from ..api.util import load_json, paginated, token_required
from ..extensions import db
from ..permissions import is_staff, require
from ..errors import ValidationFailed
from . import operations as ops
from . import phases as phase_ops
from .models import Cycle
from .schemas import CycleOutSchema, CycleSchema
from .views import get_cycle_or_404


@bp.get("/cycles")
@token_required
def list_cycles():
    """List review cycles.
    ---
    get:
      tags: [cycles]
      summary: List review cycles, newest first
      security: [{bearerAuth: []}]
      parameters:
        - {in: query, name: page, schema: {type: integer, minimum: 1}}
        - {in: query, name: per_page, schema: {type: integer, minimum: 1, maximum: 100}}
      responses:
        200: {description: "OK", content: {application/json: {schema: CyclePageSchema}}}
    """
    require("cycle.list")
    stmt = db.select(Cycle).order_by(Cycle.starts_on.desc())
    if not is_staff(current_user):
        stmt = stmt.filter(Cycle.state != "draft")
    return paginated(stmt, CycleOutSchema(), "api.list_cycles")


@bp.get("/cycles/<int:cycle_id>")
@token_required
def get_cycle(cycle_id):
    """One cycle.
    ---
    get:
      tags: [cycles]
      summary: One review cycle
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: cycle_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: "OK", content: {application/json: {schema: CycleOutSchema}}}
        404: {description: "Not found or not visible to you", content: {application/json: {schema: ErrorSchema}}}
    """
    cycle = get_cycle_or_404(cycle_id)
    require("cycle.view", cycle)
    return CycleOutSchema().dump(cycle)


@bp.post("/cycles")
@token_required
def create_cycle():
    """Create a cycle (secretariat).
    ---
    post:
      tags: [cycles]
      summary: Create a review cycle
      description: >-
        `rubric_version` pins the cycle to a loaded rubric version, named as rubric@version ("core@1.0", the `ref`
        of GET /api/v1/rubrics); null or absent leaves it to choose later.
      security: [{bearerAuth: []}]
      requestBody: {required: true, content: {application/json: {schema: CycleSchema}}}
      responses:
        201: {description: "Created", content: {application/json: {schema: CycleOutSchema}}}
        403: {description: "Not allowed", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "Invalid values; see error.fields", content: {application/json: {schema: ErrorSchema}}}
    """
    require("cycle.manage")
    cycle = ops.create_cycle(load_json(CycleSchema()))
    db.session.commit()
    return CycleOutSchema().dump(cycle), 201, {"Location": url_for("api.get_cycle", cycle_id=cycle.id)}


@bp.patch("/cycles/<int:cycle_id>")
@token_required
def update_cycle(cycle_id):
    """Change a cycle (secretariat).
    ---
    patch:
      tags: [cycles]
      summary: Change some fields of a review cycle
      description: >-
        `rubric_version` ("core@1.0", or null) can change only until a self-assessment of the cycle exists;
        after that a change is refused with 422 (error.fields.rubric_version).
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: cycle_id, required: true, schema: {type: integer}}]
      requestBody: {required: true, content: {application/json: {schema: CycleSchema}}}
      responses:
        200: {description: "OK", content: {application/json: {schema: CycleOutSchema}}}
        404: {description: "Not found or not visible to you", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "Invalid values; see error.fields", content: {application/json: {schema: ErrorSchema}}}
    """
    cycle = get_cycle_or_404(cycle_id)
    require("cycle.manage", cycle)
    ops.update_cycle(cycle, load_json(CycleSchema(), partial=True))
    db.session.commit()
    return CycleOutSchema().dump(cycle)


@bp.post("/cycles/<int:cycle_id>/advance")
@token_required
def advance_cycle(cycle_id):
    """Move a cycle one step forward (secretariat).
    ---
    post:
      tags: [cycles]
      summary: Move a cycle to its next phase (draft → self_assessment → … → reporting → closed)
      description: >-
        Only forward, one step at a time. Opening needs a rubric version and participating cities (422 with
        error.fields.cycle otherwise). The answer lists what was still pending in the phase that ended.
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: cycle_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: "OK", content: {application/json: {schema: CycleOutSchema}}}
        403: {description: "Not allowed, or the cycle is closed", content: {application/json: {schema: ErrorSchema}}}
        404: {description: "Not found or not visible to you", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "Cannot move on yet; see error.fields.cycle", content: {application/json: {schema: ErrorSchema}}}
    """
    cycle = get_cycle_or_404(cycle_id)
    require("cycle.advance", cycle)
    pending = [str(p) for p in phase_ops.pending_work(cycle)]
    try:
        phase_ops.advance(cycle)
    except ValidationFailed:
        db.session.rollback()
        raise
    db.session.commit()
    out = CycleOutSchema().dump(cycle)
    out["pending_in_previous_phase"] = pending
    return out
