"""Double-coding samples, agreement and reconciliation pages (routes on the coding blueprint)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from ..cycles.models import Cycle
from ..errors import ValidationFailed, apply_to_form
from ..extensions import db
from ..pagination import paginate
from ..permissions import can, require
from . import samples as ops
from .blueprint import bp
from .forms_samples import SampleForm, reconcile_form
from .models import DoubleCodingSample


def get_sample_or_404(sample_id: int) -> DoubleCodingSample:
    sample = db.session.get(DoubleCodingSample, sample_id)
    if sample is None:
        abort(404)
    return sample


def item_url(item_id: int) -> str:
    try:
        return url_for("evidence.show", item_id=item_id)
    except BuildError:  # the evidence pages may not be registered in every build
        return f"/evidence/{item_id}"


def figure(value, digits: int = 2) -> str:
    return "" if value is None else format_decimal(value, format="0." + "0" * digits)


def percent(value) -> str:
    return "" if value is None else format_decimal(value, format="0.0") + " %"


HELPERS = {"item_url": item_url, "figure": figure, "percent": percent}


@bp.route("/samples/")
@login_required
def samples_index():
    require("sample.view")
    pager = paginate(ops.list_samples())
    reports = {s.id: ops.sample_report(s) for s in pager.items}
    visible = {s.id: ops.report_visible_to(current_user, s, reports[s.id]) for s in pager.items}
    return render_template("coding/samples_index.html", pager=pager, reports=reports, visible=visible, **HELPERS)


@bp.route("/samples/new", methods=["GET", "POST"])
@login_required
def samples_new():
    require("sample.manage")
    form = SampleForm()
    cycles = list(db.session.execute(db.select(Cycle).order_by(Cycle.starts_on.desc())).scalars())
    cycles.sort(key=lambda c: {"open": 0, "closed": 1}.get(c.state, 2))  # the one in progress first
    form.cycle.choices = [(c.id, c.name) for c in cycles]
    if request.method == "GET" and cycles and cycles[0].state == "open":
        form.cycle.data = cycles[0].id
    people = [(u.id, f"{u.name} ({u.email})") for u in ops.facilitators()]
    form.coder_a.choices = [(0, _("Choose a coder"))] + people
    form.coder_b.choices = [(0, _("Choose a coder"))] + people
    if form.validate_on_submit():
        try:
            sample = ops.draw_sample(db.session.get(Cycle, form.cycle.data), form.size.data,
                                     form.coder_a.data or None, form.coder_b.data or None, seed=form.seed.data,
                                     name=form.name.data, actor=current_user)
        except ValidationFailed as err:
            db.session.rollback()
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash(_("Sample drawn: %(n)s items for double coding.", n=len(sample.items)), "success")
            return redirect(url_for("coding.sample_show", sample_id=sample.id))
    return render_template("coding/samples_new.html", form=form), (400 if form.errors else 200)


def _show(sample: DoubleCodingSample, form=None, status: int = 200):
    report = ops.sample_report(sample)
    visible = ops.report_visible_to(current_user, sample, report)
    details = ops.disagreement_details(sample, report) if visible else []
    if form is None and visible and sample.open and can(current_user, "sample.manage", sample):
        form = reconcile_form(details)
    codes = {c.key: c for c in ops.all_codes(include_retired=True)}
    return render_template("coding/samples_show.html", sample=sample, report=report, visible=visible,
                           details=details, form=form, codes=codes, **HELPERS), status


@bp.route("/samples/<int:sample_id>")
@login_required
def sample_show(sample_id: int):
    require("sample.view")
    sample = get_sample_or_404(sample_id)
    return _show(sample)


@bp.route("/samples/<int:sample_id>/reconcile", methods=["POST"])
@login_required
def sample_reconcile(sample_id: int):
    require("sample.manage")
    sample = get_sample_or_404(sample_id)
    if not sample.open:
        flash(_("This sample has already been reconciled."), "error")
        return redirect(url_for("coding.sample_show", sample_id=sample.id))
    report = ops.sample_report(sample)
    if not ops.report_visible_to(current_user, sample, report):
        abort(403)  # a coder may not reconcile before both have finished: they would see the other's work
    details = ops.disagreement_details(sample, report)
    form = reconcile_form(details, formdata=request.form)
    if not form.validate():
        return _show(sample, form=form, status=400)
    decisions = {(d["item"].id, d["code_key"]): form[d["key"]].data for d in details}
    try:
        created = ops.reconcile(sample, decisions, actor=current_user)
    except ValidationFailed as err:
        db.session.rollback()
        flash("; ".join(str(m) for messages in err.fields.values() for m in messages), "error")
        return redirect(url_for("coding.sample_show", sample_id=sample_id))
    db.session.commit()
    flash(_("Sample reconciled: %(n)s agreed codings now count.", n=len(created)), "success")
    return redirect(url_for("coding.sample_show", sample_id=sample.id))
