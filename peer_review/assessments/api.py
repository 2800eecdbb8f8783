"""Self-assessment API: read one with its answers, change one answer (If-Match), submit, reopen."""
from __future__ import annotations

import hashlib

from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user

from ..api import bp
from ..api.errors import error_response
from ..api.util import ApiError, if_match_version, load_json, token_required, version_etag
from ..extensions import db
from ..permissions import require
from ..rubrics import content
from . import operations as ops
from .schemas import AnswerOutSchema, AnswerSchema, AssessmentOutSchema, ReopenSchema
from .views import get_assessment_or_404


def _answer_out(cid: str, answer) -> dict:
    data = ops.answer_data(answer)
    data.update(criterion_id=cid, etag=version_etag(data["version"]), answered=bool(answer and answer.answered),
                updated_at=answer.updated_at if answer is not None else None)
    return data


def _assessment_out(assessment) -> dict:
    answers = ops.answers_by_criterion(assessment)
    ids = [c["id"] for c in content.criteria(assessment.rubric_version)]
    done, total = ops.progress(assessment)[""]
    return {
        "id": assessment.id, "city": assessment.city.slug, "cycle": assessment.cycle_id,
        "rubric": assessment.rubric_version.label, "content_hash": assessment.rubric_version.content_hash,
        "state": assessment.state,
        "submitted_at": assessment.submitted_at, "reopened_at": assessment.reopened_at,
        "reopen_reason": assessment.reopen_reason or "", "answered": done, "criteria": total,
        "answers": [_answer_out(cid, answers.get(cid)) for cid in ids],
    }


def _etag(assessment) -> str:
    state = assessment.state + ";" + ";".join(f"{a.criterion_id}={a.version}" for a in assessment.answers)
    return '"a' + hashlib.sha256(state.encode()).hexdigest()[:20] + '"'


def _locked_response(err):
    db.session.rollback()
    return error_response(409, "locked", err.first_message, err.fields)


@bp.get("/assessments/<int:assessment_id>")
@token_required
def get_assessment(assessment_id):
    """One self-assessment with every criterion's answer.
    ---
    get:
      tags: [assessments]
      summary: A self-assessment with its answers, one per criterion of its rubric version, each with its version
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: assessment_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: "OK", content: {application/json: {schema: AssessmentOutSchema}}}
        404: {description: "Not found or not visible to you", content: {application/json: {schema: ErrorSchema}}}
    """
    assessment = get_assessment_or_404(assessment_id)
    require("assessment.view", assessment)
    return AssessmentOutSchema().dump(_assessment_out(assessment)), 200, {"ETag": _etag(assessment)}


@bp.route("/assessments/<int:assessment_id>/answers/<criterion_id>", methods=["PUT", "PATCH"])
@token_required
def update_answer(assessment_id, criterion_id):
    """Save one criterion's answer.
    ---
    put:
      tags: [assessments]
      summary: Save one criterion's answer (the fields given change; the others stay)
      description: Send If-Match with the answer's ETag ("v0" before its first save). A change based on an
        older version is refused with 409, and the answer carries both the current answer and what you sent.
      security: [{bearerAuth: []}]
      parameters:
        - {in: path, name: assessment_id, required: true, schema: {type: integer}}
        - {in: path, name: criterion_id, required: true, schema: {type: string}}
        - {in: header, name: If-Match, required: true, schema: {type: string}, description: "The answer's ETag"}
      requestBody: {required: true, content: {application/json: {schema: AnswerSchema}}}
      responses:
        200: {description: "OK", content: {application/json: {schema: AnswerOutSchema}}}
        404: {description: "Not found or not visible to you", content: {application/json: {schema: ErrorSchema}}}
        409: {description: "Changed meanwhile, or locked", content: {application/json: {schema: AnswerConflictSchema}}}
        422: {description: "Invalid values; see error.fields", content: {application/json: {schema: ErrorSchema}}}
        428: {description: "If-Match missing", content: {application/json: {schema: ErrorSchema}}}
    patch:
      tags: [assessments]
      summary: The same as PUT
      security: [{bearerAuth: []}]
      parameters:
        - {in: path, name: assessment_id, required: true, schema: {type: integer}}
        - {in: path, name: criterion_id, required: true, schema: {type: string}}
        - {in: header, name: If-Match, required: true, schema: {type: string}}
      requestBody: {required: true, content: {application/json: {schema: AnswerSchema}}}
      responses:
        200: {description: "OK", content: {application/json: {schema: AnswerOutSchema}}}
        409: {description: "Changed meanwhile, or locked", content: {application/json: {schema: AnswerConflictSchema}}}
    """
    assessment = get_assessment_or_404(assessment_id)
    require("assessment.edit", assessment)
    if criterion_id not in [c["id"] for c in content.criteria(assessment.rubric_version)]:
        raise ApiError(404, "not_found", _("This rubric version has no criterion %(id)s.", id=criterion_id))
    data = load_json(AnswerSchema())
    expected = if_match_version()
    try:
        answer = ops.save_answer(assessment, criterion_id, data, expected, actor=current_user, source="api")
    except ops.AnswerConflict as err:
        db.session.rollback()
        response = error_response(409, "conflict", _(
            "Someone saved this answer since you read it (version %(n)s is current). Both versions are in this "
            "answer: merge them, then send yours with If-Match set to the new ETag.", n=err.current),
            {"justification": [_("Saved now: %(text)s", text=err.theirs["justification"])]})
        body = response.get_json()
        body["current"] = AnswerOutSchema().dump(_answer_out(criterion_id, err.answer))
        body["yours"] = err.yours
        response = jsonify(body)
        response.status_code = 409
        response.headers["ETag"] = version_etag(err.current)
        return response
    except ops.AssessmentLocked as err:
        return _locked_response(err)
    db.session.commit()
    return AnswerOutSchema().dump(_answer_out(criterion_id, answer)), 200, {"ETag": version_etag(answer.version)}


