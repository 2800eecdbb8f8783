"""Report pages: the index of reports a person may read, each report's preview (with the draft PDF and, for the
secretariat, publishing), the stories a city chooses for its "State of Safety", the progress of a report
rendered in the background, and the download of a published revision's stored bytes."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required

from ..cities.models import City
from ..cycles.models import Cycle
from ..extensions import db
from ..i18n import gettext as _
from ..jobs.models import Job
from ..permissions import can, require
from . import jobs as report_jobs
from . import operations as ops
from . import render, snapshot
from .blueprint import bp
from .models import Report, ReportRender

CITY_KINDS = {"peer-review": "peer_review", "state-of-safety": "state_of_safety"}


def _locale() -> str:
    return str(get_locale() or "en")


def _report(kind: str, cycle: Cycle, city: City | None) -> Report:
    return ops.find_or_transient(kind, cycle, city, _locale())


def _subject(report_cycle_id: int, slug: str, kind: str = "peer_review") -> tuple[Cycle, City, Report]:
    cycle = db.session.get(Cycle, report_cycle_id)
    city = db.session.execute(db.select(City).filter_by(slug=slug)).scalar_one_or_none()
    if cycle is None or city is None or city not in cycle.cities:
        abort(404)
    report = _report(kind, cycle, city)
    require("report.view", report)
    if cycle.rubric_version_id is None:
        abort(404)
    return cycle, city, report


def _cycle_subject(report_cycle_id: int) -> tuple[Cycle, Report]:
    cycle = db.session.get(Cycle, report_cycle_id)
    if cycle is None:
        abort(404)
    report = _report("cycle", cycle, None)
    require("report.view", report)
    if cycle.rubric_version_id is None:
        abort(404)
    return cycle, report


def pdf_response(pdf: bytes, name: str) -> Response:
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _name(report: Report, suffix: str = "draft") -> str:
    subject = report.city.slug if report.city is not None else "network"
    return f"{report.kind.replace('_', '-')}-{subject}-{report.cycle_id}-{report.locale}-{suffix}"


@bp.get("/")
@login_required
def index():
    require("report.menu")
    subjects = ops.visible_subjects(current_user)
    published = db.session.execute(db.select(Report).filter(Report.city_id.is_(None))).scalars().all()
    cycle_reports = [r for r in published if r.revisions and can(current_user, "report.revision", r.revisions[-1])]
    drafts = []
    if can(current_user, "report.view", Report(kind="cycle", city_id=None)):
        drafts = db.session.execute(db.select(Cycle).filter(Cycle.rubric_version_id.is_not(None))
                                    .order_by(Cycle.starts_on.desc())).scalars().all()
    return render_template("reports/index.html", subjects=subjects, cycle_reports=cycle_reports,
                           cycle_drafts=drafts)


HEADINGS = {"peer_review": lambda: _("Peer review report"), "state_of_safety": lambda: _("State of Safety"),
            "cycle": lambda: _("Cycle report")}


def _urls(report: Report) -> dict:
    if report.kind == "cycle":
        args = {"report_cycle_id": report.cycle_id}
        return {"pdf": url_for(".cycle_pdf", **args), "publish": url_for(".publish_cycle", **args),
                "page": url_for(".cycle", **args)}
    args = {"report_cycle_id": report.cycle_id, "slug": report.city.slug,
            "report_kind": report.kind.replace("_", "-")}
    return {"pdf": url_for(".city_pdf", **args), "publish": url_for(".publish_city", **args),
            "page": url_for(".city_report", **args)}


def _preview(report: Report, data: dict):
    body = render.render_html(data, preview=True)
    revisions = list(reversed(report.revisions)) if report.id else []
    caption = f"{report.city.name} · {report.cycle.name}" if report.city is not None else report.cycle.name
    urls = _urls(report)
    stories_url = None
    if report.kind == "state_of_safety" and can(current_user, "report.stories", report):
        stories_url = url_for(".stories", report_cycle_id=report.cycle_id, slug=report.city.slug)
    return render_template("reports/preview.html", report=report, body=body, revisions=revisions,
                           heading=HEADINGS[report.kind](), caption=caption, preview_locale=data["locale"],
                           pdf_url=urls["pdf"], publish_url=urls["publish"], stories_url=stories_url,
                           background=report_jobs.in_background(data),
                           can_publish=can(current_user, "report.publish", report))


def _pdf(report: Report):
    data = snapshot.build(report)
    if report_jobs.in_background(data):
        job = report_jobs.start(report, current_user)
        db.session.commit()
        return redirect(url_for(".render_status", render_job_id=job.id))
    return pdf_response(report_jobs.draft_pdf(data), _name(report))


def _publish(report: Report):
    require("report.publish", report)
    back = _urls(report)["page"]
    note = request.form.get("note", "")
    if report.revisions and not note.strip():
        flash(_("A correction needs a note saying what it changes."), "error")
        return redirect(back), 303
    if report_jobs.in_background(snapshot.build(report)):
        job = report_jobs.start(report, current_user, publish=True, note=note)
        db.session.commit()
        return redirect(url_for(".render_status", render_job_id=job.id))
    if report.id is None:
        report = ops.get_or_create(report.kind, report.cycle, report.city, report.locale)
    try:
        revision = ops.publish(report, current_user, note)
    except ops.PublishError:
        db.session.rollback()
        flash(_("A correction needs a note saying what it changes."), "error")
        return redirect(back), 303
    db.session.commit()
    flash(_("Revision %(n)d published.", n=revision.number), "success")
    return redirect(back)


def _city_kind(kind: str) -> str:
    if kind not in CITY_KINDS:
        abort(404)
    return CITY_KINDS[kind]


@bp.get("/cycles/<int:report_cycle_id>/cities/<slug>/<report_kind>")
@login_required
def city_report(report_cycle_id: int, slug: str, report_kind: str):
    _cycle, _city, report = _subject(report_cycle_id, slug, _city_kind(report_kind))
    return _preview(report, snapshot.build(report))


@bp.get("/cycles/<int:report_cycle_id>/cities/<slug>/<report_kind>.pdf")
@login_required
def city_pdf(report_cycle_id: int, slug: str, report_kind: str):
    _cycle, _city, report = _subject(report_cycle_id, slug, _city_kind(report_kind))
    return _pdf(report)


@bp.post("/cycles/<int:report_cycle_id>/cities/<slug>/<report_kind>/publish")
@login_required
def publish_city(report_cycle_id: int, slug: str, report_kind: str):
    _cycle, _city, report = _subject(report_cycle_id, slug, _city_kind(report_kind))
    return _publish(report)


@bp.get("/cycles/<int:report_cycle_id>/network")
@login_required
def cycle(report_cycle_id: int):
    _cycle, report = _cycle_subject(report_cycle_id)
    return _preview(report, snapshot.build(report))


@bp.get("/cycles/<int:report_cycle_id>/network.pdf")
@login_required
def cycle_pdf(report_cycle_id: int):
    _cycle, report = _cycle_subject(report_cycle_id)
    return _pdf(report)


@bp.post("/cycles/<int:report_cycle_id>/network/publish")
@login_required
def publish_cycle(report_cycle_id: int):
    _cycle, report = _cycle_subject(report_cycle_id)
    return _publish(report)


def _render_job(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    if job is None or job.kind != report_jobs.KIND or not can(current_user, "report.job", job):
        abort(404)
    return job


@bp.get("/renders/<int:render_job_id>")
@login_required
def render_status(render_job_id: int):
    job = _render_job(render_job_id)
    partial = request.headers.get("HX-Request") == "true"
    return render_template("reports/_render_job.html" if partial else "reports/render_job.html", job=job,
                           back=_back_url(job))


def _back_url(job: Job) -> str | None:
    params = job.params or {}
    if params.get("kind") == "cycle":
        return url_for(".cycle", report_cycle_id=params["cycle_id"])
    city = db.session.get(City, params.get("city_id")) if params.get("city_id") else None
    if city is None:
        return None
    return url_for(".city_report", report_cycle_id=params["cycle_id"], slug=city.slug,
                   report_kind=params["kind"].replace("_", "-"))


@bp.get("/renders/<int:render_job_id>.pdf")
@login_required
def render_pdf(render_job_id: int):
    job = _render_job(render_job_id)
    kept = db.session.get(ReportRender, (job.result or {}).get("render_id")) if job.state == "done" else None
    if kept is None:
        abort(404)
    params = job.params
    subject = "network"
    if params.get("city_id"):
        city = db.session.get(City, params["city_id"])
        subject = city.slug if city is not None else "city"
    return pdf_response(kept.pdf, f"{params['kind'].replace('_', '-')}-{subject}-{params['cycle_id']}"
                                  f"-{params['locale']}-draft")


@bp.get("/revisions/<int:revision_id>.pdf")
@login_required
def revision_pdf(revision_id: int):
    revision = ops.revision_or_none(revision_id)
    if revision is None:
        abort(404)
    if not can(current_user, "report.revision", revision):
        abort(404)
    return pdf_response(revision.pdf, _name(revision.report, f"r{revision.number}"))


from . import views_stories  # noqa: E402,F401  (the stories page, on this blueprint)
