"""Conflicts of interest and peer assignments over the API, under the same permission table."""
from __future__ import annotations

from flask import jsonify, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..api import bp
from ..api.util import ApiError, load_json, paginated, token_required
from ..cities.models import City
from ..cycles.views import get_cycle_or_404
from ..extensions import db
from ..permissions import can, is_staff, member_city_ids, require
from . import conflicts as conflict_ops
from . import operations as ops
from .models import PUBLISHED, Assignment, Conflict
from .schemas import AssignmentSchema, ConflictOutSchema, ConflictSchema, ProposeSchema


def _city(slug: str, field: str) -> City:
    city = db.session.execute(db.select(City).filter_by(slug=slug)).scalar_one_or_none()
    if city is None:
        raise ApiError(422, "invalid", _("Unknown city %(slug)s", slug=slug[:80]), {field: [_("Unknown city")]})
    return city


def assignment_out(a: Assignment, slugs: dict[int, str], full: bool = True) -> dict:
    out = {"id": a.id, "cycle": a.cycle_id, "reviewer": a.reviewer_city.slug, "reviewed": a.reviewed_city.slug,
           "state": a.state, "source": a.source, "published_at": a.published_at.isoformat() if a.published_at
           else None}
    if full:
        out["costs"] = a.costs or {}
        out["alternates"] = [{"reviewer": slugs.get(alt.get("reviewer_city_id"), alt.get("reviewer_city_id")),
                              "reason": alt.get("reason"), "costs": alt.get("costs", {})}
                             for alt in (a.alternates or [])]
    return out


def _violations_out(cycle, violations) -> list[dict]:
    names = {c.id: c.name for c in cycle.cities}
    slugs = {c.id: c.slug for c in cycle.cities}
    return [{"rule": v.rule, "hard": v.hard, "cities": [slugs.get(i, i) for i in v.city_ids], "detail": v.detail,
             "message": ops.describe(v, names)} for v in violations]


# --- Conflicts ---------------------------------------------------------------------------------------------

@bp.get("/conflicts")
@token_required
def list_conflicts():
    """Conflicts of interest.
    ---
    get:
      tags: [assignments]
      summary: The declared conflicts of interest you may see (all for the secretariat, else your cities')
      security: [{bearerAuth: []}]
      parameters:
        - {in: query, name: page, schema: {type: integer, minimum: 1}}
        - {in: query, name: per_page, schema: {type: integer, minimum: 1, maximum: 100}}
      responses:
        200: {description: "OK", content: {application/json: {schema: ConflictPageSchema}}}
    """
    require("conflict.list")
    return paginated(conflict_ops.visible_to(current_user), ConflictOutSchema(), "api.list_conflicts")


@bp.post("/conflicts")
@token_required
def declare_conflict():
    """Declare a conflict of interest.
    ---
    post:
      tags: [assignments]
      summary: Declare a conflict of interest between two cities (the secretariat, or a coordinator of one of them)
      security: [{bearerAuth: []}]
      requestBody: {required: true, content: {application/json: {schema: ConflictSchema}}}
      responses:
        201: {description: "Created", content: {application/json: {schema: ConflictOutSchema}}}
        403: {description: "Not allowed", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "Invalid values; see error.fields", content: {application/json: {schema: ErrorSchema}}}
    """
    require("conflict.declare")
    data = load_json(ConflictSchema())
    city, other = _city(data["city"], "city"), _city(data["other"], "other")
    staff = is_staff(current_user)
    if not staff:
        require("conflict.declare", city)
    conflict = conflict_ops.declare(city, other, data["reason"], on_behalf_of=None if staff else city,
                                    actor=current_user)
    db.session.commit()
    return ConflictOutSchema().dump(conflict), 201


@bp.delete("/conflicts/<int:conflict_id>")
@token_required
def withdraw_conflict(conflict_id):
    """Withdraw a conflict of interest.
    ---
    delete:
      tags: [assignments]
      summary: Withdraw a declared conflict of interest (secretariat)
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: conflict_id, required: true, schema: {type: integer}}]
      responses:
        204: {description: "Withdrawn"}
        403: {description: "Not allowed", content: {application/json: {schema: ErrorSchema}}}
        404: {description: "Not found or not visible to you", content: {application/json: {schema: ErrorSchema}}}
    """
    conflict = db.get_or_404(Conflict, conflict_id)
    require("conflict.delete", conflict)
    conflict_ops.withdraw(conflict, actor=current_user)
    db.session.commit()
    return "", 204


# --- Assignments -------------------------------------------------------------------------------------------

