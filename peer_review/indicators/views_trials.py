"""Field-trial pages (a city's ratings; the secretariat's summary, downloads and tier decisions) and a city's
local indicators. Thin: the work is in ``trials.py`` and ``local.py``."""
from __future__ import annotations

import csv
import io
import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_locale, ngettext
from flask_login import current_user, login_required

from ..cities.models import REGIONS, City
from ..cycles.models import Cycle
from ..errors import ValidationFailed, apply_to_form
from ..evidence.tabular import neutralise_formula
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..permissions import can, member_city_ids, require
from . import definitions, trials
from . import local as local_ops
from .blueprint import bp
from .definitions import FAMILIES
from .forms_trials import (
    FAMILY_CHOICES,
    UNIT_CHOICES,
    LocalIndicatorForm,
    TierDecisionForm,
    rating_form,
)
from .models import RATING_CRITERIA, LocalIndicator

TIER_LABELS = {"core": _l("Core"), "second": _l("Second tier"), "local": _l("Local")}
FAMILY_LABELS = {k: v for k, v in FAMILY_CHOICES if k}


def _locale() -> str:
    return str(get_locale() or "en")


def _helpers() -> dict:
    return {"text": definitions.text, "locale": _locale(), "tier_label": lambda t: TIER_LABELS.get(t, t or ""),
            "family_label": lambda f: FAMILY_LABELS.get(f, f or ""), "criteria": RATING_CRITERIA,
            "criterion_label": lambda c: trials.CRITERIA_LABELS[c],
            "mean_text": lambda v: format_decimal(v, format="0.0"),
            "split_codes": lambda codes: ([c for c in codes or [] if not c.startswith("-")],
                                          [c[1:] for c in codes or [] if c.startswith("-")])}


def _by_family(indicators: list[dict]) -> list[tuple[str, list[dict]]]:
    return [(f, [i for i in indicators if i.get("family") == f]) for f in FAMILIES
            if any(i.get("family") == f for i in indicators)]


def _city(slug: str) -> City:
    return db.first_or_404(db.select(City).filter_by(slug=slug))


def _cycle_city(cycle_id: int, slug: str) -> tuple[Cycle, City]:
    cycle = db.get_or_404(Cycle, cycle_id)
    city = _city(slug)
    require("trial.rate", (city, cycle))
    if city not in cycle.cities:
        abort(404)
    return cycle, city


# --- A city's ratings ---------------------------------------------------------------------------------------

@bp.route("/cycles/<int:cycle_id>/field-trial/<slug>", methods=["GET", "POST"])
@login_required
def trial_rate(cycle_id: int, slug: str):
    cycle, city = _cycle_city(cycle_id, slug)
    indicators = trials.network_indicators(cycle)
    form = rating_form(indicators, _locale())
    if request.method == "GET":
        saved = trials.ratings_of(cycle, city)
        for key, cell in saved.items():
            for name, value in cell.items():
                field = form._fields.get(f"{key}__{name}")
                if field is not None:
                    field.data = "" if value is None else str(value)
    elif form.validate_on_submit():
        ratings = {ind["id"]: {name: form[f"{ind['id']}__{name}"].data or None for name in RATING_CRITERIA}
                   | {"comment": form[f"{ind['id']}__comment"].data or ""} for ind in indicators}
        try:
            changed = trials.save_ratings(cycle, city, ratings, current_user)
        except ValidationFailed as err:
            db.session.rollback()
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash(ngettext("Ratings saved (%(num)s indicator changed).", "Ratings saved (%(num)s indicators changed).",
                           changed), "success")
            return redirect(url_for("indicators.trial_rate", cycle_id=cycle.id, slug=city.slug))
    rated = sum(1 for ind in indicators if any(form[f"{ind['id']}__{c}"].data for c in RATING_CRITERIA))
    return render_template("indicators/trials_rate.html", cycle=cycle, city=city, form=form,
                           families=_by_family(indicators), rated=rated, total=len(indicators),
                           indicator_set=trials.cycle_set(cycle),
                           **_helpers()), 400 if form.errors else 200


# --- The secretariat's summary ------------------------------------------------------------------------------

def _region_arg() -> str | None:
    region = request.args.get("region", "")
    return region if region in dict(REGIONS) else None


def _summary_cycle(cycle_id: int) -> Cycle:
    cycle = db.get_or_404(Cycle, cycle_id)
    require("cycle.view", cycle)
    return cycle


