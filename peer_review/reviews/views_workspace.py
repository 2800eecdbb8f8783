"""The reviewer's workspace on the reviews blueprint: one autosaved page per section beside the city's answers,
the per-criterion autosave, the summary page with the strengths and recommendations forms, submitting, and
the secretariat's reopening. Imported at the end of ``views``."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import drafts
from ..assessments import rubric
from ..errors import ValidationFailed
from ..extensions import db
from ..permissions import can, is_staff, require
from ..rubrics import content
from . import operations as ops
from .blueprint import bp
from .models import Recommendation, Review, Strength
from .views import (
    _common,
    get_review_or_404,
    is_reviewer,
    labels,
    locale,
    locked_message,
    render_overview,
)


def field(cid: str, name: str) -> str:
    """The form name of one criterion's field: one form holds a whole section (as for self-assessments)."""
    return f"{cid}__{name}"


def typed_values(form, cid: str) -> dict:
    return {"level": form.get(field(cid, "level"), ""), "agreement": form.get(field(cid, "agreement"), ""),
            "comment": form.get(field(cid, "comment"), "")}


def posted_version(form, cid: str) -> int:
    return drafts.posted_int(form.get(field(cid, "version"), ""))


def refuse_if_locked(review: Review):
    message = locked_message(review)
    if message is None:
        return None
    flash(message, "error")
    return redirect(url_for("reviews.overview", review_id=review.id))


# --- Sections --------------------------------------------------------------------------------------------

def _section_or_404(review: Review, section_id: str) -> dict:
    section = rubric.section(review.assessment.rubric_version, section_id)
    if section is None:
        abort(404)
    return section


def _evidence_rows(city_answer) -> list[dict]:
    """The city's linked items: a title linking to the item, or "restricted" where the reader may not see it."""
    if city_answer is None:
        return []
    return [{"item": item, "visible": can(current_user, "evidence.view", item)} for item in city_answer.evidence]


def _load_evidence(city_answers: list) -> None:
    """The section's city answers' linked items in one query, not one per criterion."""
    from sqlalchemy.orm import selectinload

    from ..assessments.models import Answer
    from ..evidence.models import EvidenceItem
    ids = [a.id for a in city_answers if a.id is not None and "evidence" not in db.inspect(a).dict]
    if ids:
        # The items' cycle is the review's, already loaded: found in the session, not joined again.
        db.session.execute(db.select(Answer).filter(Answer.id.in_(ids)).options(
            selectinload(Answer.evidence).lazyload(EvidenceItem.cycle))).scalars().all()


def render_section(review: Review, section: dict, *, typed=None, statuses=None, status=200):
    common = _common(review)
    sections = common["sections"]
    index = next(i for i, s in enumerate(sections) if s["id"] == section["id"])
    city = ops.city_answers(review)
    _load_evidence([city[c["id"]] for c in section.get("criteria", []) if c["id"] in city])
    return render_template(
        "reviews/section.html", section=section, typed=typed or {}, statuses=statuses or {}, field=field,
        answers=ops.answers_by_criterion(review), city_answers=city, answer_data=ops.answer_data,
        evidence={c["id"]: _evidence_rows(city.get(c["id"])) for c in section.get("criteria", [])},
        previous_section=sections[index - 1] if index else None,
        next_section=sections[index + 1] if index + 1 < len(sections) else None, **common), status


@bp.route("/<int:review_id>/sections/<section_id>", methods=["GET", "POST"])
@login_required
def section(review_id: int, section_id: str):
    review = get_review_or_404(review_id)
    require("review.view", review)
    sect = _section_or_404(review, section_id)
    if request.method == "GET":
        return render_section(review, sect)
    refused = refuse_if_locked(review)
    if refused is not None:
        return refused
    require("review.edit", review)
    typed, statuses, code = {}, {}, 200
    for criterion in sect.get("criteria", []):
        cid = criterion["id"]
        values = typed_values(request.form, cid)
        if posted_version(request.form, cid) == 0 and not any(values.values()):
            continue
        try:
            ops.save_answer(review, cid, values, posted_version(request.form, cid), actor=current_user,
                            source="form")
        except ops.ReviewAnswerConflict as err:
            typed[cid], statuses[cid], code = values, {"conflict": err}, 409
        except ValidationFailed as err:
            typed[cid], statuses[cid] = values, {"errors": err.fields}
            code = code if code == 409 else 400
    db.session.commit()
    if code == 200:
        flash(_("Your review answers are saved."), "success")
        if request.form.get("then") == "next":
            ids = [s["id"] for s in content.sections(review.assessment.rubric_version)]
            position = ids.index(sect["id"])
            if position + 1 < len(ids):
                return redirect(url_for("reviews.section", review_id=review.id, section_id=ids[position + 1]))
            return redirect(url_for("reviews.summary", review_id=review.id))
        return redirect(url_for("reviews.section", review_id=review.id, section_id=sect["id"]))
    return render_section(review, sect, typed=typed, statuses=statuses, status=code)


