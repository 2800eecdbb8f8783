from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import ValidationFailed, apply_to_form
from ..extensions import db
from ..pagination import paginate
from ..permissions import is_staff, require
from ..users.forms import city_choices
from . import operations as ops
from .forms import CycleForm
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
    return {"name": form.name.data, "starts_on": form.starts_on.data, "ends_on": form.ends_on.data,
            "state": form.state.data, "cities": form.cities.data or [],
            "rubric_version": form.rubric_version.data or None}


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
    return render_template("cycles/show.html", cycle=cycle)


@bp.route("/<int:cycle_id>/edit", methods=["GET", "POST"])
@login_required
def edit(cycle_id: int):
    cycle = get_cycle_or_404(cycle_id)
    require("cycle.manage", cycle)
    form = CycleForm(obj=cycle)
    form.cities.choices = city_choices()
    form.rubric_version.choices = _rubric_choices()
    if request.method == "GET":
        form.cities.data = [c.slug for c in cycle.cities]
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
