"""Indicator pages: the entry point, the definitions, a city's dashboard and the drill-down from each figure to
exactly the passages or answers behind it."""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..cities.models import City
from ..cycles.models import Cycle
from ..extensions import db
from ..input_limits import parse_id
from ..i18n import select_locale
from ..permissions import can, member_city_ids, require
from . import compute, dashboard, drilldown, tables
from . import definitions as defs
from .blueprint import bp


def city_or_404(slug: str) -> City:
    city = db.session.execute(db.select(City).filter_by(slug=slug)).scalar_one_or_none()
    if city is None:
        abort(404)
    return city


def cycle_or_404(cycle_id: int) -> Cycle:
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        abort(404)
    return cycle


def default_cycle(city: City) -> Cycle | None:
    """The most recent cycle the city takes part in that is under way or closed (else the most recent)."""
    return compute.latest_started(compute.cycles_of_city(city))


@bp.get("/")
@login_required
def index():
    require("indicator.menu")
    own = sorted(member_city_ids(current_user))
    if own and not can(current_user, "indicator.network"):
        city = db.session.get(City, own[0])
        if len(own) == 1:
            return redirect(url_for("indicators.city", slug=city.slug))
    if can(current_user, "indicator.network"):
        return redirect(url_for("indicators.network"))
    cities = [db.session.get(City, i) for i in own]
    return render_template("indicators/index.html", cities=sorted(cities, key=lambda c: c.name))


@bp.get("/definitions")
@login_required
def definitions_page():
    require("indicator.definitions")
    defs.ensure_loaded()
    sets = db.session.execute(db.select(defs.IndicatorSet).order_by(defs.IndicatorSet.id.desc())).scalars().all()
    chosen = next((s for s in sets if s.version == request.args.get("version")), sets[0] if sets else None)
    fmt = request.args.get("format")
    if chosen is not None and fmt in ("csv", "json"):
        return tables.download(tables.definitions_table(chosen, select_locale()),
                               f"indicators-{chosen.version}", fmt)
    return render_template("indicators/definitions.html", sets=sets, chosen=chosen, locale=select_locale())


def _chosen_cycle(city):
    cycle_id = request.args.get("cycle", type=parse_id)
    if cycle_id is not None:
        cycle = cycle_or_404(cycle_id)
        if not compute.takes_part(cycle, city):
            abort(404)
        return cycle
    return default_cycle(city)


@bp.get("/cities/<slug>")
@login_required
def city(slug: str):
    city = city_or_404(slug)
    require("indicator.city", city)
    cycle = _chosen_cycle(city)
    if cycle is None:
        return render_template("indicators/city_empty.html", city=city)
    data = dashboard.city_dashboard(city, cycle, select_locale(), request.args.get("breakdown", "type"))
    fmt = request.args.get("format")
    table = request.args.get("table", "indicators")
    if fmt in ("csv", "json"):
        found = tables.city_table(data, table, select_locale())
        if found is None:
            abort(404)
        return tables.download(found, f"{city.slug}-{cycle.id}-{table}", fmt)
    return render_template("indicators/city.html", d=data, city=city, cycle=cycle, locale=select_locale(),
                           my_city_ids=member_city_ids(current_user))


@bp.get("/cities/<slug>/cycles/<int:cycle_id>/indicators/<key>")
@login_required
def evidence_behind(slug: str, cycle_id: int, key: str):
    city = city_or_404(slug)
    require("indicator.city", city)
    cycle = cycle_or_404(cycle_id)
    if not compute.takes_part(cycle, city):
        abort(404)
    try:
        data = drilldown.passages_behind(city, cycle, key, request.args.get("breakdown") or "", current_user)
    except LookupError:
        abort(404)
    return render_template("indicators/evidence_behind.html", d=data, city=city, cycle=cycle,
                           locale=select_locale())


@bp.get("/cities/<slug>/cycles/<int:cycle_id>/sections/<section_id>")
@login_required
def answers_behind(slug: str, cycle_id: int, section_id: str):
    city = city_or_404(slug)
    require("indicator.city", city)
    cycle = cycle_or_404(cycle_id)
    if not compute.takes_part(cycle, city) or cycle.rubric_version is None:
        abort(404)
    try:
        data = drilldown.answers_behind(city, cycle, section_id)
    except LookupError:
        abort(404)
    return render_template("indicators/answers_behind.html", d=data, city=city, cycle=cycle, locale=select_locale())
