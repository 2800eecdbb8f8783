"""Chart definitions: one Vega-Lite specification per chart, used both in the page and in PDF reports.

Each function here takes plain Python data (lists of dicts, already filtered by permission and with every
user-facing string already translated by the caller) and returns a Vega-Lite spec as a JSON-serialisable dict,
built with altair, with the data inlined (never a URL). The same dict is rendered to SVG on the server by
:mod:`peer_review.charts.render` (inlined in the page, so the chart shows with JavaScript off and in PDFs) and
handed, as a JSON data block, to ``static/js/charts.js``, which redraws it with vega-embed and Vega's expression
interpreter (no ``eval``, so the Content-Security-Policy stays strict) to add tooltips. The templates macro
``templates/charts/macros.html`` puts the two together with a data table for screen readers. Charts are
accessible by construction: ``description`` is set (it becomes the SVG's ``aria-label``), colours come from the
product palette with at least 3:1 contrast against white, and every distinction carried by colour is also
carried by a shape, a dash or a text label. Axis labels ("Cycle", "Value", ...) are translated here with the
current request's locale; numbers are formatted by ``render.to_svg(spec, locale=...)`` and by vega-embed.
"""
from __future__ import annotations

from typing import Any, Iterable

import altair as alt
from flask_babel import gettext as _

# Product palette (frontend/app.scss): brand teal, visited purple, a dark amber, a dark red and mid grey; all at
# least 3:1 against white (tests/unit/test_chart_specs.py checks), so marks are visible for low-vision users.
BRAND = "#0b5563"
PURPLE = "#5b3a7a"
AMBER = "#8a5a00"
RED = "#b0281a"
GREY = "#505a5f"
LIGHT = "#dcecef"   # a pale tint of the brand colour: box fills only, never the only carrier of meaning
PALETTE = [BRAND, PURPLE, AMBER, RED, GREY]
SHAPES = ["circle", "square", "triangle-up", "diamond", "cross", "triangle-down"]
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Liberation Sans', Arial, sans-serif"
WIDTH = 560

CONFIG = {
    "font": FONT,
    "background": "white",
    "view": {"stroke": None},
    "axis": {"labelFontSize": 12, "titleFontSize": 13, "labelColor": "#0b0c0c", "titleColor": "#0b0c0c",
             "domainColor": GREY, "tickColor": GREY, "gridColor": "#dfe3e4"},
    "legend": {"labelFontSize": 12, "titleFontSize": 13, "labelColor": "#0b0c0c", "titleColor": "#0b0c0c",
               "orient": "bottom", "direction": "horizontal"},
    "title": {"fontSize": 16, "anchor": "start", "color": "#0b0c0c"},
    "header": {"labelFontSize": 13, "labelFontWeight": "bold", "labelColor": "#0b0c0c", "titleFontSize": 13},
}


def _finish(chart, title: str, description: str) -> dict[str, Any]:
    # Validated against the Vega-Lite schema in tests/unit/test_chart_specs.py; not again on every request.
    spec = chart.properties(title=title, description=description).to_dict(validate=False)
    spec["config"] = {**spec.get("config", {}), **CONFIG}
    return spec


def _num(value) -> float | None:
    return None if value is None else float(value)


def _domain(cycles: Iterable) -> list[str]:
    seen: list[str] = []
    for cycle in cycles:
        if str(cycle) not in seen:
            seen.append(str(cycle))
    return seen


