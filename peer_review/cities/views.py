from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import ValidationFailed, apply_to_form
from ..extensions import db
from ..pagination import paginate
from ..permissions import can, require
from ..users.models import Membership, User
from . import operations as ops
from .forms import CityForm
from .models import REGIONS

bp = Blueprint("cities", __name__, url_prefix="/cities")


@bp.route("/")
@login_required
def index():
    require("city.list")
    q = (request.args.get("q") or "").strip()[:100]
    region = request.args.get("region") if request.args.get("region") in dict(REGIONS) else None
    show_inactive = can(current_user, "city.edit") and request.args.get("inactive") == "1"
    pager = paginate(ops.search_cities(q, include_inactive=show_inactive, region=region))
    return render_template("cities/index.html", pager=pager, q=q, region=region, regions=REGIONS,
                           show_inactive=show_inactive)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    require("city.create")
    form = CityForm()
    if form.validate_on_submit():
        try:
            city = ops.create_city(form.data_for_operations())
        except ValidationFailed as err:
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash(_("City %(name)s created.", name=city.name), "success")
            return redirect(url_for("cities.show", slug=city.slug))
    return render_template("cities/form.html", form=form, city=None), (400 if form.errors else 200)


@bp.route("/<slug>")
@login_required
def show(slug: str):
    city = ops.get_city_or_404(slug)
    require("city.view", city)
    members = []
    if can(current_user, "city.members", city):
        members = db.session.execute(
            db.select(Membership).join(User).filter(Membership.city_id == city.id).order_by(User.name)
        ).scalars().all()
    return render_template("cities/show.html", city=city, members=members)


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    city = ops.get_city_or_404(slug)
    require("city.edit", city)
    form = CityForm(obj=city)
    if request.method == "GET":
        form.languages.data = city.language_list
    if form.validate_on_submit():
        try:
            ops.update_city(city, form.data_for_operations())
        except ValidationFailed as err:
            db.session.rollback()
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash(_("Changes to %(name)s saved.", name=city.name), "success")
            return redirect(url_for("cities.show", slug=city.slug))
    return render_template("cities/form.html", form=form, city=city), (400 if form.errors else 200)


@bp.route("/<slug>/active", methods=["POST"])
@login_required
def set_active(slug: str):
    city = ops.get_city_or_404(slug)
    require("city.edit", city)
    active = request.form.get("active") == "1"
    ops.set_city_active(city, active)
    db.session.commit()
    flash(_("%(name)s reactivated.", name=city.name) if active else
          _("%(name)s deactivated. Its people and history are kept.", name=city.name), "success")
    return redirect(url_for("cities.show", slug=city.slug))
