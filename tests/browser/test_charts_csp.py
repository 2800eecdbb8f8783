"""Charts under the app's real Content-Security-Policy: vega-embed redraws the server SVG with the expression
interpreter, with no CSP violation, no console error and no request to another origin."""
from __future__ import annotations

import os
import threading

import pytest
from flask import Blueprint, render_template_string
from werkzeug.serving import make_server

from tests.browser.conftest import screenshot
from tests.conftest import make_app

pytestmark = pytest.mark.browser

PAGE = """{% extends "base.html" %}
{% from "charts/macros.html" import chart, chart_scripts %}
{% block title %}Charts{% endblock %}
{% block head %}{{ chart_scripts() }}{% endblock %}
{% block content %}
<h1 class="govuk-heading-l">Charts</h1>
{{ chart("trend", trend, trend_svg, "Values by cycle", ["Cycle", {"text": "Value", "numeric": true}], trend_rows) }}
{{ chart("spread", spread, spread_svg, "Values in the peer group", [{"text": "Value", "numeric": true}], spread_rows) }}
{% endblock %}"""


@pytest.fixture
def chart_server(tmp_path):
    """A fresh app (the session app has served requests, so it takes no new blueprint) with one test page."""
    from peer_review.charts import distribution, to_svg, trend
    from peer_review.extensions import db

    previous = os.environ.get("INSTANCE_PATH")
    app = make_app("sqlite:///" + str(tmp_path / "charts.db"), tmp_path, SERVER_NAME=None)
    if previous is None:
        os.environ.pop("INSTANCE_PATH", None)
    else:
        os.environ["INSTANCE_PATH"] = previous
    test_bp = Blueprint("charts_test", __name__)

    @test_bp.route("/charts-test")
    def charts_page():
        points = [{"cycle": "2024", "value": 2.0, "low": 1.5, "high": 2.5, "method_break": False, "status": "Confirmed"},
                  {"cycle": "2025", "value": None, "low": None, "high": None, "method_break": False, "status": ""},
                  {"cycle": "2026", "value": 3.1, "low": 2.6, "high": 3.4, "method_break": True, "status": "Confirmed"}]
        spec_trend = trend(points, "Feeling safe at night")
        spec_spread = distribution([1.2, 2.5, 3.1, 4.0, 2.2], 3.1, "Your peer group")
        return render_template_string(
            PAGE, trend=spec_trend, trend_svg=to_svg(spec_trend),
            trend_rows=[[p["cycle"], p["value"]] for p in points],
            spread=spec_spread, spread_svg=to_svg(spec_spread), spread_rows=[[v] for v in (1.2, 2.5, 3.1, 4.0, 2.2)])

    app.register_blueprint(test_bp)
    with app.app_context():
        db.create_all()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def open_chart_page(browser, base, width=1280):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.errors = []
    page.foreign = []
    page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("request", lambda req: page.foreign.append(req.url) if not req.url.startswith(base) else None)
    page.add_init_script("""window.__csp = [];
        document.addEventListener('securitypolicyviolation',
            e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));""")
    response = page.goto(base + "/charts-test")
    return context, page, response


def test_vega_embed_enhances_charts_without_csp_violations(browser, chart_server):
    context, page, response = open_chart_page(browser, chart_server)
    try:
        csp = response.headers["content-security-policy"]
        assert "unsafe-eval" not in csp and "unsafe-inline" not in csp and "script-src 'self'" in csp
        page.wait_for_selector("figure#trend[data-chart-enhanced]")
        page.wait_for_selector("figure#spread[data-chart-enhanced]")
        assert page.get_attribute("figure#trend", "data-chart-enhanced") == "true"
        assert page.get_attribute("figure#spread", "data-chart-enhanced") == "true"
        # vega-embed's own SVG replaced the server one (the same spec, drawn in the browser).
        assert page.locator("figure#trend .vega-embed svg.marks").count() == 1
        assert page.locator("figure#trend .pr-chart__canvas > svg").count() == 0
        assert "Method changed" in page.locator("figure#trend .vega-embed").inner_text(timeout=2000) or \
            page.locator("figure#trend .vega-embed text", has_text="Method changed").count() == 1
        label = page.get_attribute("figure#trend .vega-embed svg", "aria-label")
        assert label and label.startswith("Feeling safe at night")
        # Tooltips work: hovering a point shows vega-tooltip's element, styled from our stylesheet.
        point = page.locator("figure#spread .vega-embed path[aria-roledescription='point']").first
        point.hover(force=True)
        page.wait_for_selector("#vg-tooltip-element.visible")
        assert page.evaluate("getComputedStyle(document.getElementById('vg-tooltip-element')).position") == "fixed"
        # The data table is there for screen readers.
        page.get_by_text("Show the data as a table").first.click()
        assert page.locator("figure#trend table.govuk-table tbody tr").count() == 3
        page.wait_for_timeout(300)
        assert page.evaluate("window.__csp") == []
        assert page.errors == []
        assert page.foreign == []
        screenshot(page, "charts-enhanced")
    finally:
        context.close()


def test_server_svg_shows_without_javascript(browser, chart_server):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(chart_server + "/charts-test")
        assert page.locator("figure#trend .pr-chart__canvas > svg.marks").count() == 1
        assert page.locator("figure#trend .pr-chart__canvas > svg text", has_text="Method changed").count() == 1
        box = page.locator("figure#spread .pr-chart__canvas > svg").bounding_box()
        assert box["x"] + box["width"] <= 390  # scaled to the column: the own city's marker is in view
        screenshot(page, "charts-no-js-phone")
    finally:
        context.close()


def test_phone_keeps_the_whole_chart_in_view(browser, chart_server):
    context, page, _ = open_chart_page(browser, chart_server, width=390)
    try:
        page.wait_for_selector("figure#trend[data-chart-enhanced]")
        assert page.get_attribute("figure#trend", "data-chart-enhanced") == "static"
        box = page.locator("figure#trend .pr-chart__canvas > svg").bounding_box()
        assert box["width"] <= 390 and box["height"] > 100
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert page.evaluate("window.__csp") == [] and page.errors == []
    finally:
        context.close()
