"""The secretariat's network dashboard for one cycle."""
from __future__ import annotations

from flask import abort, render_template, request
from flask_login import login_required

from ..cycles.models import Cycle
from ..extensions import db
from ..input_limits import parse_id
from ..i18n import gettext as _
from ..i18n import select_locale
from ..permissions import require
from . import compute, network, tables
from .blueprint import bp
from .definitions import text


def _cycle():
    cycle_id = request.args.get("cycle", type=parse_id)
    cycles = db.session.execute(db.select(Cycle).order_by(Cycle.starts_on, Cycle.id)).scalars().all()
    if cycle_id is not None:
        chosen = next((c for c in cycles if c.id == cycle_id), None)
        if chosen is None:
            abort(404)
        return chosen, cycles
    return compute.latest_started(cycles), cycles


@bp.get("/network", endpoint="network")
@login_required
def network_page():
    require("indicator.network")
    cycle, cycles = _cycle()
    if cycle is None:
        return render_template("indicators/network_empty.html")
    data = network.network_dashboard(cycle)
    fmt = request.args.get("format")
    if fmt in ("csv", "json"):
        found = network_table(data, request.args.get("table", "distributions"), select_locale())
        if found is None:
            abort(404)
        return tables.download(found, f"network-{cycle.id}-{request.args.get('table', 'distributions')}", fmt)
    grouping = None
    try:
        from .peergroup_service import latest
        grouping = latest(cycle)
    except ImportError:  # pragma: no cover
        pass
    return render_template("indicators/network.html", d=data, cycle=cycle, cycles=cycles, grouping=grouping,
                           locale=select_locale())


def network_table(d: dict, name: str, locale: str) -> dict | None:
    if name == "distributions":
        rows = [{"indicator": r["definition"]["id"], "name": text(r["definition"].get("name"), locale),
                 **(r["summary"] or {"n": 0}), "not_enough": r["not_enough"], "missing": r["missing"]}
                for r in d["distributions"]]
        return {"columns": [("indicator", "indicator"), ("name", _("Name")), ("n", _("Cities with a value")),
                            ("min", _("Lowest")), ("q1", _("Lower quartile")), ("median", _("Median")),
                            ("q3", _("Upper quartile")), ("max", _("Highest")),
                            ("not_enough", _("Cities without enough evidence")), ("missing", _("Cities missing"))],
                "rows": rows}
    if name == "coverage":
        rows = []
        for r in d["coverage"]:
            warnings = {w["kind"] for w in r["voice"]["warnings"]}
            rows.append({"city": r["city"].name, "slug": r["city"].slug, "items": r["item_count"], "coded": r["coded"],
                         "warnings": ";".join(sorted(warnings))})
        return {"columns": [("city", _("City")), ("slug", "slug"), ("items", _("Evidence items")),
                            ("coded", _("Coded items")), ("warnings", _("Voice warnings"))], "rows": rows}
    if name == "sensitivity":
        rows = []
        for r in d["sensitivity"]:
            for dimension, s in r["dimensions"].items():
                rows.append({"city": r["city"].name, "slug": r["city"].slug, "dimension": dimension,
                             "default": s["default"], "low": s["low"], "high": s["high"]})
        return {"columns": [("city", _("City")), ("slug", "slug"), ("dimension", _("Dimension")),
                            ("default", _("Composite (goalposts, weighted mean)")),
                            ("low", _("Lowest across methods")), ("high", _("Highest across methods"))],
                "rows": rows}
    return None
