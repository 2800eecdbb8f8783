"""Self-assessment pages: the city's overview, one page per section (autosaved), submission, reopening, a
printable copy, the secretariat's list per cycle, and the workbook for filling in offline."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import lazyload, selectinload

from .. import drafts
from ..cities.models import City
from ..cycles.board import rubric_versions_without_content
from ..cycles.models import Cycle
from ..errors import ValidationFailed
from ..evidence.sanitize import render_markdown
from ..extensions import db
from ..input_limits import parse_id
from ..permissions import can, is_facilitator, member_city_ids, require
from ..rubrics import content
from . import operations as ops
from . import rubric
from .blueprint import bp
from .models import Assessment


def locale() -> str:
    return str(get_locale() or "en")


def get_assessment_or_404(assessment_id: int) -> Assessment:
    return db.get_or_404(Assessment, assessment_id)


def field(cid: str, name: str) -> str:
    """The form name of one criterion's field: one form holds a whole section."""
    return f"{cid}__{name}"


FIELD_NAMES = ("level", "not_applicable", "na_reason", "justification", "proxy_used", "proxy_note", "evidence_ids",
               "attachment_ids", "version")


def typed_values(form, cid: str) -> dict:
    """One criterion's fields as posted; an unticked box or no linked evidence is posted as nothing at all."""
    return {
        "level": form.get(field(cid, "level"), ""),
        "not_applicable": form.get(field(cid, "not_applicable")) == "y",
        "na_reason": form.get(field(cid, "na_reason"), ""),
        "justification": form.get(field(cid, "justification"), ""),
        "proxy_used": form.get(field(cid, "proxy_used")) == "y",
        "proxy_note": form.get(field(cid, "proxy_note"), ""),
        "evidence_ids": form.getlist(field(cid, "evidence_ids")),
        "attachment_ids": form.getlist(field(cid, "attachment_ids")),
    }


def posted_version(form, cid: str) -> int:
    return drafts.posted_int(form.get(field(cid, "version"), ""))


# --- Lists ---------------------------------------------------------------------------------------------------

@bp.route("/")
@login_required
def index():
    """The person's cities' assessments per cycle; for the secretariat, links to each cycle's list."""
    require("assessment.index")
    own = member_city_ids(current_user)
    cycles = db.session.execute(db.select(Cycle).filter(Cycle.state != "draft")
                                .order_by(Cycle.starts_on.desc())).scalars().all()
    # The person's cities' assessments in one query (with their answers, for progress), not one per row; the
    # cycles are in the session already.
    found = {}
    if own and cycles:
        found = {(a.city_id, a.cycle_id): a for a in db.session.execute(
            db.select(Assessment).filter(Assessment.city_id.in_(own), Assessment.cycle_id.in_([c.id for c in cycles]))
            .options(lazyload(Assessment.cycle), selectinload(Assessment.answers))).scalars()}
    versions = rubric_versions_without_content(  # noqa: F841  (kept while progress reads them)
        {a.rubric_version_id for a in found.values()})
    rows = []
    for cycle in cycles:
        for city in cycle.cities:
            if city.id in own:
                assessment = found.get((city.id, cycle.id))
                rows.append({"city": city, "cycle": cycle, "assessment": assessment,
                             "progress": ops.progress(assessment)[""] if assessment else None})
    staff_cycles = [c for c in cycles if c.rubric_version_id] if can(current_user, "assessment.list") else []
    submitted = []
    if not staff_cycles and is_facilitator(current_user):  # facilitators read what cities have submitted
        submitted = db.session.execute(db.select(Assessment).filter_by(state="submitted")
                                       .options(lazyload(Assessment.cycle))
                                       .order_by(Assessment.submitted_at.desc())).scalars().all()
    return render_template("assessments/index.html", rows=rows, staff_cycles=staff_cycles, submitted=submitted)


@bp.route("/start", methods=["POST"])
@login_required
def start():
    city = db.session.execute(db.select(City).filter_by(slug=request.form.get("city", ""))).scalar_one_or_none()
    cycle_id = parse_id(request.form.get("cycle"))
    cycle = db.session.get(Cycle, cycle_id) if cycle_id is not None else None
    if city is None or cycle is None:
        abort(404)
    require("assessment.start", city)
    try:
        assessment = ops.get_or_start(city, cycle, actor=current_user)
    except ValidationFailed as err:
        db.session.rollback()
        flash(err.first_message, "error")
        return redirect(url_for("assessments.index"))
    db.session.commit()
    return redirect(url_for("assessments.overview", assessment_id=assessment.id))


