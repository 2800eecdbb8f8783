"""The chart macro (templates/charts/macros.html): the server SVG inline, the spec as a JSON data block that is
never executed, a GOV.UK data table, and the deferred scripts from our own static files only."""
from __future__ import annotations

import json
import re

from flask import render_template_string

from peer_review.charts import intervals, to_svg

PAGE = """{% from "charts/macros.html" import chart, chart_scripts %}{{ chart_scripts() }}
{{ chart("ind-chart", spec, svg, "Indicator values", ["Indicator", {"text": "Value", "numeric": true}], rows) }}"""


def render_chart(app, name="Street <lighting>"):
    spec = intervals([{"name": name, "value": 0.4, "low": 0.3, "high": 0.5},
                      {"name": "Night buses", "value": None, "low": None, "high": None}], "Indicators")
    with app.test_request_context("/"):
        html = render_template_string(PAGE, spec=spec, svg=to_svg(spec),
                                      rows=[[name, "0.4"], ["Night buses", None]])
    return spec, html


def test_macro_renders_figure_svg_json_block_and_table(app):
    spec, html = render_chart(app)
    figure = re.search(r'<figure class="pr-chart[^"]*" id="ind-chart" data-chart-spec="ind-chart-spec">', html)
    assert figure
    assert html.count("<svg") == 1 and 'class="marks"' in html
    assert "<figcaption" in html and spec["description"].split(":")[0] in html
    block = re.search(r'<script type="application/json" id="ind-chart-spec">(.*?)</script>', html, re.S)
    assert block and json.loads(block.group(1)) == spec
    assert "<lighting>" not in block.group(1)  # escaped inside the data block (\u003c)
    assert '<details class="govuk-details' in html and "Show the data as a table" in html
    assert '<table class="govuk-table">' in html and "Indicator values</caption>" in html
    assert '<th scope="col" class="govuk-table__header govuk-table__header--numeric">Value</th>' in html
    assert '<th scope="row" class="govuk-table__header">Street &lt;lighting&gt;</th>' in html
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">—</td>' in html


def test_macro_has_no_inline_behaviour_or_style(app):
    _, html = render_chart(app)
    scripts = re.findall(r"<script([^>]*)>", html)
    assert all('type="application/json"' in attrs or ("src=" in attrs and "defer" in attrs) for attrs in scripts)
    assert not re.search(r"\sstyle=", html) and not re.search(r"\son\w+=", html)
    srcs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert srcs and all(src.startswith("/static/") for src in srcs)  # nothing from a CDN
    assert [s.rsplit("/", 1)[-1].split("?")[0] for s in srcs] == [
        "vega-tooltip.css", "vega.min.js", "vega-lite.min.js", "vega-embed.min.js", "vega-interpreter.js",
        "charts.js"]


def test_vendored_chart_scripts_are_served(client):
    for name in ("vendor/vega/vega.min.js", "vendor/vega/vega-lite.min.js", "vendor/vega/vega-embed.min.js",
                 "vendor/vega/vega-interpreter.js", "vendor/vega/vega-tooltip.css", "js/charts.js"):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200, name
        response.close()