def trend(points: list[dict], title: str) -> dict[str, Any]:
    """An indicator over cycles: value, interval, and a dashed rule where the method changed.

    points: {cycle, value (None when missing), low, high, method_break: bool, status (translated text)}.
    A missing value is a gap in the line with a "No value" label; it is never drawn as zero.
    """
    rows = [{"cycle": str(p["cycle"]), "value": _num(p.get("value")), "low": _num(p.get("low")),
             "high": _num(p.get("high")), "method_break": bool(p.get("method_break")),
             "status": p.get("status") or "", "missing": p.get("value") is None} for p in points]
    cycles = _domain(r["cycle"] for r in rows)
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X("cycle:O", title=_("Cycle"), scale=alt.Scale(domain=cycles), axis=alt.Axis(labelAngle=0)))
    y_title = _("Value")
    band = base.transform_filter("isValid(datum.low) && isValid(datum.high)").mark_rule(
        color=BRAND, strokeWidth=1.5).encode(y=alt.Y("low:Q", title=y_title), y2="high:Q")
    caps = [base.transform_filter(f"isValid(datum.{end})").mark_tick(color=BRAND, thickness=2, size=14).encode(
        y=alt.Y(f"{end}:Q")) for end in ("low", "high")]
    line = base.mark_line(color=BRAND, strokeWidth=2, invalid="break-paths-show-domains").encode(
        y=alt.Y("value:Q", title=y_title))
    dots = base.transform_filter("isValid(datum.value)").mark_point(
        filled=True, size=70, color=BRAND, stroke="white", strokeWidth=1).encode(
        y="value:Q", shape=alt.Shape("status:N", title=_("Status"), scale=alt.Scale(range=SHAPES)),
        tooltip=[alt.Tooltip("cycle:O", title=_("Cycle")), alt.Tooltip("value:Q", title=y_title),
                 alt.Tooltip("low:Q", title=_("Lower bound")), alt.Tooltip("high:Q", title=_("Upper bound")),
                 alt.Tooltip("status:N", title=_("Status"))])
    breaks = base.transform_filter("datum.method_break").mark_rule(
        color=RED, strokeDash=[6, 4], strokeWidth=2).encode(
        tooltip=[alt.Tooltip("cycle:O", title=_("Method changed"))])
    break_labels = base.transform_filter("datum.method_break").mark_text(
        color=RED, align="right", dx=-5, baseline="top", y=2, fontSize=12).encode(text=alt.value(_("Method changed")))
    missing = base.transform_filter("datum.missing").mark_text(
        color=GREY, baseline="bottom", fontSize=12, fontStyle="italic").encode(
        y=alt.value(215), text=alt.value(_("No value")))
    layers = [band, *caps, line, dots, breaks, break_labels, missing]
    chart = alt.layer(*layers).properties(width=WIDTH, height=220)
    n_missing = sum(r["missing"] for r in rows)
    n_breaks = sum(r["method_break"] for r in rows)
    description = _("%(title)s: values over %(n)d cycles; cycles without a value: %(missing)d; method changes: %(breaks)d.",
                    title=title, n=len(cycles), missing=n_missing, breaks=n_breaks)
    return _finish(chart, title, description)


def self_vs_peer(rows: list[dict], title: str) -> dict[str, Any]:
    """Per rubric section, the self-assessment score and the peer score joined by a line, with the gap written.

    rows: {section (translated text), self (number or None), peer (number or None)}.
    """
    self_label, peer_label = _("Self-assessment"), _("Peer review")
    long = []
    gaps = []
    for row in rows:
        s, p = _num(row.get("self")), _num(row.get("peer"))
        for who, value in ((self_label, s), (peer_label, p)):
            if value is not None:
                long.append({"section": row["section"], "who": who, "score": value})
        if s is not None and p is not None:
            gaps.append({"section": row["section"], "low": min(s, p), "high": max(s, p),
                         "gap": round(p - s, 2), "gap_text": f"{p - s:+.1f}"})
    sections = _domain(r["section"] for r in rows)
    y = alt.Y("section:N", title=None, sort=sections)
    x_title = _("Score")
    links = alt.Chart(alt.Data(values=gaps)).mark_rule(color=GREY, strokeWidth=3).encode(
        y=y, x=alt.X("low:Q", title=x_title), x2="high:Q")
    gap_text = alt.Chart(alt.Data(values=gaps)).mark_text(align="left", dx=10, fontSize=12, color="#0b0c0c").encode(
        y=y, x="high:Q", text="gap_text:N", tooltip=[alt.Tooltip("gap:Q", title=_("Gap (peer minus self)"))])
    dots = alt.Chart(alt.Data(values=long)).mark_point(filled=True, size=120, opacity=1).encode(
        y=y, x=alt.X("score:Q", title=x_title),
        color=alt.Color("who:N", title=None, scale=alt.Scale(domain=[self_label, peer_label], range=[BRAND, PURPLE])),
        shape=alt.Shape("who:N", title=None, scale=alt.Scale(domain=[self_label, peer_label],
                                                             range=["circle", "square"])),
        tooltip=[alt.Tooltip("section:N", title=_("Section")), alt.Tooltip("who:N", title=_("Score by")),
                 alt.Tooltip("score:Q", title=x_title)])
    chart = alt.layer(links, gap_text, dots).properties(width=WIDTH - 160, height=alt.Step(28))
    description = _("%(title)s: self-assessment and peer review scores for %(n)d sections, with the gap.",
                    title=title, n=len(sections))
    return _finish(chart, title, description)