@bp.route("/cycle/<int:cycle_id>")
@login_required
def cycle_list(cycle_id: int):
    cycle = db.get_or_404(Cycle, cycle_id)
    require("assessment.list", cycle)
    rows = []
    for city, assessment in ops.cycle_assessments(cycle):
        rows.append({"city": city, "assessment": assessment,
                     "progress": ops.progress(assessment, cycle.rubric_version)[""] if cycle.rubric_version
                     else (0, 0)})
    return render_template("assessments/cycle_list.html", cycle=cycle, rows=rows)


# --- One assessment ------------------------------------------------------------------------------------------

@bp.route("/<int:assessment_id>")
@login_required
def overview(assessment_id: int):
    assessment = get_assessment_or_404(assessment_id)
    require("assessment.view", assessment)
    version = assessment.rubric_version
    return render_template("assessments/overview.html", assessment=assessment, version=version,
                           sections=content.sections(version), progress=ops.progress(assessment),
                           missing=None, text=content.text, locale=locale(),
                           can_edit=can(current_user, "assessment.edit", assessment) and not assessment.locked)


def _section_or_404(assessment: Assessment, section_id: str) -> dict:
    section = rubric.section(assessment.rubric_version, section_id)
    if section is None:
        abort(404)
    return section


def _criterion_context(assessment: Assessment) -> dict:
    previous, previous_answers = ops.previous_answers(assessment)
    return {"answers": ops.answers_by_criterion(assessment), "previous": previous,
            "previous_answers": previous_answers, "evidence": visible_city_evidence(assessment)}


def visible_city_evidence(assessment: Assessment) -> list:
    """The city's items of the cycle that the reader may see: all of them for the city, never a restricted one
    (not even its title) for the secretariat or a peer reviewer."""
    return [i for i in ops.city_evidence(assessment) if can(current_user, "evidence.view", i)]


def render_section(assessment: Assessment, section: dict, *, typed=None, statuses=None, status=200):
    version = assessment.rubric_version
    sections = content.sections(version)
    index = next(i for i, s in enumerate(sections) if s["id"] == section["id"])
    return render_template(
        "assessments/section.html", assessment=assessment, version=version, section=section,
        sections=sections, previous_section=sections[index - 1] if index else None,
        next_section=sections[index + 1] if index + 1 < len(sections) else None,
        typed=typed or {}, statuses=statuses or {}, text=content.text, locale=locale(), rubric=rubric,
        field=field, progress=ops.progress(assessment), answer_data=ops.answer_data, md=render_markdown,
        can_edit=can(current_user, "assessment.edit", assessment) and not assessment.locked,
        **_criterion_context(assessment)), status


@bp.route("/<int:assessment_id>/sections/<section_id>", methods=["GET", "POST"])
@login_required
def section(assessment_id: int, section_id: str):
    assessment = get_assessment_or_404(assessment_id)
    require("assessment.view", assessment)
    sect = _section_or_404(assessment, section_id)
    if request.method == "GET":
        return render_section(assessment, sect)
    require("assessment.edit", assessment)
    if assessment.locked:
        flash(_("This self-assessment has been submitted and is locked."), "error")
        return redirect(url_for("assessments.overview", assessment_id=assessment.id))
    # Without JavaScript: one Save button for every criterion of the section; each saves on its own, and a
    # criterion that conflicts or is invalid keeps what was typed on the page beside the problem.
    typed, statuses, code = {}, {}, 200
    for criterion in sect.get("criteria", []):
        cid = criterion["id"]
        values = typed_values(request.form, cid)
        if posted_version(request.form, cid) == 0 and not any(values.values()):
            continue  # never answered and still empty: no empty answer rows
        try:
            ops.save_answer(assessment, cid, values, posted_version(request.form, cid), actor=current_user,
                            source="form")
        except ops.AnswerConflict as err:
            typed[cid], statuses[cid], code = values, {"conflict": err}, 409
        except ValidationFailed as err:
            typed[cid], statuses[cid] = values, {"errors": err.fields}
            code = code if code == 409 else 400
    db.session.commit()
    if code == 200:
        flash(_("Your answers are saved."), "success")
        target = request.form.get("then")
        if target == "next":
            sections = content.sections(assessment.rubric_version)
            ids = [s["id"] for s in sections]
            position = ids.index(sect["id"])
            if position + 1 < len(ids):
                return redirect(url_for("assessments.section", assessment_id=assessment.id,
                                        section_id=ids[position + 1]))
            return redirect(url_for("assessments.overview", assessment_id=assessment.id))
        return redirect(url_for("assessments.section", assessment_id=assessment.id, section_id=sect["id"]))
    return render_section(assessment, sect, typed=typed, statuses=statuses, status=code)