def _decision_form(cycle, summary) -> TierDecisionForm:
    form = TierDecisionForm()
    base = trials.newest_in_line(trials.cycle_set(cycle))
    locale = _locale()
    form.move.choices = [
        (i["id"], _l("%(name)s: %(old)s → %(new)s", name=definitions.text(i.get("name"), locale),
                     old=TIER_LABELS.get(i.get("tier")),
                     new=TIER_LABELS["second" if i.get("tier") == "core" else "core"]))
        for i in (base.indicators if base is not None else [])]
    return form


@bp.get("/cycles/<int:cycle_id>/field-trial")
@login_required
def trial_summary(cycle_id: int):
    cycle = _summary_cycle(cycle_id)
    if not can(current_user, "trial.summary"):
        own = [c for c in cycle.cities if c.id in member_city_ids(current_user)]
        if own and can(current_user, "trial.rate", (own[0], cycle)):
            return redirect(url_for("indicators.trial_rate", cycle_id=cycle.id, slug=own[0].slug))
        require("trial.summary")
    return _render_summary(cycle, _decision_form(cycle, None))


def _render_summary(cycle, form, status: int = 200):
    region = _region_arg()
    data = trials.summary(cycle, region=region)
    indicator_set = trials.cycle_set(cycle)
    regions = dict(REGIONS)
    return render_template(
        "indicators/trials_summary.html", cycle=cycle, data=data, form=form, indicator_set=indicator_set,
        newest=trials.newest_in_line(indicator_set), decisions=trials.decisions(cycle),
        families=_by_family(data["indicators"]), region=region, region_label=lambda k: regions.get(k, k),
        region_items=[{"value": "", "text": str(_l("All regions"))}] + [
            {"value": k, "text": str(label), "selected": region == k} for k, label in REGIONS],
        pinned=cycle.indicator_set_id is not None, can_decide=can(current_user, "trial.decide"),
        download_args={"region": region} if region else {}, **_helpers()), status


def _csv_rows(data) -> list[list]:
    regions = dict(REGIONS)
    header = [_l("Indicator id"), _l("Indicator"), _l("Family"), _l("Tier in this cycle"), _l("Tier now"),
              _l("Region"), _l("Cities rated")]
    for c in RATING_CRITERIA:
        header += [_l("%(criterion)s: mean", criterion=trials.CRITERIA_LABELS[c]),
                   _l("%(criterion)s: ratings", criterion=trials.CRITERIA_LABELS[c])]
        header += [_l("%(criterion)s: %(n)s", criterion=trials.CRITERIA_LABELS[c], n=n) for n in range(1, 6)]
    header += [_l("Overall mean")]
    rows = [header]
    locale = _locale()
    for ind in data["indicators"]:
        scopes = [(data["region"] or "", ind)] + [(k, v) for k, v in ind.get("regions", {}).items()
                                                  if not data["region"]]
        for region, block in scopes:
            line = [ind["id"], definitions.text(ind["name"], locale), FAMILY_LABELS.get(ind["family"], ""),
                    TIER_LABELS.get(ind["tier"], ""), TIER_LABELS.get(ind["tier_now"], ""),
                    regions.get(region, _l("All regions")) if region else _l("All regions"), block["cities"]]
            for c in RATING_CRITERIA:
                stats = block["criteria"][c]
                line += ["" if stats["mean"] is None else stats["mean"], stats["n"]]
                line += [stats["distribution"][str(n)] for n in range(1, 6)]
            line.append("" if block["overall"]["mean"] is None else block["overall"]["mean"])
            rows.append(line)
    return rows


