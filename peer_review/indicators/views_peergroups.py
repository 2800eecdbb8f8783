"""Pages: a cycle's peer groups (the latest run, with k, silhouettes, explained variance, loadings, groups and the
cities set apart), running the method again with a seed, and the groups table as CSV and JSON."""
from __future__ import annotations

import csv
import io

from flask import Response, flash, jsonify, redirect, render_template, url_for
from flask_babel import format_decimal, format_percent, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import IntegerField, SubmitField
from wtforms.validators import NumberRange, Optional

from ..cycles.models import Cycle
from ..evidence.tabular import neutralise_formula
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..permissions import can, require
from . import peergroup_service as service
from .blueprint import bp

TOP_LOADINGS = 5


class PeerGroupRunForm(FlaskForm):
    seed = IntegerField(
        _l("Seed"), widget=GovTextInput(), default=0,
        description=_l("The same seed and the same values always give the same groups."),
        validators=[Optional(), NumberRange(min=0, max=2 ** 31 - 1, message=_l("Enter a whole number, 0 or more"))])
    submit = SubmitField(_l("Compute peer groups"), widget=GovSubmitInput())


def _locale() -> str:
    return str(get_locale() or "en")


def _cycle(cycle_id: int) -> Cycle:
    return db.get_or_404(Cycle, cycle_id)


def _top_loadings(loadings: dict) -> list[dict]:
    out = []
    for name in sorted(loadings or {}, key=lambda n: int(n[2:]) if n[2:].isdigit() else 0):
        weights = loadings[name]
        top = sorted(weights.items(), key=lambda kv: (-abs(kv[1]), kv[0]))[:TOP_LOADINGS]
        out.append({"component": name, "top": top})
    return out


def _percent(value) -> str:
    return "" if value is None else format_percent(value, "#,##0.#%")


def _fixed(value, places: int = 2) -> str:
    """A number with a fixed count of decimals, in the current locale (columns of figures line up)."""
    return "" if value is None else format_decimal(round(value, places) + 0.0, "#,##0." + "0" * places)


def page_context(cycle: Cycle) -> dict:
    row = service.latest(cycle)
    labels = service.feature_labels(cycle, _locale())
    if row is None:
        return {"run": None, "labels": labels, "percent": _percent, "fixed": _fixed}
    groups = service.groups_of(row, labels)
    rows = service.table_rows(cycle, row, labels)
    by_group: dict[str, list[dict]] = {}
    for r in rows:
        by_group.setdefault(r["group"], []).append(r)
    explained = row.explained_variance or []
    cumulative, total = [], 0.0
    for ratio in explained:
        total += ratio
        cumulative.append(total)
    return {"percent": _percent, "fixed": _fixed, "run": row, "info": service.run_info(row), "labels": labels, "groups": groups, "by_group": by_group,
            "rows": rows, "apart": [r for r in rows if not r["group"]],
            "coordinates": sorted((r for r in rows if r["group"]), key=lambda r: (r["city"].casefold(), r["slug"])),
            "silhouettes": sorted(((int(k), v) for k, v in (row.silhouettes or {}).items())),
            "explained": list(zip(explained, cumulative)), "loadings": _top_loadings(row.loadings)}


@bp.get("/cycles/<int:cycle_id>/peer-groups")
@login_required
def peer_groups(cycle_id: int):
    cycle = _cycle(cycle_id)
    require("cycle.view", cycle)
    require("peergroup.view")
    form = PeerGroupRunForm()
    return render_template("indicators/peergroups.html", cycle=cycle, form=form,
                           can_run=can(current_user, "peergroup.run", cycle), **page_context(cycle))


@bp.post("/cycles/<int:cycle_id>/peer-groups")
@login_required
def peer_groups_run(cycle_id: int):
    cycle = _cycle(cycle_id)
    require("peergroup.run", cycle)
    form = PeerGroupRunForm()
    if not form.validate_on_submit():
        return render_template("indicators/peergroups.html", cycle=cycle, form=form, can_run=True,
                               **page_context(cycle)), 400
    row = service.run(cycle, seed=form.seed.data or 0, user=current_user)
    db.session.commit()
    info = service.run_info(row)
    if info["status"] == "ok":
        flash(_("Peer groups computed: %(k)s groups (seed %(seed)s).", k=row.k, seed=row.seed), "success")
    else:
        flash(_("Peer groups could not be formed: too few cities have enough values."), "warning")
    return redirect(url_for("indicators.peer_groups", cycle_id=cycle.id))


def _download_rows(cycle: Cycle) -> list[dict]:
    row = service.latest(cycle)
    return service.table_rows(cycle, row, service.feature_labels(cycle, _locale())) if row is not None else []


@bp.get("/cycles/<int:cycle_id>/peer-groups.csv")
@login_required
def peer_groups_csv(cycle_id: int):
    cycle = _cycle(cycle_id)
    require("cycle.view", cycle)
    require("peergroup.view")
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("City"), _("City id"), _("Group"), _("Group name"), _("First component"),
                     _("Second component"), _("Share of values missing (set apart)")])
    for r in _download_rows(cycle):
        writer.writerow([neutralise_formula(r["city"]), neutralise_formula(r["slug"]), r["group"],
                         neutralise_formula(r["group_name"]), "" if r["pc1"] is None else r["pc1"],
                         "" if r["pc2"] is None else r["pc2"],
                         "" if r["missing_share"] is None else r["missing_share"]])
    response = Response(("\ufeff" + out.getvalue()).encode("utf-8"), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="cycle-{cycle.id}-peer-groups.csv"'
    return response


@bp.get("/cycles/<int:cycle_id>/peer-groups.json")
@login_required
def peer_groups_json(cycle_id: int):
    cycle = _cycle(cycle_id)
    require("cycle.view", cycle)
    require("peergroup.view")
    row = service.latest(cycle)
    response = jsonify({"cycle": cycle.id, "run": row.id if row else None, "method_hash": row.method_hash if row
                        else None, "seed": row.seed if row else None, "rows": _download_rows(cycle)})
    response.headers["Content-Disposition"] = f'attachment; filename="cycle-{cycle.id}-peer-groups.json"'
    return response