@bp.route("/<int:assessment_id>/criteria/<criterion_id>", methods=["POST"])
@login_required
def save_criterion(assessment_id: int, criterion_id: str):
    """Autosave of one criterion (htmx, or a keepalive fetch when the page is left): answers its save-status
    fragment with the new version. htmx swaps only 2xx answers, so it gets 200 whatever happened."""
    assessment = get_assessment_or_404(assessment_id)
    require("assessment.edit", assessment)
    if criterion_id not in rubric.criterion_ids(assessment.rubric_version):
        abort(404)
    values = typed_values(request.form, criterion_id)
    posted = posted_version(request.form, criterion_id)

    def stored_version() -> int:
        answer = ops.answers_by_criterion(assessment).get(criterion_id)
        return answer.version if answer is not None else 0

    return drafts.autosave(
        lambda: ops.save_answer(assessment, criterion_id, values, posted, actor=current_user, source="autosave"),
        posted_version=posted, stored_version=stored_version, conflict_type=ops.AnswerConflict,
        render=lambda **status: render_template(
            "assessments/_status.html", cid=criterion_id, field=field, assessment=assessment, text=content.text,
            locale=locale(), rubric=rubric, **status))


@bp.route("/<int:assessment_id>/submit", methods=["POST"])
@login_required
def submit(assessment_id: int):
    assessment = get_assessment_or_404(assessment_id)
    require("assessment.submit", assessment)
    try:
        ops.submit(assessment, actor=current_user, locale=locale())
    except ValidationFailed as err:
        db.session.rollback()
        assessment = get_assessment_or_404(assessment_id)
        version = assessment.rubric_version
        return render_template("assessments/overview.html", assessment=assessment, version=version,
                               sections=content.sections(version), progress=ops.progress(assessment),
                               missing=err.fields, text=content.text, locale=locale(),
                               can_edit=not assessment.locked), 400
    db.session.commit()
    flash(_("Self-assessment submitted. It is locked now; the secretariat can reopen it."), "success")
    return redirect(url_for("assessments.overview", assessment_id=assessment.id))


@bp.route("/<int:assessment_id>/reopen", methods=["POST"])
@login_required
def reopen(assessment_id: int):
    assessment = get_assessment_or_404(assessment_id)
    require("assessment.reopen", assessment)
    try:
        ops.reopen(assessment, request.form.get("reason", ""), actor=current_user)
    except ValidationFailed as err:
        db.session.rollback()
        flash(err.first_message, "error")
        return redirect(url_for("assessments.overview", assessment_id=assessment_id, _anchor="reopen"))
    db.session.commit()
    flash(_("Self-assessment reopened. The city can change its answers again."), "success")
    return redirect(url_for("assessments.overview", assessment_id=assessment.id))


@bp.route("/<int:assessment_id>/print")
@login_required
def printable(assessment_id: int):
    assessment = get_assessment_or_404(assessment_id)
    require("assessment.view", assessment)
    items = {i.id: i for i in visible_city_evidence(assessment)}
    return render_template("assessments/print.html", assessment=assessment, version=assessment.rubric_version,
                           sections=content.sections(assessment.rubric_version),
                           answers=ops.answers_by_criterion(assessment), text=content.text, locale=locale(),
                           rubric=rubric, items=items, progress=ops.progress(assessment), md=render_markdown)


from . import views_workbook  # noqa: F401  (the workbook routes on this blueprint)