@bp.route("/<int:review_id>/criteria/<criterion_id>", methods=["POST"])
@login_required
def save_criterion(review_id: int, criterion_id: str):
    """Autosave of one criterion (htmx or keepalive fetch), as on the self-assessment's section page."""
    review = get_review_or_404(review_id)
    message = locked_message(review)
    if message is None:
        require("review.edit", review)
    if criterion_id not in rubric.criterion_ids(review.assessment.rubric_version):
        abort(404)
    values = typed_values(request.form, criterion_id)
    posted = posted_version(request.form, criterion_id)
    if message is not None:  # a page left open while the review was submitted (or the cycle closed)
        html = render_template("assessments/_status.html", cid=criterion_id, field=field,
                               assessment=review.assessment, text=content.text, locale=locale(), rubric=rubric,
                               status={"errors": {"review": [message]}}, version=posted, **labels())
        return html, (200 if request.headers.get("HX-Request") else 409)

    def stored_version() -> int:
        answer = ops.answers_by_criterion(review).get(criterion_id)
        return answer.version if answer is not None else 0

    return drafts.autosave(
        lambda: ops.save_answer(review, criterion_id, values, posted, actor=current_user, source="autosave"),
        posted_version=posted, stored_version=stored_version, conflict_type=ops.ReviewAnswerConflict,
        render=lambda **status: render_template(
            "assessments/_status.html", cid=criterion_id, field=field, assessment=review.assessment,
            text=content.text, locale=locale(), rubric=rubric, conflict_sides="reviews/_conflict_sides.html",
            **labels(), **status))


# --- Strengths and recommendations -----------------------------------------------------------------------

KINDS = {"strength": Strength, "recommendation": Recommendation}


def _item_values(form, kind: str) -> dict:
    values = {"text": form.get("text", ""), "criterion_ids": form.getlist("criterion_ids")}
    if kind == "strength":
        values["good_practice"] = form.get("good_practice") == "y"
    else:
        values["priority"] = form.get("priority", "")
    return values


def render_summary(review: Review, *, editing=None, status=200):
    """``editing``: {"kind", "id" (None for a new one), "values", "errors", "conflict"} to show a form again."""
    return render_template("reviews/summary.html", editing=editing or {}, missing=None,
                           criteria=content.criteria(review.assessment.rubric_version), **_common(review)), status


@bp.route("/<int:review_id>/summary")
@login_required
def summary(review_id: int):
    review = get_review_or_404(review_id)
    require("review.view", review)
    if not is_reviewer(review) and not is_staff(current_user):
        return redirect(url_for("reviews.read", review_id=review.id))
    return render_summary(review)


def _get_item_or_404(review: Review, kind: str, item_id: int):
    row = db.session.get(KINDS[kind], item_id)
    if row is None or row.review_id != review.id:
        abort(404)
    return row


def _save_item_view(review_id: int, kind: str, item_id: int | None):
    review = get_review_or_404(review_id)
    refused = refuse_if_locked(review)
    if refused is not None:
        return refused
    require("review.edit", review)
    row = _get_item_or_404(review, kind, item_id) if item_id is not None else None
    values = _item_values(request.form, kind)
    save = ops.save_strength if kind == "strength" else ops.save_recommendation
    try:
        save(review, row, values, drafts.posted_int(request.form.get("version")) if row else None,
             actor=current_user)
    except ops.ItemConflict as err:
        db.session.rollback()
        review = get_review_or_404(review_id)
        return render_summary(review, editing={"kind": kind, "id": item_id, "values": values, "conflict": err},
                              status=409)
    except ValidationFailed as err:
        db.session.rollback()
        review = get_review_or_404(review_id)
        return render_summary(review, editing={"kind": kind, "id": item_id, "values": values,
                                               "errors": err.fields}, status=400)
    db.session.commit()
    flash(_("Strength saved.") if kind == "strength" else _("Recommendation saved."), "success")
    return redirect(url_for("reviews.summary", review_id=review.id, _anchor=kind + "s"))


