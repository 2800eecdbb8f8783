"""The dashboards' charts, each loaded after its page (htmx) from one Vega-Lite definition: the SVG drawn on the
server (shown without JavaScript and in PDFs), the spec for vega-embed's interaction, and the data as a table."""
from __future__ import annotations

from flask import abort, render_template, request
from flask_login import login_required

from .. import charts
from ..input_limits import parse_id
from ..i18n import gettext as _
from ..i18n import select_locale
from ..permissions import require
from . import compute, dashboard, network
from .blueprint import bp
from .definitions import text
from .views import city_or_404, cycle_or_404
from .views_network import _cycle


def _pct(v):
    return None if v is None else round(v * 100, 1)


def city_chart(d: dict, name: str, locale: str):
    """(title, spec, columns, rows) of one chart of a city's dashboard, or None."""
    if name.startswith("intervals-"):
        family = name.split("-", 1)[1]
        entries = [e for e in d["families"].get(family, []) if e["kind"] == "evidence"]
        if not entries:
            return None
        rows = [{"name": text(e["definition"]["name"], locale),
                 "value": _pct((e["value"] or {}).get("value")),
                 "low": _pct((e["value"] or {}).get("low")), "high": _pct((e["value"] or {}).get("high")),
                 "enough_evidence": (e["value"] or {}).get("status") == "ok"} for e in entries]
        from .forms_trials import FAMILY_CHOICES
        family_name = dict(FAMILY_CHOICES).get(family, family)
        # Each family has its own chart: the family's name makes each chart's title (and region name) unique.
        title = _("%(family)s: share of coded items, with intervals at 95%% (in %%)", family=family_name)
        return title, charts.intervals(rows, title), [_("Indicator"), _("Value (%)"), _("Low"), _("High")], \
            [[r["name"], r["value"], r["low"], r["high"]] for r in rows]
    if name == "sections" and d["sections"]:
        rows = [{"section": _("Overall") if r["section"] == "overall" else text(r["title"], locale),
                 "self": r["self"], "peer": r["peer"]} for r in d["sections"]]
        title = _("Self and peer scores by section (0 to 100)")
        return title, charts.self_vs_peer(rows, title), [_("Section"), _("Self"), _("Peer")], \
            [[r["section"], r["self"], r["peer"]] for r in rows]
    if name == "coverage":
        names = {"gender": _("Gender"), "age_group": _("Age group"), "group": _("Vulnerable groups")}
        from .blueprint import voice_name
        rows = [{"dimension": names[r["dimension"]], "category": voice_name(r["dimension"], r["value"]),
                 "count": r["count"], "status": r["state"] if r["state"] in ("absent", "thin") else "ok"}
                for r in d["coverage"]["rows"] if r["state"] != "info"]
        title = _("Evidence items per voice")
        return title, charts.coverage(rows, title), [_("Dimension"), _("Voice"), _("Items")], \
            [[r["dimension"], r["category"], r["count"]] for r in rows]
    if name.startswith("trend-"):
        key = name.split("-", 1)[1]
        points = d["trends"].get(key)
        definition = d["definitions"].get(key)
        if not points or definition is None:
            return None
        status_words = {"ok": _("Value"), "not_enough_evidence": _("Not enough evidence"), "missing": _("No value")}
        share = definition.get("unit") == "share_of_items"
        scale = _pct if share else (lambda v: v)
        rows = [{"cycle": p["cycle"], "value": scale(p["value"]), "low": scale(p["low"]) if p["value"] is not None
                 else None, "high": scale(p["high"]) if p["value"] is not None else None,
                 "method_break": p["method_break"], "status": status_words.get(p["status"], p["status"])}
                for p in points]
        title = text(definition["name"], locale)
        return title, charts.trend(rows, title), [_("Cycle"), _("Value"), _("Low"), _("High")], \
            [[r["cycle"], r["value"], r["low"], r["high"]] for r in rows]
    if name.startswith("peer-") and d.get("peer"):
        key = name.split("-", 1)[1]
        found = d["peer"]["indicators"].get(key)
        definition = d["definitions"].get(key)
        if not found or definition is None:
            return None
        title = text(definition["name"], locale)
        share = definition.get("unit") == "share_of_items"
        scale = (lambda v: None if v is None else round(v * 100, 1)) if share else (lambda v: v)
        values = [scale(v) for v in found["values"]]
        if share:
            title = _("%(name)s (%% of coded items)", name=title)
        return title, charts.distribution(values, scale(found["own"]), title), [_("Value")], [[v] for v in values]
    return None


@bp.get("/cities/<slug>/charts/<name>")
@login_required
def city_chart_fragment(slug: str, name: str):
    city = city_or_404(slug)
    require("indicator.city", city)
    cycle = cycle_or_404(request.args.get("cycle", type=parse_id) or 0)
    if not compute.takes_part(cycle, city):
        abort(404)
    locale = select_locale()
    found = city_chart(dashboard.city_dashboard(city, cycle, locale), name, locale)
    if found is None:
        abort(404)
    title, spec, columns, rows = found
    return render_template("indicators/_chart_fragment.html", id=f"chart-{name}", spec=spec,
                           svg=charts.to_svg(spec, locale), caption=title, columns=columns, rows=rows)


@bp.get("/network/charts/<name>")
@login_required
def network_chart_fragment(name: str):
    require("indicator.network")
    cycle, _cycles = _cycle()
    if cycle is None or name not in ("distributions", "peer-map"):
        abort(404)
    locale = select_locale()
    if name == "peer-map":
        return _peer_map(cycle, locale)
    d = network.network_dashboard(cycle, with_coverage=False)
    rows = [{"indicator": text(r["definition"]["name"], locale),
             "value": v * 100 if r["definition"].get("unit") == "share_of_items" else v}
            for r in d["distributions"] if r["kind"] == "evidence" for v in r["values"]]
    title = _("Evidence-derived indicators across the network (%)")
    spec = charts.distributions(rows, title)
    return render_template("indicators/_chart_fragment.html", id="chart-network", spec=spec,
                           svg=charts.to_svg(spec, locale), caption=title, columns=[_("Indicator"), _("Value")],
                           rows=[[r["indicator"], round(r["value"], 1)] for r in rows])


def _peer_map(cycle, locale):
    from .peergroup_service import feature_labels, latest, table_rows
    row = latest(cycle)
    if row is None or not row.k:
        abort(404)
    rows = [r for r in table_rows(cycle, row, feature_labels(cycle, locale)) if r["group"] and r["pc1"] is not None]
    points = [{"name": r["city"], "group": _("Group %(label)s", label=r["group"]), "pc1": r["pc1"], "pc2": r["pc2"]}
              for r in rows]
    title = _("Peer groups on the first two principal components")
    spec = charts.peer_map(points, title, _("First component"), _("Second component"))
    return render_template("indicators/_chart_fragment.html", id="chart-peer-map", spec=spec,
                           svg=charts.to_svg(spec, locale), caption=title,
                           columns=[_("City"), _("Group"), {"text": _("First component"), "numeric": True},
                                    {"text": _("Second component"), "numeric": True}],
                           rows=[[r["city"], r["group"], round(r["pc1"], 2), round(r["pc2"], 2)] for r in rows])