@bp.post("/assessments/<int:assessment_id>/submit")
@token_required
def submit_assessment(assessment_id):
    """Submit a self-assessment.
    ---
    post:
      tags: [assessments]
      summary: Submit (every criterion answered or not applicable with a reason); it is locked afterwards
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: assessment_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: "OK", content: {application/json: {schema: AssessmentOutSchema}}}
        409: {description: "Already submitted", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "Criteria not answered yet, each named in error.fields", content: {application/json: {schema: ErrorSchema}}}
    """
    assessment = get_assessment_or_404(assessment_id)
    require("assessment.submit", assessment)
    try:
        ops.submit(assessment, actor=current_user)
    except ops.AssessmentLocked as err:
        return _locked_response(err)
    db.session.commit()
    return AssessmentOutSchema().dump(_assessment_out(assessment)), 200, {"ETag": _etag(assessment)}


@bp.post("/assessments/<int:assessment_id>/reopen")
@token_required
def reopen_assessment(assessment_id):
    """Reopen a submitted self-assessment (secretariat).
    ---
    post:
      tags: [assessments]
      summary: Reopen a submitted self-assessment, with the reason the city will read
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: assessment_id, required: true, schema: {type: integer}}]
      requestBody: {required: true, content: {application/json: {schema: ReopenSchema}}}
      responses:
        200: {description: "OK", content: {application/json: {schema: AssessmentOutSchema}}}
        403: {description: "Not allowed", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "No reason, or not submitted", content: {application/json: {schema: ErrorSchema}}}
    """
    assessment = get_assessment_or_404(assessment_id)
    require("assessment.reopen", assessment)
    data = load_json(ReopenSchema())
    ops.reopen(assessment, data["reason"], actor=current_user)
    db.session.commit()
    return AssessmentOutSchema().dump(_assessment_out(assessment)), 200, {"ETag": _etag(assessment)}


@bp.post("/cycles/<int:cycle_id>/assessments")
@token_required
def start_assessment(cycle_id):
    """Start (or find) a city's self-assessment in a cycle.
    ---
    post:
      tags: [assessments]
      summary: The city's self-assessment in the cycle, started on the cycle's rubric version if there is none
      description: 201 when it is started now, 200 when it existed. The city is given by its short name.
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: cycle_id, required: true, schema: {type: integer}}]
      requestBody: {required: true, content: {application/json: {schema: StartAssessmentSchema}}}
      responses:
        200: {description: "It existed", content: {application/json: {schema: AssessmentOutSchema}}}
        201: {description: "Started", content: {application/json: {schema: AssessmentOutSchema}}}
        403: {description: "Not a member of that city, or the cycle is closed", content: {application/json: {schema: ErrorSchema}}}
        404: {description: "No such cycle or city", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "The cycle has no rubric version, or the city does not take part", content: {application/json: {schema: ErrorSchema}}}
    """
    from flask import abort

    from ..cities.models import City
    from ..cycles.models import Cycle
    from .schemas import StartAssessmentSchema
    cycle = db.get_or_404(Cycle, cycle_id)
    require("cycle.view", cycle)
    data = load_json(StartAssessmentSchema())
    city = db.session.execute(db.select(City).filter_by(slug=data["city"])).scalar_one_or_none()
    if city is None:
        abort(404)
    require("assessment.start", city)
    if cycle.state == "closed":
        raise ApiError(403, "closed", _("This cycle is closed: nothing in it can change."))
    existed = ops.find(city, cycle) is not None
    assessment = ops.get_or_start(city, cycle, actor=current_user)
    db.session.commit()
    return AssessmentOutSchema().dump(_assessment_out(assessment)), (200 if existed else 201), \
        {"ETag": _etag(assessment)}
