"""Pages: conflicts of interest, and a cycle's peer assignments (settings, proposal, edits, publishing)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..cities.models import City
from ..cycles import operations as cycle_ops
from ..cycles.forms import AssignmentSettingsForm
from ..cycles.models import Cycle, cycle_cities
from ..errors import ValidationFailed, apply_to_form
from ..extensions import db
from ..input_limits import parse_id
from ..pagination import paginate
from ..permissions import can, is_staff, member_city_ids, require
from . import conflicts as conflict_ops
from . import operations as ops
from .blueprint import bp
from .forms import AddAssignmentForm, ConflictForm
from .models import PUBLISHED, REMOVED, Assignment, Conflict


def _cycle_or_404(cycle_id: int) -> Cycle:
    return db.get_or_404(Cycle, cycle_id)


# --- Conflicts of interest -----------------------------------------------------------------------------------

@bp.route("/conflicts/")
@login_required
def conflicts():
    require("conflict.list")
    pager = paginate(conflict_ops.visible_to(current_user))
    return render_template("assignments/conflicts.html", pager=pager,
                           can_declare=can(current_user, "conflict.declare"))


def _declaring_cities() -> list[City]:
    stmt = db.select(City).filter(City.active.is_(True)).order_by(City.name)
    if not is_staff(current_user):
        from ..users.models import COORDINATOR
        stmt = stmt.filter(City.id.in_(member_city_ids(current_user, COORDINATOR) or {-1}))
    return db.session.execute(stmt).scalars().all()


@bp.route("/conflicts/new", methods=["GET", "POST"])
@login_required
def declare_conflict():
    require("conflict.declare")
    form = ConflictForm()
    mine = _declaring_cities()
    everyone = db.session.execute(db.select(City).filter(City.active.is_(True)).order_by(City.name)).scalars().all()
    form.city.choices = [("", _("Choose a city"))] + [(c.slug, c.name) for c in mine]
    form.other.choices = [("", _("Choose a city"))] + [(c.slug, c.name) for c in everyone]
    if form.validate_on_submit():
        by_slug = {c.slug: c for c in everyone}
        city, other = by_slug.get(form.city.data), by_slug.get(form.other.data)
        if city is None or city not in mine:
            abort(404)
        require("conflict.declare", city)
        try:
            conflict = conflict_ops.declare(city, other, form.reason.data,
                                            on_behalf_of=None if is_staff(current_user) else city,
                                            actor=current_user)
        except ValidationFailed as err:
            db.session.rollback()
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash(_("Conflict of interest between %(a)s and %(b)s declared. They will never be assigned to review "
                    "each other.", a=conflict.city_a.name, b=conflict.city_b.name), "success")
            return redirect(url_for("assignments.conflicts"))
    return render_template("assignments/conflict_form.html", form=form), (400 if form.errors else 200)


@bp.route("/conflicts/<int:conflict_id>/delete", methods=["POST"])
@login_required
def withdraw_conflict(conflict_id: int):
    conflict = db.get_or_404(Conflict, conflict_id)
    require("conflict.delete", conflict)
    names = (conflict.city_a.name, conflict.city_b.name)
    conflict_ops.withdraw(conflict, actor=current_user)
    db.session.commit()
    flash(_("Conflict of interest between %(a)s and %(b)s withdrawn.", a=names[0], b=names[1]), "success")
    return redirect(url_for("assignments.conflicts"))


# --- A cycle's assignments -------------------------------------------------------------------------------------

def _overview(cycle: Cycle) -> dict:
    names = {c.id: c.name for c in cycle.cities}
    all_rows = ops.rows(cycle, ("proposed", "published", "removed"))
    by_reviewed: dict[int, list[Assignment]] = {}
    load: dict[int, int] = {c.id: 0 for c in cycle.cities}
    for row in all_rows:
        by_reviewed.setdefault(row.reviewed_city_id, []).append(row)
        if row.state != REMOVED:
            load[row.reviewer_city_id] = load.get(row.reviewer_city_id, 0) + 1
    found = ops.violations(cycle) if all_rows else []
    run = cycle.assignment_run or {}
    relaxed = [ops.describe(_Item(r["rule"], tuple(r["city_ids"]), r.get("detail") or {}), names)
               for r in run.get("relaxed", [])]
    return {"names": names, "by_reviewed": by_reviewed, "load": load,
            "hard": [ops.describe(v, names) for v in found if v.hard],
            "soft": [ops.describe(v, names) for v in found if not v.hard and v.rule != "coverage"],
            "coverage": [ops.describe(v, names) for v in found if v.rule == "coverage"],
            "relaxed": relaxed, "run": run,
            "proposed": sum(1 for r in all_rows if r.state == "proposed"),
            "published": sum(1 for r in all_rows if r.state == PUBLISHED)}


class _Item:
    def __init__(self, rule, city_ids, detail):
        self.rule, self.city_ids, self.detail = rule, city_ids, detail


@bp.route("/cycles/<int:cycle_id>/assignments")
@login_required
def index(cycle_id: int):
    cycle = _cycle_or_404(cycle_id)
    require("assignment.view", cycle)
    stmt = (db.select(City).join(cycle_cities, cycle_cities.c.city_id == City.id)
            .filter(cycle_cities.c.cycle_id == cycle.id).order_by(City.name))
    pager = paginate(stmt)
    form = AddAssignmentForm()
    choices = [("", _("Choose a city"))] + [(c.slug, c.name) for c in cycle.cities]
    form.reviewer.choices = form.reviewed.choices = choices
    return render_template("assignments/index.html", cycle=cycle, pager=pager, form=form,
                           cost_terms=ops.cost_terms, reasons=ops.ALTERNATE_REASONS,
                           can_manage=can(current_user, "assignment.manage", cycle), **_overview(cycle))


@bp.route("/cycles/<int:cycle_id>/assignments/settings", methods=["GET", "POST"])
@login_required
def settings(cycle_id: int):
    cycle = _cycle_or_404(cycle_id)
    require("assignment.manage", cycle)
    form = AssignmentSettingsForm(obj=cycle)
    overrides = {int(k): v for k, v in (cycle.load_overrides or {}).items()}
    typed = {c.slug: request.form.get(f"override_{c.slug}", "") for c in cycle.cities} if request.method == "POST" \
        else {c.slug: str(overrides.get(c.id, "")) for c in cycle.cities}
    override_errors = {}
    if form.validate_on_submit():
        values = {}
        for slug, raw in typed.items():
            raw = raw.strip()
            if raw and parse_id(raw) is None:
                override_errors[slug] = _("Enter a whole number, or leave it empty")
            values[slug] = parse_id(raw) if raw else None
        if not override_errors:
            try:
                cycle_ops.update_cycle(cycle, {
                    "reviewers_per_city": form.reviewers_per_city.data, "even_load": form.even_load.data,
                    "no_swaps": form.no_swaps.data, "avoid_repeats": form.avoid_repeats.data,
                    "preference": form.preference.data, "assignment_seed": form.assignment_seed.data or 0,
                    "load_overrides": values})
            except ValidationFailed as err:
                db.session.rollback()
                apply_to_form(form, err)
                if "load_overrides" in err.fields:
                    override_errors["_"] = err.fields["load_overrides"][0]
            else:
                db.session.commit()
                flash(_("Assignment settings saved. Propose the assignments again to apply them."), "success")
                return redirect(url_for("assignments.index", cycle_id=cycle.id))
    status = 400 if (form.errors or override_errors) else 200
    return render_template("assignments/settings.html", cycle=cycle, form=form, typed=typed,
                           override_errors=override_errors), status


@bp.route("/cycles/<int:cycle_id>/assignments/propose", methods=["POST"])
@login_required
def propose(cycle_id: int):
    cycle = _cycle_or_404(cycle_id)
    require("assignment.manage", cycle)
    try:
        proposal = ops.propose(cycle, actor=current_user)
    except ValidationFailed as err:
        db.session.rollback()
        flash(err.first_message, "error")
    else:
        db.session.commit()
        if proposal.relaxed:
            flash(_("Proposed %(n)s pairs in %(s)s s. Some rules could not all hold: see below which gave way.",
                    n=len(proposal.pairs), s=f"{proposal.seconds:.2f}"), "warning")
        else:
            flash(_("Proposed %(n)s pairs in %(s)s s; every rule holds. Review them, then publish.",
                    n=len(proposal.pairs), s=f"{proposal.seconds:.2f}"), "success")
    return redirect(url_for("assignments.index", cycle_id=cycle_id))


@bp.route("/cycles/<int:cycle_id>/assignments/add", methods=["POST"])
@login_required
def add(cycle_id: int):
    cycle = _cycle_or_404(cycle_id)
    require("assignment.manage", cycle)
    form = AddAssignmentForm()
    by_slug = {c.slug: c for c in cycle.cities}
    form.reviewer.choices = form.reviewed.choices = [(s, s) for s in by_slug]
    if not form.validate_on_submit():
        flash(next(iter(form.errors.values()))[0], "error")
        return redirect(url_for("assignments.index", cycle_id=cycle_id))
    try:
        row, warnings = ops.add(cycle, by_slug.get(form.reviewer.data), by_slug.get(form.reviewed.data),
                                actor=current_user, note=form.note.data)
    except ValidationFailed as err:
        db.session.rollback()
        flash(err.first_message, "error")
    else:
        db.session.commit()
        flash(_("%(a)s will review %(b)s (added by hand, kept on re-runs).", a=row.reviewer_city.name,
                b=row.reviewed_city.name), "success")
        names = {c.id: c.name for c in cycle.cities}
        for warning in warnings[:5]:
            flash(ops.describe(warning, names), "warning")
    return redirect(url_for("assignments.index", cycle_id=cycle_id))


@bp.route("/assignments/<int:assignment_id>/remove", methods=["POST"])
@login_required
def remove(assignment_id: int):
    row = db.get_or_404(Assignment, assignment_id)
    require("assignment.manage", row.cycle)
    try:
        ops.remove(row, actor=current_user)
    except ValidationFailed as err:
        db.session.rollback()
        flash(err.first_message, "error")
    else:
        db.session.commit()
        flash(_("%(a)s no longer reviews %(b)s (kept out on re-runs).", a=row.reviewer_city.name,
                b=row.reviewed_city.name), "success")
    return redirect(url_for("assignments.index", cycle_id=row.cycle_id))


@bp.route("/cycles/<int:cycle_id>/assignments/publish", methods=["POST"])
@login_required
def publish(cycle_id: int):
    cycle = _cycle_or_404(cycle_id)
    require("assignment.manage", cycle)
    try:
        published = ops.publish(cycle, actor=current_user)
    except ValidationFailed as err:
        db.session.rollback()
        for message in next(iter(err.fields.values()))[:5]:
            flash(message, "error")
    else:
        db.session.commit()
        flash(_("%(n)s assignments published. The reviewer cities have been told.", n=len(published)), "success")
    return redirect(url_for("assignments.index", cycle_id=cycle_id))
