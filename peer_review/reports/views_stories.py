"""Choosing the stories of a city's "State of Safety": only items whose consent allows publication and which are
not restricted are offered; the choice is kept per city and cycle and shows in every later draft."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..audit.operations import record
from ..evidence.sanitize import render_markdown
from ..extensions import db
from ..i18n import gettext as _
from ..permissions import require
from ..input_limits import parse_id
from . import safety
from .blueprint import bp
from .views import _subject


@bp.route("/cycles/<int:report_cycle_id>/cities/<slug>/state-of-safety/stories", methods=["GET", "POST"])
@login_required
def stories(report_cycle_id: int, slug: str):
    cycle, city, report = _subject(report_cycle_id, slug, "state_of_safety")
    require("report.stories", report)
    eligible = safety.eligible_stories(cycle, city)
    chosen_ids = [row.item_id for row in safety.chosen(cycle, city)]
    error = None
    if request.method == "POST":
        wanted = [parse_id(v) for v in request.form.getlist("item")]
        if any(v is None for v in wanted):
            error = _("Choose stories from the list.")
        else:
            try:
                safety.choose_stories(cycle, city, wanted, current_user)
            except safety.StoryError as err:
                db.session.rollback()
                error = (_("Choose at most %(n)d stories.", n=safety.MAX_STORIES) if str(err) == "too_many"
                         else _("Only items whose consent allows publication can be chosen."))
            else:
                record("report.stories", "city", city.id, actor=current_user,
                       summary=f"State of Safety stories of {city.slug}, {cycle.name}", after={"items": wanted})
                db.session.commit()
                flash(_("The report's stories are saved."), "success")
                return redirect(url_for(".city_report", report_cycle_id=cycle.id, slug=city.slug,
                                        report_kind="state-of-safety", _anchor="stories"))
        chosen_ids = [v for v in wanted if v is not None]
    back = url_for(".city_report", report_cycle_id=cycle.id, slug=city.slug, report_kind="state-of-safety")
    return render_template("reports/stories.html", cycle=cycle, city=city, eligible=eligible,
                           chosen_ids=chosen_ids, error=error, back=back, max_stories=safety.MAX_STORIES,
                           md=render_markdown), \
        (422 if error else 200)
