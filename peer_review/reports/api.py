"""Reports over the API: the reports one may read, their revisions, publishing and a revision's stored PDF."""
from __future__ import annotations

from flask import jsonify
from flask_login import current_user
from marshmallow import Schema, fields, validate

from ..api import bp
from ..api.util import ApiError, load_json, token_required
from ..cities.models import City
from ..cycles.models import Cycle
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..permissions import can, require
from . import operations as ops
from .models import Report
from .views import pdf_response


class ReportRenderSchema(Schema):
    kind = fields.String(load_default="peer_review", validate=validate.OneOf(["peer_review", "state_of_safety", "cycle"]))
    cycle_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))
    city = fields.String(validate=validate.Length(min=1, max=80))  # the city's slug; not for the cycle report
    locale = fields.String(load_default="en", validate=validate.OneOf(["en", "es", "fr"]))


class ReportPublishSchema(ReportRenderSchema):
    note = fields.String(load_default="", validate=validate.Length(max=5000))


def _subject(body: dict):
    """(cycle, city) a report request names; 422 when the cycle has no rubric or the city is not in it."""
    cycle = db.session.get(Cycle, body["cycle_id"])
    city = None
    if body["kind"] != "cycle":
        city = db.session.execute(db.select(City).filter_by(slug=body.get("city", ""))).scalar_one_or_none()
    if cycle is None or cycle.rubric_version_id is None or (
            body["kind"] != "cycle" and (city is None or city not in cycle.cities)):
        raise ApiError(422, "invalid", _l("No such cycle and city"), {"cycle_id": ["invalid"], "city": ["invalid"]})
    return cycle, city


def _report(report_id: int) -> Report:
    report = db.session.get(Report, report_id)
    if report is None or not (can(current_user, "report.view", report) or (
            report.city_id is None and report.revisions
            and can(current_user, "report.revision", report.revisions[-1]))):
        raise ApiError(404, "not_found", _l("No such report"))
    return report


@bp.get("/reports")
@token_required
def list_reports():
    """Reports one may read.
    ---
    get:
      tags: [reports]
      summary: List the stored reports the caller may read, each with its latest revision
      security: [{bearerAuth: []}]
      responses:
        200: {description: "OK", content: {application/json: {schema: {type: object}}}}
    """
    require("report.menu")
    reports = db.session.execute(db.select(Report).order_by(Report.id)).scalars().all()
    visible = [r for r in reports if can(current_user, "report.view", r) or (
        r.city_id is None and r.revisions and can(current_user, "report.revision", r.revisions[-1]))]
    return jsonify({"items": [ops.data(r) for r in visible]})


@bp.get("/reports/<int:report_id>/revisions")
@token_required
def list_report_revisions(report_id):
    """A report's published revisions.
    ---
    get:
      tags: [reports]
      summary: The published revisions of a report, oldest first (without the PDF bytes)
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: report_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: "OK", content: {application/json: {schema: {type: object}}}}
        404: {description: "No such report, or not visible"}
    """
    report = _report(report_id)
    return jsonify({"report": report.id, "items": [ops.revision_data(r) for r in report.revisions]})


@bp.post("/reports/publish")
@token_required
def publish_report():
    """Publish a revision.
    ---
    post:
      tags: [reports]
      summary: Render a fresh snapshot and freeze it as a new revision (the secretariat)
      description: A note is required for every revision after the first.
      security: [{bearerAuth: []}]
      requestBody: {content: {application/json: {schema: ReportPublishSchema}}}
      responses:
        201: {description: "Published", content: {application/json: {schema: {type: object}}}}
        403: {description: "Not the secretariat"}
        422: {description: "Invalid request or a correction without a note"}
    """
    require("report.publish")
    body = load_json(ReportPublishSchema())
    cycle, city = _subject(body)
    report = ops.get_or_create(body["kind"], cycle, city, body["locale"])
    try:
        revision = ops.publish(report, current_user, body["note"])
    except ops.PublishError:
        db.session.rollback()
        raise ApiError(422, "note_required", _l("A correction needs a note saying what it changes."),
                       {"note": ["required"]}) from None
    db.session.commit()
    return jsonify(ops.revision_data(revision)), 201


@bp.get("/reports/revisions/<int:revision_id>/pdf")
@token_required
def get_report_revision_pdf(revision_id):
    """A published revision's PDF.
    ---
    get:
      tags: [reports]
      summary: The stored PDF bytes of a published revision (never rendered again)
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: revision_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: "The PDF", content: {application/pdf: {}}}
        404: {description: "No such revision, or not visible"}
    """
    revision = ops.revision_or_none(revision_id)
    if revision is None or not can(current_user, "report.revision", revision):
        raise ApiError(404, "not_found", _l("No such revision"))
    response = pdf_response(revision.pdf, f"report-{revision.report_id}-r{revision.number}")
    response.headers["X-Content-SHA256"] = revision.pdf_sha256
    return response


@bp.post("/reports/render")
@token_required
def render_report():
    """Render a report's current draft.
    ---
    post:
      tags: [reports]
      summary: The draft as PDF now, or 202 with a job to follow when it is long (rendered in the background)
      security: [{bearerAuth: []}]
      requestBody: {content: {application/json: {schema: ReportRenderSchema}}}
      responses:
        200: {description: "The PDF", content: {application/pdf: {}}}
        202: {description: "Rendering in the background: follow status_url", content: {application/json: {schema: {type: object}}}}
        404: {description: "No such report, or not visible"}
        422: {description: "Invalid request"}
    """
    from flask import url_for

    from . import jobs as report_jobs
    from . import snapshot
    require("report.menu")
    body = load_json(ReportRenderSchema())
    cycle, city = _subject(body)
    report = ops.find_or_transient(body["kind"], cycle, city, body["locale"])
    if not can(current_user, "report.view", report):
        raise ApiError(404, "not_found", _l("No such report"))
    from flask_babel import force_locale
    with force_locale(body["locale"]):
        data = snapshot.build(report)
    if report_jobs.in_background(data):
        job = report_jobs.start(report, current_user)
        db.session.commit()
        return jsonify({"job": job.id, "status_url": url_for("api.get_report_render", render_job_id=job.id)}), 202
    return pdf_response(report_jobs.draft_pdf(data), f"{body['kind']}-{cycle.id}-draft")


@bp.get("/reports/renders/<int:render_job_id>")
@token_required
def get_report_render(render_job_id):
    """A report rendered in the background.
    ---
    get:
      tags: [reports]
      summary: Progress of a background rendering, and where to download the PDF once done
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: render_job_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: "OK", content: {application/json: {schema: {type: object}}}}
        404: {description: "No such rendering, or not yours"}
    """
    from ..jobs.models import Job
    from . import jobs as report_jobs
    job = db.session.get(Job, render_job_id)
    if job is None or job.kind != report_jobs.KIND or not can(current_user, "report.job", job):
        raise ApiError(404, "not_found", _l("No such rendering"))
    out = {"id": job.id, "state": job.state, "progress": job.progress, "result": job.result or {}}
    return jsonify(out)
