"""The reviewed city's response page: its released reviews, a decision and an action per recommendation,
submission, then the progress of each action; read-only for the secretariat and the city's reviewers."""
from __future__ import annotations

from types import SimpleNamespace

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import drafts
from ..cities.models import City
from ..cycles.models import Cycle
from ..errors import ValidationFailed
from ..evidence.sanitize import render_markdown
from ..extensions import db
from ..permissions import can, require
from ..rubrics import content
from . import responses as rops
from .blueprint import bp
from .models import DECISIONS, PROGRESS
from .views import labels, locale

ITEM_NAMES = ("decision", "comment", "action", "action_owner", "action_due")


def item_field(recommendation_id: int, name: str) -> str:
    return f"r{recommendation_id}__{name}"


def _place(review_cycle_id: int, city_slug: str):
    cycle = db.get_or_404(Cycle, review_cycle_id)
    city = db.session.execute(db.select(City).filter_by(slug=city_slug)).scalar_one_or_none()
    if city is None:
        abort(404)
    probe = SimpleNamespace(city_id=city.id, cycle=cycle, cycle_id=cycle.id)  # the rule's view of a response
    require("response.view", probe)
    return cycle, city, probe


def _criteria_titles(version) -> dict:
    return {c["id"]: content.text(c.get("title"), locale()) for c in content.criteria(version)} if version else {}


def render_response(cycle, city, response, *, typed=None, statuses=None, missing=None, status=200):
    rows = rops.items(response) if response is not None else []
    return render_template(
        "reviews/response.html", cycle=cycle, city=city, response=response, rows=rows,
        reviews=rops.released_reviews(cycle, city), typed=typed or {}, statuses=statuses or {}, missing=missing,
        field=item_field, item_data=rops.item_data, decisions=DECISIONS, progress_choices=PROGRESS,
        titles=_criteria_titles(cycle.rubric_version), md=render_markdown,
        follow=rops.follow_up(city, cycle),
        can_edit=response is not None and can(current_user, "response.edit", response) and not response.locked,
        can_progress=response is not None and response.locked and can(current_user, "response.progress", response),
        **labels()), status


@bp.route("/responses/<int:review_cycle_id>/<city_slug>", methods=["GET", "POST"])
@login_required
def response(review_cycle_id: int, city_slug: str):
    cycle, city, probe = _place(review_cycle_id, city_slug)
    found = rops.find(cycle, city)
    if request.method == "GET":
        if can(current_user, "response.edit", found or probe) and (found is None or not found.locked):
            try:
                found = rops.get_or_start(cycle, city, actor=current_user)  # new items of newly released reviews
                db.session.commit()
            except ValidationFailed:
                db.session.rollback()
                found = rops.find(cycle, city)
        return render_response(cycle, city, found)
    if found is None:
        abort(404)
    require("response.edit", found)
    if found.locked:
        flash(_("This response has been submitted and is locked."), "error")
        return redirect(url_for("reviews.response", review_cycle_id=cycle.id, city_slug=city.slug))
    typed, statuses, code = {}, {}, 200
    for item in rops.items(found):
        rid = item.recommendation_id
        values = {name: request.form.get(item_field(rid, name), "") for name in ITEM_NAMES}
        try:
            rops.save_item(found, rid, values, drafts.posted_int(request.form.get(item_field(rid, "version"))),
                           actor=current_user)
        except rops.ItemConflict as err:
            typed[rid], statuses[rid], code = values, {"conflict": err}, 409
        except ValidationFailed as err:
            typed[rid], statuses[rid] = values, {"errors": err.fields}
            code = code if code == 409 else 400
    db.session.commit()
    if code == 200:
        flash(_("Your response is saved."), "success")
        return redirect(url_for("reviews.response", review_cycle_id=cycle.id, city_slug=city.slug))
    return render_response(cycle, city, rops.find(cycle, city), typed=typed, statuses=statuses, status=code)


@bp.route("/responses/<int:review_cycle_id>/<city_slug>/submit", methods=["POST"])
@login_required
def submit_response(review_cycle_id: int, city_slug: str):
    cycle, city, _probe = _place(review_cycle_id, city_slug)
    found = rops.find(cycle, city)
    if found is None:
        abort(404)
    require("response.submit", found)
    try:
        rops.submit(found, actor=current_user)
    except ValidationFailed as err:
        db.session.rollback()
        return render_response(cycle, city, rops.find(cycle, city), missing=err.fields, status=400)
    db.session.commit()
    flash(_("Response submitted. Follow up each action's progress on this page."), "success")
    return redirect(url_for("reviews.response", review_cycle_id=cycle.id, city_slug=city.slug))


@bp.route("/responses/<int:review_cycle_id>/<city_slug>/progress/<int:rec_id>", methods=["POST"])
@login_required
def progress(review_cycle_id: int, city_slug: str, rec_id: int):
    recommendation_id = rec_id
    cycle, city, _probe = _place(review_cycle_id, city_slug)
    found = rops.find(cycle, city)
    item = rops.item_for(found, recommendation_id) if found is not None else None
    if item is None:
        abort(404)
    require("response.progress", found)
    try:
        rops.update_progress(item, request.form.get("progress", ""), request.form.get("progress_note", ""),
                             actor=current_user, posted_version=drafts.posted_int(request.form.get("version")))
    except rops.ItemConflict:
        db.session.rollback()
        flash(_("Someone updated this action meanwhile; the page shows it as saved now. Your note was: %(note)s",
                note=request.form.get("progress_note", "")[:500]), "error")
        return redirect(url_for("reviews.response", review_cycle_id=cycle.id, city_slug=city.slug,
                                _anchor=f"rec-{recommendation_id}"))
    except ValidationFailed as err:
        db.session.rollback()
        flash(err.first_message, "error")
        return redirect(url_for("reviews.response", review_cycle_id=cycle.id, city_slug=city.slug,
                                _anchor=f"rec-{recommendation_id}"))
    db.session.commit()
    flash(_("Progress saved."), "success")
    return redirect(url_for("reviews.response", review_cycle_id=cycle.id, city_slug=city.slug,
                            _anchor=f"rec-{recommendation_id}"))