def _download(body: bytes, name: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/cycles/<int:cycle_id>/field-trial.csv")
@login_required
def trial_summary_csv(cycle_id: int):
    cycle = _summary_cycle(cycle_id)
    require("trial.summary")
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    for line in _csv_rows(trials.summary(cycle, region=_region_arg())):
        writer.writerow([neutralise_formula(str(v)) for v in line])
    return _download(("\ufeff" + out.getvalue()).encode("utf-8"), f"cycle-{cycle.id}-field-trial.csv",
                     "text/csv; charset=utf-8")


@bp.get("/cycles/<int:cycle_id>/field-trial.json")
@login_required
def trial_summary_json(cycle_id: int):
    cycle = _summary_cycle(cycle_id)
    require("trial.summary")
    body = json.dumps(trials.summary(cycle, region=_region_arg()), ensure_ascii=False, indent=1)
    return _download(body.encode("utf-8"), f"cycle-{cycle.id}-field-trial.json", "application/json")


@bp.post("/cycles/<int:cycle_id>/field-trial/tiers")
@login_required
def trial_decide(cycle_id: int):
    cycle = _summary_cycle(cycle_id)
    require("trial.decide")
    form = _decision_form(cycle, None)
    if form.validate_on_submit():
        base = trials.newest_in_line(trials.cycle_set(cycle))
        changes = {key: "second" if base.get(key)["tier"] == "core" else "core" for key in form.move.data
                   if base.get(key)}
        try:
            new = trials.decide_tiers(cycle, changes, form.reason.data, current_user)
        except ValidationFailed as err:
            db.session.rollback()
            apply_to_form(form, ValidationFailed({("move" if k == "changes" else k): v
                                                  for k, v in err.fields.items()}))
        else:
            db.session.commit()
            flash(_l("Version %(version)s of the indicator definitions is made. Cycles not yet pinned to a "
                     "version will use it.", version=new.version), "success")
            return redirect(url_for("indicators.trial_summary", cycle_id=cycle.id) + "#decision")
    return _render_summary(cycle, form, 400)


# --- A city's local indicators ------------------------------------------------------------------------------

def _code_choices() -> list[tuple[str, str]]:
    from ..coding.models import Code
    from ..coding.views_codes import ensure_codebook
    ensure_codebook()
    locale = _locale()
    codes = db.session.execute(db.select(Code).order_by(Code.key)).scalars()
    return sorted(((c.key, definitions.text(c.labels, locale) or c.key) for c in codes),
                  key=lambda kv: kv[1].casefold())


def _local_form(**kwargs) -> LocalIndicatorForm:
    form = LocalIndicatorForm(**kwargs)
    form.codes.choices = form.against.choices = _code_choices()
    return form


def _local_errors(form, err: ValidationFailed) -> None:
    fields = {}
    for key, messages in err.fields.items():
        fields.setdefault("key" if key == "id" else key, []).extend(messages)
    apply_to_form(form, ValidationFailed(fields))


@bp.get("/cities/<slug>/local")
@login_required
def local_list(slug: str):
    city = _city(slug)
    require("indicator.city", city)
    return render_template("indicators/local_list.html", city=city, rows=local_ops.of_city(city),
                           can_edit=can(current_user, "indicator.local", city),
                           unit_label=lambda u: dict(UNIT_CHOICES).get(u, u), **_helpers())


@bp.route("/cities/<slug>/local/new", methods=["GET", "POST"])
@login_required
def local_new(slug: str):
    city = _city(slug)
    require("indicator.local", city)
    form = _local_form()
    if request.method == "GET":
        form.direction.data, form.draws_on.data = "more", "codes"
    elif form.validate_on_submit():
        try:
            row = local_ops.create_local(city, form.data_for_ops(), current_user)
        except ValidationFailed as err:
            db.session.rollback()
            _local_errors(form, err)
        else:
            db.session.commit()
            flash(_l("Local indicator %(key)s added.", key=row.key), "success")
            return redirect(url_for("indicators.local_list", slug=city.slug))
    return render_template("indicators/local_form.html", city=city, form=form, row=None,
                           **_helpers()), 400 if form.errors else 200


def _local_row(city, local_id: int) -> LocalIndicator:
    row = db.get_or_404(LocalIndicator, local_id)
    if row.city_id != city.id:
        abort(404)
    return row


@bp.route("/cities/<slug>/local/<int:local_id>/edit", methods=["GET", "POST"])
@login_required
def local_edit(slug: str, local_id: int):
    city = _city(slug)
    require("indicator.local", city)
    row = _local_row(city, local_id)
    if row.retired:
        flash(_l("This indicator is retired: it can no longer be changed."), "error")
        return redirect(url_for("indicators.local_list", slug=city.slug))
    form = _local_form()
    if request.method == "GET":
        form.fill_from(row.content)
    else:
        form.key.data = row.key  # the id never changes
        if form.validate_on_submit():
            try:
                local_ops.update_local(row, form.data_for_ops(), current_user)
            except ValidationFailed as err:
                db.session.rollback()
                _local_errors(form, err)
            else:
                db.session.commit()
                flash(_l("Local indicator %(key)s saved.", key=row.key), "success")
                return redirect(url_for("indicators.local_list", slug=city.slug))
    return render_template("indicators/local_form.html", city=city, form=form, row=row,
                           **_helpers()), 400 if form.errors else 200


@bp.post("/cities/<slug>/local/<int:local_id>/retire")
@login_required
def local_retire(slug: str, local_id: int):
    city = _city(slug)
    require("indicator.local", city)
    row = _local_row(city, local_id)
    from flask_wtf import FlaskForm
    if not FlaskForm().validate_on_submit():
        abort(400)
    local_ops.retire_local(row, current_user)
    db.session.commit()
    flash(_l("Local indicator %(key)s retired.", key=row.key), "success")
    return redirect(url_for("indicators.local_list", slug=city.slug))