@bp.get("/cycles/<int:cycle_id>/assignments")
@token_required
def list_assignments(cycle_id):
    """A cycle's peer assignments.
    ---
    get:
      tags: [assignments]
      summary: The cycle's assignments; the secretariat sees every pair with its costs, alternates and the rules
        they break; anyone else sees the published pairs that involve their own cities
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: cycle_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: "OK", content: {application/json: {schema: AssignmentListSchema}}}
        404: {description: "Not found or not visible to you", content: {application/json: {schema: ErrorSchema}}}
    """
    cycle = get_cycle_or_404(cycle_id)
    require("cycle.view", cycle)
    require("assignment.mine")
    slugs = {c.id: c.slug for c in cycle.cities}
    if can(current_user, "assignment.view", cycle):
        rows = ops.rows(cycle, ("proposed", "published", "removed"))
        return jsonify({"items": [assignment_out(a, slugs) for a in rows],
                        "violations": _violations_out(cycle, ops.violations(cycle)) if rows else [],
                        "run": cycle.assignment_run})
    own = member_city_ids(current_user)
    rows = [a for a in ops.rows(cycle, (PUBLISHED,)) if a.reviewer_city_id in own or a.reviewed_city_id in own]
    return jsonify({"items": [assignment_out(a, slugs, full=False) for a in rows], "violations": [], "run": None})


@bp.post("/cycles/<int:cycle_id>/assignments/propose")
@token_required
def propose_assignments(cycle_id):
    """Propose assignments with the optimiser.
    ---
    post:
      tags: [assignments]
      summary: Run the optimiser; pairs added by hand and published pairs are kept, pairs removed by hand stay out
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: cycle_id, required: true, schema: {type: integer}}]
      requestBody: {required: false, content: {application/json: {schema: ProposeSchema}}}
      responses:
        200: {description: "The proposal", content: {application/json: {schema: AssignmentListSchema}}}
        403: {description: "Not allowed, or the cycle is closed", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "No assignment possible", content: {application/json: {schema: ErrorSchema}}}
    """
    from flask import request
    cycle = get_cycle_or_404(cycle_id)
    require("assignment.manage", cycle)
    seed = load_json(ProposeSchema()).get("seed") if request.data else None
    ops.propose(cycle, actor=current_user, seed=seed)
    db.session.commit()
    return list_assignments(cycle_id)


@bp.post("/cycles/<int:cycle_id>/assignments/publish")
@token_required
def publish_assignments(cycle_id):
    """Publish the proposed assignments.
    ---
    post:
      tags: [assignments]
      summary: Publish every proposed pair; refused (422) while a pair breaks a hard rule
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: cycle_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: "Published", content: {application/json: {schema: AssignmentListSchema}}}
        403: {description: "Not allowed, or the cycle is closed", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "Nothing to publish, or a hard rule is broken", content: {application/json: {schema: ErrorSchema}}}
    """
    cycle = get_cycle_or_404(cycle_id)
    require("assignment.manage", cycle)
    ops.publish(cycle, actor=current_user)
    db.session.commit()
    return list_assignments(cycle_id)


@bp.post("/cycles/<int:cycle_id>/assignments")
@token_required
def create_assignment(cycle_id):
    """Add a pair by hand.
    ---
    post:
      tags: [assignments]
      summary: Add a reviewer city for a city by hand (kept on re-runs); the answer lists soft rules it breaks
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: cycle_id, required: true, schema: {type: integer}}]
      requestBody: {required: true, content: {application/json: {schema: AssignmentSchema}}}
      responses:
        201: {description: "Added", content: {application/json: {schema: AssignmentOutSchema}}}
        403: {description: "Not allowed, or the cycle is closed", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "A hard rule refuses it; see error.fields", content: {application/json: {schema: ErrorSchema}}}
    """
    cycle = get_cycle_or_404(cycle_id)
    require("assignment.manage", cycle)
    data = load_json(AssignmentSchema())
    row, warnings = ops.add(cycle, _city(data["reviewer"], "reviewer"), _city(data["reviewed"], "reviewed"),
                            actor=current_user, note=data.get("note", ""))
    db.session.commit()
    out = assignment_out(row, {c.id: c.slug for c in cycle.cities})
    out["warnings"] = _violations_out(cycle, warnings)
    return out, 201, {"Location": url_for("api.list_assignments", cycle_id=cycle.id)}


@bp.delete("/assignments/<int:assignment_id>")
@token_required
def delete_assignment(assignment_id):
    """Remove a pair.
    ---
    delete:
      tags: [assignments]
      summary: Remove a pair (kept out of later proposals); a published pair loses its access at once
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: assignment_id, required: true, schema: {type: integer}}]
      responses:
        204: {description: "Removed"}
        403: {description: "Not allowed, or the cycle is closed", content: {application/json: {schema: ErrorSchema}}}
        404: {description: "Not found", content: {application/json: {schema: ErrorSchema}}}
    """
    row = db.get_or_404(Assignment, assignment_id)
    if not can(current_user, "assignment.view", row.cycle):
        from flask import abort
        abort(404)
    require("assignment.manage", row.cycle)
    ops.remove(row, actor=current_user)
    db.session.commit()
    return "", 204
