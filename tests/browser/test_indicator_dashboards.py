"""The indicator dashboards in headless Chromium under the app's real Content-Security-Policy: the charts load
after the page and vega-embed takes them over without a policy violation, a figure opens onto the passages behind
it, and neither dashboard is wider than a phone's screen. Screenshots at desktop and phone widths."""
from __future__ import annotations

import pytest

from tests.app.assessment_fixtures import setting  # noqa: F401
from tests.app.test_indicators import world  # noqa: F401
from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
WATCH_CSP = """window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"""


@pytest.fixture
def people(world):  # noqa: F811
    from peer_review.extensions import db
    for role in ("member", "secretariat"):
        world[role].set_password(PASSWORD)
    db.session.commit()
    return world


def wait_for_charts(page) -> None:
    """Until every chart slot has been replaced (polling: the page's CSP forbids wait_for_function's eval)."""
    for _ in range(150):
        if page.locator(".pr-chart-slot").count() == 0:
            return
        page.wait_for_timeout(200)
    raise AssertionError("the charts did not load")


def test_city_dashboard_charts_and_drill_down(page, people):
    page.add_init_script(WATCH_CSP)
    sign_in(page, people["member"].email, PASSWORD)
    page.goto(f"{page.base_url}/indicators/cities/alpha?cycle={people['cycle'].id}")
    wait_for_charts(page)
    figures = page.locator("figure[data-chart-spec]")
    assert figures.count() >= 4  # coverage, process, culture, context (and the scores when there are any)
    page.wait_for_selector("figure .vega-embed", timeout=20_000)  # vega-embed took the first chart over
    assert page.evaluate("window.__cspViolations") == []
    assert not [e for e in page.console_errors if "Content Security Policy" in e]
    screenshot(page, "indicators-city-desktop")
    page.get_by_role("link", name="2 of 6 coded items behind Trust").click()
    page.wait_for_load_state("domcontentloaded")
    assert page.get_by_text("would report a theft to them").is_visible()
    assert page.get_by_role("heading", name="Items that count against it (1)").is_visible()


@pytest.mark.parametrize("who, path", [("member", "/indicators/cities/alpha?cycle={cycle}"),
                                       ("secretariat", "/indicators/network?cycle={cycle}")])
def test_dashboards_fit_a_phone(browser, live_server, people, who, path):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.base_url = live_server
    sign_in(page, people[who].email, PASSWORD)
    page.goto(live_server + path.format(cycle=people["cycle"].id))
    wait_for_charts(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, f"indicators-{who}-phone")
    context.close()
