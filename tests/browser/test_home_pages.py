"""Each demo login reaches its home page in a real browser, with the navigation its role allows."""
from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

CASES = [
    ("admin@demo.safercities.example", "admin", ["Cities", "People", "Audit log"], "System"),
    ("secretariat@demo.safercities.example", "secretariat", ["Cities", "People", "Audit log"],
     "Network administration"),
    ("facilitator@demo.safercities.example", "facilitator", ["Cities", "Cycles"], "Cycles in progress"),
    ("coordinator.san-aurelio@demo.safercities.example", "coordinator", ["Cities", "Cycles"], "Your cities"),
    ("member.kisaru@demo.safercities.example", "member", ["Cities", "Cycles"], "Your cities"),
]


@pytest.fixture
def demo(app):
    from peer_review.demo.loader import load_demo
    load_demo()


@pytest.mark.parametrize("email,role,nav,section", CASES)
def test_home_page_of_each_role(page, demo, email, role, nav, section):
    from peer_review.demo.cities import DEMO_PASSWORD
    sign_in(page, email, DEMO_PASSWORD)
    assert page.url.rstrip("/") == page.base_url
    assert page.get_by_role("heading", level=1).inner_text().startswith("Hello")
    assert page.get_by_role("heading", name=section).is_visible()
    menu = page.get_by_role("navigation", name="Main menu")
    for item in nav:
        assert menu.get_by_role("link", name=item, exact=True).count() == 1
    if role not in ("admin", "secretariat"):
        assert menu.get_by_role("link", name="People").count() == 0
    assert page.console_errors == []
    screenshot(page, f"home-{role}")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, f"home-{role}-phone")


def test_keyboard_reaches_skip_link_first_and_focus_is_visible(page, demo):
    page.goto(page.base_url + "/login")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle + getComputedStyle(document.activeElement).backgroundColor")
    assert outline != "none" + "rgba(0, 0, 0, 0)"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"


def test_sign_in_error_summary_links_to_the_field(page, demo):
    page.goto(page.base_url + "/login")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    summary.get_by_role("link", name="Enter your email address").click()
    assert page.evaluate("document.activeElement.id") == "email"
    screenshot(page, "login-errors")


def test_pages_fit_a_phone_screen(page, demo):
    from peer_review.demo.cities import DEMO_PASSWORD
    sign_in(page, "facilitator@demo.safercities.example", DEMO_PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/", "/evidence/", "/evidence/5", "/evidence/new", "/coding/codes/", "/coding/codes/trust",
                 "/coding/samples/", "/exchange/", "/cycles/", "/users/me"):
        page.goto(page.base_url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width}px wide on a 390px screen"
