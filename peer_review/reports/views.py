"""Report pages: the index of reports a person may read, the peer review report's preview (with the draft PDF
and, for the secretariat, publishing), and the download of a published revision's stored bytes."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required

from ..cities.models import City
from ..cycles.models import Cycle
from ..extensions import db
from ..i18n import gettext as _
from ..permissions import can, require
from . import operations as ops
from . import render, snapshot
from .blueprint import bp
from .models import Report


def _locale() -> str:
    return str(get_locale() or "en")


def _subject(report_cycle_id: int, slug: str) -> tuple[Cycle, City, Report]:
    cycle = db.session.get(Cycle, report_cycle_id)
    city = db.session.execute(db.select(City).filter_by(slug=slug)).scalar_one_or_none()
    if cycle is None or city is None or city not in cycle.cities:
        abort(404)
    report = ops.find("peer_review", cycle, city, _locale())
    if report is None:  # not stored until published: a transient one answers the permission question
        report = Report(kind="peer_review", cycle_id=cycle.id, city_id=city.id, locale=_locale())
        report.cycle, report.city = cycle, city
    require("report.view", report)
    if cycle.rubric_version_id is None:
        abort(404)
    return cycle, city, report


def pdf_response(pdf: bytes, name: str) -> Response:
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


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


def _preview(report: Report, data: dict, heading: str, caption: str, endpoint: str, **args):
    body = render.render_html(data, preview=True)
    revisions = list(reversed(report.revisions)) if report.id else []
    return render_template("reports/preview.html", report=report, body=body, revisions=revisions,
                           heading=heading, caption=caption, preview_locale=data["locale"],
                           pdf_url=url_for(f".{endpoint}_pdf", **args),
                           publish_url=url_for(f".publish_{endpoint}", **args),
                           can_publish=can(current_user, "report.publish", report))


def _publish(report: Report, back: str):
    require("report.publish", report)
    if report.id is None:
        report = ops.get_or_create(report.kind, report.cycle, report.city, report.locale)
    try:
        revision = ops.publish(report, current_user, request.form.get("note", ""))
    except ops.PublishError:
        db.session.rollback()
        flash(_("A correction needs a note saying what it changes."), "error")
        return redirect(back), 303
    db.session.commit()
    flash(_("Revision %(n)d published.", n=revision.number), "success")
    return redirect(back)


@bp.get("/cycles/<int:report_cycle_id>/cities/<slug>/peer-review")
@login_required
def peer_review(report_cycle_id: int, slug: str):
    cycle, city, report = _subject(report_cycle_id, slug)
    data = snapshot.peer_review(cycle, city, _locale())
    return _preview(report, data, _("Peer review report"), f"{city.name} · {cycle.name}", "peer_review",
                    report_cycle_id=cycle.id, slug=city.slug)


@bp.get("/cycles/<int:report_cycle_id>/cities/<slug>/peer-review.pdf")
@login_required
def peer_review_pdf(report_cycle_id: int, slug: str):
    cycle, city, _report = _subject(report_cycle_id, slug)
    pdf = render.render_pdf(snapshot.peer_review(cycle, city, _locale()))
    return pdf_response(pdf, f"peer-review-{city.slug}-{cycle.id}-draft")


@bp.post("/cycles/<int:report_cycle_id>/cities/<slug>/peer-review/publish")
@login_required
def publish_peer_review(report_cycle_id: int, slug: str):
    cycle, city, report = _subject(report_cycle_id, slug)
    return _publish(report, url_for(".peer_review", report_cycle_id=cycle.id, slug=city.slug))


def _cycle_subject(report_cycle_id: int) -> tuple[Cycle, Report]:
    cycle = db.session.get(Cycle, report_cycle_id)
    if cycle is None:
        abort(404)
    report = ops.find("cycle", cycle, None, _locale())
    if report is None:
        report = Report(kind="cycle", cycle_id=cycle.id, city_id=None, locale=_locale())
        report.cycle = cycle
    require("report.view", report)
    if cycle.rubric_version_id is None:
        abort(404)
    return cycle, report


@bp.get("/cycles/<int:report_cycle_id>/network")
@login_required
def cycle(report_cycle_id: int):
    cycle, report = _cycle_subject(report_cycle_id)
    data = snapshot.cycle_report(cycle, _locale())
    return _preview(report, data, _("Cycle report"), cycle.name, "cycle", report_cycle_id=cycle.id)


@bp.get("/cycles/<int:report_cycle_id>/network.pdf")
@login_required
def cycle_pdf(report_cycle_id: int):
    cycle, _report = _cycle_subject(report_cycle_id)
    return pdf_response(render.render_pdf(snapshot.cycle_report(cycle, _locale())), f"cycle-{cycle.id}-draft")


@bp.post("/cycles/<int:report_cycle_id>/network/publish")
@login_required
def publish_cycle(report_cycle_id: int):
    cycle, report = _cycle_subject(report_cycle_id)
    return _publish(report, url_for(".cycle", report_cycle_id=cycle.id))


@bp.get("/revisions/<int:revision_id>.pdf")
@login_required
def revision_pdf(revision_id: int):
    revision = ops.revision_or_none(revision_id)
    if revision is None:
        abort(404)
    if not can(current_user, "report.revision", revision):
        abort(404)
    report = revision.report
    subject = report.city.slug if report.city is not None else "network"
    return pdf_response(revision.pdf, f"{report.kind.replace('_', '-')}-{subject}-{report.cycle_id}"
                                      f"-{report.locale}-r{revision.number}")
