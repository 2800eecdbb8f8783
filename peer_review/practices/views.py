"""The good-practice library: search and filter, one practice's page, and a city entering or changing its own."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required

from ..cities.models import REGIONS, City
from ..cycles.models import Cycle
from ..evidence.sanitize import render_markdown
from ..extensions import db
from ..i18n import gettext as _
from ..input_limits import parse_id
from ..pagination import page_args
from ..permissions import can, require
from ..rubrics import content
from . import service
from .blueprint import bp
from .forms import LANGUAGE_CHOICES, PracticeForm
from .models import Practice


def _locale() -> str:
    return str(get_locale() or "en")


def filters() -> dict:
    args = request.args
    return {"q": (args.get("q") or "").strip()[:200], "section": (args.get("section") or "")[:60],
            "region": args.get("region") if args.get("region") in dict(REGIONS) else "",
            "language": args.get("language") if args.get("language") in service.LANGUAGES else "",
            "kind": args.get("kind") if args.get("kind") in ("reviewer", "city") else ""}


@bp.get("/")
@login_required
def index():
    require("practice.menu")
    chosen = filters()
    rows = service.search(service.entries(current_user, _locale()), **chosen)
    page, per_page = page_args(50)
    pager = service.ListPager(rows, page, per_page)
    cities = [c for c in db.session.execute(db.select(City).order_by(City.name)).scalars()
              if can(current_user, "practice.create", c)]
    return render_template("practices/index.html", pager=pager, filters=chosen,
                           sections=service.section_choices(_locale()), regions=REGIONS,
                           language_choices=LANGUAGE_CHOICES, can_add=bool(cities), any_filter=any(chosen.values()),
                           md=render_markdown)


def _practice(practice_id: int) -> Practice:
    practice = db.session.get(Practice, practice_id)
    if practice is None or not can(current_user, "practice.view", practice):
        abort(404)
    return practice


@bp.get("/<int:practice_id>")
@login_required
def show(practice_id: int):
    practice = _practice(practice_id)
    entry = next((e for e in service.entries(current_user, _locale()) if e.kind == "city" and e.id == practice.id),
                 None)
    if entry is None:
        abort(404)
    return render_template("practices/show.html", entry=entry, practice=practice,
                           can_edit=can(current_user, "practice.edit", practice), md=render_markdown)


def _city_choices() -> list[City]:
    return [c for c in db.session.execute(db.select(City).filter_by(active=True).order_by(City.name)).scalars()
            if can(current_user, "practice.create", c)]


def _fill_choices(form: PracticeForm, city: City, cycle: Cycle | None) -> None:
    from ..indicators.compute import cycles_of_city
    cycles = list(reversed(cycles_of_city(city)))
    form.cycle_id.choices = [("", _("Not tied to a cycle"))] + [(str(c.id), c.name) for c in cycles]
    version = cycle.rubric_version if cycle is not None else None
    form.criterion_ids.choices = [(c["id"], f"{c['id']} {content.text(c.get('title'), _locale())}")
                                  for c in content.criteria(version)] if version is not None else []
    form.evidence_ids.choices = [(i.id, i.title) for i in service.eligible_evidence(city, cycle)]


def _edit(city: City, practice: Practice | None):
    form = PracticeForm(obj=practice) if request.method == "GET" and practice is not None else PracticeForm()
    if request.method == "GET" and practice is not None:
        form.cycle_id.data = str(practice.cycle_id or "")
    cycle_id = parse_id(form.cycle_id.data or request.args.get("cycle")) if (form.cycle_id.data or
                                                                             request.args.get("cycle")) else None
    cycle = db.session.get(Cycle, cycle_id) if cycle_id else None
    if cycle is not None and city not in cycle.cities:
        cycle = None
    if request.method == "GET" and practice is None and cycle is not None:
        form.cycle_id.data = str(cycle.id)
    _fill_choices(form, city, cycle)
    if request.method == "POST" and form.validate():
        try:
            saved = service.save(practice, city, current_user, {
                "title": form.title.data, "summary": form.summary.data, "language": form.language.data,
                "cycle_id": cycle.id if cycle is not None else None, "criterion_ids": form.criterion_ids.data,
                "evidence_ids": form.evidence_ids.data, "visibility": form.visibility.data,
                "contact": form.contact.data})
        except service.PracticeError as err:
            db.session.rollback()
            for name in err.errors:
                getattr(form, name).errors = [_("Check this answer.")]
        else:
            db.session.commit()
            flash(_("The practice is saved."), "success")
            return redirect(url_for(".show", practice_id=saved.id))
    status = 422 if request.method == "POST" else 200
    return render_template("practices/form.html", form=form, city=city, practice=practice, cycle=cycle), status


@bp.route("/cities/<slug>/new", methods=["GET", "POST"])
@login_required
def new(slug: str):
    city = db.session.execute(db.select(City).filter_by(slug=slug)).scalar_one_or_none()
    if city is None:
        abort(404)
    require("practice.create", city)
    return _edit(city, None)


@bp.route("/<int:practice_id>/edit", methods=["GET", "POST"])
@login_required
def edit(practice_id: int):
    practice = _practice(practice_id)
    require("practice.edit", practice)
    return _edit(practice.city, practice)


@bp.get("/new")
@login_required
def choose_city():
    cities = _city_choices()
    if not cities:
        abort(403)
    if len(cities) == 1:
        return redirect(url_for(".new", slug=cities[0].slug))
    return render_template("practices/choose_city.html", cities=cities)