def intervals(rows: list[dict], title: str) -> dict[str, Any]:
    """Indicators as a dot (value) on a rule (interval); rows without enough evidence get a label, no dot.

    rows: {name (translated), value (None when not enough evidence), low, high, enough_evidence: bool (optional)}.
    """
    data = []
    for row in rows:
        value = _num(row.get("value"))
        enough = row.get("enough_evidence", value is not None) and value is not None
        data.append({"name": row["name"], "value": value if enough else None, "low": _num(row.get("low")),
                     "high": _num(row.get("high")), "missing": not enough})
    names = _domain(r["name"] for r in data)
    base = alt.Chart(alt.Data(values=data)).encode(y=alt.Y("name:N", title=None, sort=names))
    x_title = _("Value")
    rules = base.transform_filter("!datum.missing && isValid(datum.low) && isValid(datum.high)").mark_rule(
        color=BRAND, strokeWidth=2).encode(x=alt.X("low:Q", title=x_title), x2="high:Q")
    dots = base.transform_filter("!datum.missing").mark_point(filled=True, size=80, color=BRAND).encode(
        x=alt.X("value:Q", title=x_title),
        tooltip=[alt.Tooltip("name:N", title=_("Indicator")), alt.Tooltip("value:Q", title=x_title),
                 alt.Tooltip("low:Q", title=_("Lower bound")), alt.Tooltip("high:Q", title=_("Upper bound"))])
    labels = base.transform_filter("datum.missing").mark_text(
        align="left", x=4, color=GREY, fontStyle="italic", fontSize=12).encode(text=alt.value(_("Not enough evidence")))
    chart = alt.layer(rules, dots, labels).properties(width=WIDTH - 200, height=alt.Step(28))
    description = _("%(title)s: indicators with their intervals: %(n)d; without enough evidence: %(missing)d.",
                    title=title, n=len(data), missing=sum(r["missing"] for r in data))
    return _finish(chart, title, description)


def distribution(values: list, own_value, title: str) -> dict[str, Any]:
    """A peer group's spread of one indicator, the own city marked; no other city is named or ranked.

    values: the group's numbers (names are never passed in); they are sorted by value so that the data's order
    cannot be matched to a list of cities. own_value: the own city's number, or None.
    """
    data = [{"value": v} for v in sorted(float(v) for v in values if v is not None)]
    own = _num(own_value)
    own_label = _("Your city")
    x = alt.X("value:Q", title=_("Value"), scale=alt.Scale(zero=False), axis=alt.Axis(tickCount=6))
    base = alt.Chart()
    box = base.mark_boxplot(extent="min-max", size=26, color=LIGHT, median={"color": BRAND, "strokeWidth": 3},
                            rule={"color": GREY}, ticks={"color": GREY}, box={"stroke": GREY}).encode(x=x)
    strip = base.mark_tick(color=GREY, thickness=2, size=34, opacity=0.9).encode(
        x=x, tooltip=[alt.Tooltip("value:Q", title=_("Value"))])
    layers = [alt.layer(box, strip, data=alt.Data(values=data))]
    if own is not None:
        own_data = alt.Data(values=[{"value": own, "label": own_label}])
        layers.append(alt.Chart(own_data).mark_point(shape="diamond", filled=True, size=260, color=RED,
                                                     stroke="white", strokeWidth=1.5).encode(
            x="value:Q", tooltip=[alt.Tooltip("label:N", title=" "), alt.Tooltip("value:Q", title=_("Value"))]))
        layers.append(alt.Chart(own_data).mark_text(dy=-26, color=RED, fontWeight="bold", fontSize=12).encode(
            x="value:Q", text="label:N"))
    chart = alt.layer(*layers).properties(width=WIDTH, height=90)
    if own is None:
        description = _("%(title)s: spread of %(n)d values in the peer group.", title=title, n=len(data))
    else:
        description = _("%(title)s: spread of %(n)d values in the peer group; your city's value is %(own)s.",
                        title=title, n=len(data), own=f"{own:g}")
    return _finish(chart, title, description)


