"""The tracking board of a cycle (secretariat): the page, its CSV export and the "send reminders" button.
Routes on the cycles blueprint (``cycles/views.py`` imports this module)."""
from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required

from ..cities.models import REGIONS
from ..extensions import db
from ..permissions import require
from . import board as board_ops
from .models import PHASES, Cycle
from .views import bp


def _filters() -> dict:
    phase = request.args.get("phase", "")
    region = request.args.get("region", "")
    return {"phase": phase if phase in board_ops.PHASE_FILTER else "",
            "region": region if region in dict(REGIONS) else "",
            "late_only": request.args.get("late") in ("1", "on", "true", "yes")}


def _rows(cycle, filters):
    all_rows = board_ops.board(cycle)
    rows = board_ops.filter_rows(all_rows, phase=filters["phase"] or None, late_only=filters["late_only"],
                                 region=filters["region"] or None)
    return all_rows, rows


@bp.route("/<int:cycle_id>/board")
@login_required
def board(cycle_id: int):
    cycle = db.get_or_404(Cycle, cycle_id)
    require("cycle.board", cycle)
    filters = _filters()
    all_rows, rows = _rows(cycle, filters)
    return render_template(
        "cycles/board.html", cycle=cycle, rows=rows, all_rows=all_rows, filters=filters,
        columns=board_ops.columns_for(filters["phase"] or None), summary=board_ops.summary(all_rows),
        phase_choices_items=[{"value": k, "text": str(label), "selected": filters["phase"] == k}
                             for k, label in board_ops.PHASE_FILTER_LABELS],
        region_items=[{"value": k, "text": str(label), "selected": filters["region"] == k} for k, label in REGIONS],
        phase_label=str(dict(PHASES).get(cycle.phase, "")),
        csv_args={k: v for k, v in (("phase", filters["phase"]), ("region", filters["region"]),
                                    ("late", "1" if filters["late_only"] else "")) if v})


@bp.route("/<int:cycle_id>/board.csv")
@login_required
def board_csv(cycle_id: int):
    cycle = db.get_or_404(Cycle, cycle_id)
    require("cycle.board", cycle)
    filters = _filters()
    _all, rows = _rows(cycle, filters)
    response = Response(board_ops.csv_bytes(rows, filters["phase"] or None), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="cycle-{cycle.id}-board.csv"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/<int:cycle_id>/board/reminders", methods=["POST"])
@login_required
def board_reminders(cycle_id: int):
    from ..notifications.reminders import send_reminders
    cycle = db.get_or_404(Cycle, cycle_id)
    require("reminder.send", cycle)
    if not cycle.is_open:
        flash(_("Reminders go only to cycles in progress."), "error")
        return redirect(url_for("cycles.board", cycle_id=cycle.id))
    sent = send_reminders(cycle=cycle)
    db.session.commit()
    if sent:
        flash(ngettext("%(num)d reminder sent.", "%(num)d reminders sent.", len(sent)), "success")
    else:
        flash(_("No reminders were needed: nobody is late or due soon who has not been reminded today."), "info")
    return redirect(url_for("cycles.board", cycle_id=cycle.id))