def _delete_item_view(review_id: int, kind: str, item_id: int):
    review = get_review_or_404(review_id)
    refused = refuse_if_locked(review)
    if refused is not None:
        return refused
    require("review.edit", review)
    row = _get_item_or_404(review, kind, item_id)
    delete = ops.delete_strength if kind == "strength" else ops.delete_recommendation
    try:
        delete(review, row, drafts.posted_int(request.form.get("version")), actor=current_user)
    except ops.ItemConflict as err:
        db.session.rollback()
        review = get_review_or_404(review_id)
        return render_summary(review, editing={"kind": kind, "id": item_id, "conflict": err,
                                               "values": item_values_of(err.theirs)}, status=409)
    except ValidationFailed as err:
        db.session.rollback()
        flash(err.first_message, "error")
        return redirect(url_for("reviews.summary", review_id=review_id))
    db.session.commit()
    flash(_("Strength removed.") if kind == "strength" else _("Recommendation removed."), "success")
    return redirect(url_for("reviews.summary", review_id=review_id, _anchor=kind + "s"))


def item_values_of(data: dict) -> dict:
    return {k: v for k, v in data.items() if k in ("text", "criterion_ids", "good_practice", "priority")}


@bp.route("/<int:review_id>/strengths", methods=["POST"])
@login_required
def add_strength(review_id: int):
    return _save_item_view(review_id, "strength", None)


@bp.route("/<int:review_id>/strengths/<int:strength_id>", methods=["POST"])
@login_required
def edit_strength(review_id: int, strength_id: int):
    return _save_item_view(review_id, "strength", strength_id)


@bp.route("/<int:review_id>/strengths/<int:strength_id>/delete", methods=["POST"])
@login_required
def delete_strength(review_id: int, strength_id: int):
    return _delete_item_view(review_id, "strength", strength_id)


@bp.route("/<int:review_id>/recommendations", methods=["POST"])
@login_required
def add_recommendation(review_id: int):
    return _save_item_view(review_id, "recommendation", None)


@bp.route("/<int:review_id>/recommendations/<int:recommendation_id>", methods=["POST"])
@login_required
def edit_recommendation(review_id: int, recommendation_id: int):
    return _save_item_view(review_id, "recommendation", recommendation_id)


@bp.route("/<int:review_id>/recommendations/<int:recommendation_id>/delete", methods=["POST"])
@login_required
def delete_recommendation(review_id: int, recommendation_id: int):
    return _delete_item_view(review_id, "recommendation", recommendation_id)


# --- Submitting, reopening -------------------------------------------------------------------------------

@bp.route("/<int:review_id>/submit", methods=["POST"])
@login_required
def submit(review_id: int):
    review = get_review_or_404(review_id)
    refused = refuse_if_locked(review)
    if refused is not None:
        return refused
    require("review.submit", review)
    try:
        ops.submit(review, actor=current_user, locale=locale())
    except ValidationFailed as err:
        db.session.rollback()
        return render_overview(get_review_or_404(review_id), missing=err.fields, status=400)
    db.session.commit()
    flash(_("Peer review submitted. It is locked now; the secretariat releases it to the city."), "success")
    return redirect(url_for("reviews.overview", review_id=review.id))


@bp.route("/<int:review_id>/reopen", methods=["POST"])
@login_required
def reopen(review_id: int):
    review = get_review_or_404(review_id)
    require("review.reopen", review)
    try:
        ops.reopen(review, request.form.get("reason", ""), actor=current_user)
    except ValidationFailed as err:
        db.session.rollback()
        flash(err.first_message, "error")
        if request.form.get("back") == "cycle":
            return redirect(url_for("reviews.cycle_list", review_cycle_id=review.cycle_id))
        return redirect(url_for("reviews.overview", review_id=review_id, _anchor="reopen"))
    db.session.commit()
    flash(_("Peer review reopened. The reviewers can change it again."), "success")
    if request.form.get("back") == "cycle":
        return redirect(url_for("reviews.cycle_list", review_cycle_id=review.cycle_id))
    return redirect(url_for("reviews.overview", review_id=review.id))