def peer_map(points: list[dict], title: str, x_title: str | None = None, y_title: str | None = None) -> dict:
    """Cities on the first two principal components, coloured and shaped by peer group (secretariat only).

    points: {name, group (translated label), pc1, pc2}.
    """
    data = [{"name": p["name"], "group": str(p["group"]), "pc1": float(p["pc1"]), "pc2": float(p["pc2"])}
            for p in points]
    groups = _domain(d["group"] for d in data)
    base = alt.Chart(alt.Data(values=data)).encode(
        x=alt.X("pc1:Q", title=x_title or _("First principal component")),
        y=alt.Y("pc2:Q", title=y_title or _("Second principal component")))
    group_title = _("Peer group")
    dots = base.mark_point(filled=True, size=90, opacity=1).encode(
        color=alt.Color("group:N", title=group_title, scale=alt.Scale(domain=groups, range=PALETTE)),
        shape=alt.Shape("group:N", title=group_title, scale=alt.Scale(domain=groups, range=SHAPES)),
        tooltip=[alt.Tooltip("name:N", title=_("City")), alt.Tooltip("group:N", title=group_title)])
    names = base.mark_text(align="left", dx=8, fontSize=11, color="#0b0c0c").encode(text="name:N")
    chart = alt.layer(dots, names).properties(width=WIDTH, height=360)
    description = _("%(title)s: %(n)d cities in %(groups)d peer groups on the first two principal components.",
                    title=title, n=len(data), groups=len(groups))
    return _finish(chart, title, description)


def coverage(rows: list[dict], title: str, thin_below: int = 5) -> dict[str, Any]:
    """Voice coverage: counts per category in each dimension (gender, age group, vulnerable group), thin and
    absent categories marked with a word as well as a colour.

    rows: {dimension (translated), category (translated), count, status: "ok"|"thin"|"absent" (optional:
    derived from count and thin_below)}.
    """
    words = {"ok": "", "thin": _("Thin"), "absent": _("Absent")}
    data = []
    for row in rows:
        count = int(row.get("count") or 0)
        status = row.get("status") or ("absent" if count == 0 else "thin" if count < thin_below else "ok")
        data.append({"dimension": row["dimension"], "category": row["category"], "count": count,
                     "status": status, "flag": words.get(status, "")})
    dimensions = _domain(d["dimension"] for d in data)
    count_title = _("Voices")
    base = alt.Chart().encode(y=alt.Y("category:N", title=None, sort=None))
    bars = base.mark_bar(height=16).encode(
        x=alt.X("count:Q", title=count_title),
        color=alt.Color("status:N", legend=None, scale=alt.Scale(domain=["ok", "thin", "absent"],
                                                                   range=[BRAND, AMBER, RED])),
        tooltip=[alt.Tooltip("category:N", title=_("Group")), alt.Tooltip("count:Q", title=count_title),
                 alt.Tooltip("flag:N", title=_("Coverage"))])
    counts = base.mark_text(align="left", dx=4, fontSize=12, color="#0b0c0c").encode(
        x="count:Q", text=alt.Text("label:N"))
    counts = counts.transform_calculate(label="datum.flag ? datum.count + ' – ' + datum.flag : '' + datum.count")
    chart = alt.layer(bars, counts, data=alt.Data(values=data)).properties(
        width=WIDTH - 200, height=alt.Step(24)).facet(
        row=alt.Row("dimension:N", title=None, sort=dimensions, header=alt.Header(labelAngle=0, labelAlign="left",
                                                                                   labelOrient="top"))
    ).resolve_scale(y="independent")
    n_thin = sum(d["status"] == "thin" for d in data)
    n_absent = sum(d["status"] == "absent" for d in data)
    description = _("%(title)s: voices per group; thin groups: %(thin)d; absent groups: %(absent)d.",
                    title=title, thin=n_thin, absent=n_absent)
    return _finish(chart, title, description)


def distributions(rows: list[dict], title: str) -> dict[str, Any]:
    """Network dashboard: each indicator's spread across the network as a box plot, one row per indicator
    (each with its own scale, as units differ). rows: {indicator (translated name), value}; no city names."""
    data = [{"indicator": r["indicator"], "value": float(r["value"])} for r in rows if r.get("value") is not None]
    data.sort(key=lambda d: (d["indicator"], d["value"]))
    indicators = _domain(r["indicator"] for r in rows)
    chart = alt.Chart(alt.Data(values=data)).mark_boxplot(
        extent="min-max", size=20, color=LIGHT, median={"color": BRAND, "strokeWidth": 3}, rule={"color": GREY},
        ticks={"color": GREY}, box={"stroke": GREY}).encode(
        x=alt.X("value:Q", title=_("Value"), scale=alt.Scale(zero=False), axis=alt.Axis(tickCount=6))).properties(width=WIDTH - 160, height=34
    ).facet(row=alt.Row("indicator:N", title=None, sort=indicators,
                        header=alt.Header(labelAngle=0, labelAlign="left", labelOrient="top"))
    ).resolve_scale(x="independent")
    description = _("%(title)s: spread of %(n)d indicators across the network.", title=title, n=len(indicators))
    return _finish(chart, title, description)
