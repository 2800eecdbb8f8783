from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import ValidationFailed, apply_to_form
from ..extensions import db
from ..pagination import paginate
from ..permissions import member_city_ids, is_staff, require
from ..users.forms import city_choices
from . import operations as ops
from .board import rubric_versions_without_content
from . import phases as phase_ops
from .forms import CycleForm, EditCycleForm
from .models import Cycle

bp = Blueprint("cycles", __name__, url_prefix="/cycles")


def get_cycle_or_404(cycle_id: int) -> Cycle:
    return db.get_or_404(Cycle, cycle_id)


@bp.route("/")
@login_required
def index():
    require("cycle.list")
    stmt = db.select(Cycle).order_by(Cycle.starts_on.desc())
    if not is_staff(current_user):
        stmt = stmt.filter(Cycle.state != "draft")
    return render_template("cycles/index.html", pager=paginate(stmt))


def _form_data(form: CycleForm) -> dict:
    data = {"name": form.name.data, "starts_on": form.starts_on.data, "ends_on": form.ends_on.data,
            "cities": form.cities.data or [], "rubric_version": form.rubric_version.data or None,
            "phases": form.phase_data()}
    if getattr(form, "state", None) is not None:
        data["state"] = form.state.data
    return data


def _rubric_choices() -> list[tuple[str, str]]:
    from flask_babel import get_locale

    from ..rubrics.operations import all_versions, ref_of
    locale = str(get_locale() or "en")
    return [("", _("None yet"))] + [(ref_of(v), f"{v.label}: {v.title_in(locale)}") for v in all_versions()]


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    require("cycle.manage")
    form = CycleForm()
    form.cities.choices = city_choices()
    form.rubric_version.choices = _rubric_choices()
    if form.validate_on_submit():
        try:
            cycle = ops.create_cycle(_form_data(form))
        except ValidationFailed as err:
            db.session.rollback()
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash(_("Cycle %(name)s created.", name=cycle.name), "success")
            return redirect(url_for("cycles.show", cycle_id=cycle.id))
    return render_template("cycles/form.html", form=form, cycle=None), (400 if form.errors else 200)


@bp.route("/<int:cycle_id>")
@login_required
def show(cycle_id: int):
    cycle = get_cycle_or_404(cycle_id)
    require("cycle.view", cycle)
    # The page names the rubric version (title, label): found in the session without its whole content.
    versions = rubric_versions_without_content([cycle.rubric_version_id])  # noqa: F841
    return render_template("cycles/show.html", cycle=cycle, phase_ops=phase_ops,
                           next_step=phase_ops.next_step(cycle), blockers=phase_ops.blockers(cycle),
                           pending=phase_ops.pending_work(cycle) if is_staff(current_user) else [],
                           my_city_ids=member_city_ids(current_user))


@bp.route("/<int:cycle_id>/advance", methods=["POST"])
@login_required
def advance(cycle_id: int):
    cycle = get_cycle_or_404(cycle_id)
    require("cycle.advance", cycle)
    try:
        phase_ops.advance(cycle, actor=current_user)
    except ValidationFailed as err:
        db.session.rollback()
        flash(err.first_message, "error")
        return redirect(url_for("cycles.show", cycle_id=cycle_id))
    db.session.commit()
    flash(_("%(name)s is now in: %(phase)s.", name=cycle.name, phase=phase_ops.current_label(cycle)), "success")
    return redirect(url_for("cycles.show", cycle_id=cycle.id))


@bp.route("/<int:cycle_id>/edit", methods=["GET", "POST"])
@login_required
def edit(cycle_id: int):
    cycle = get_cycle_or_404(cycle_id)
    require("cycle.manage", cycle)
    form = EditCycleForm(obj=cycle)
    form.cities.choices = city_choices()
    form.rubric_version.choices = _rubric_choices()
    if request.method == "GET":
        form.cities.data = [c.slug for c in cycle.cities]
        for key, _label, start, due in form.phase_fields():
            dates = cycle.phase_dates(key)
            start.data, due.data = (dates.starts_on, dates.due_on) if dates else (None, None)
    if form.validate_on_submit():
        try:
            ops.update_cycle(cycle, _form_data(form))
        except ValidationFailed as err:
            db.session.rollback()
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash(_("Changes to %(name)s saved.", name=cycle.name), "success")
            return redirect(url_for("cycles.show", cycle_id=cycle.id))
    return render_template("cycles/form.html", form=form, cycle=cycle), (400 if form.errors else 200)
from . import views_board  # noqa: F401  (the tracking board's routes)
