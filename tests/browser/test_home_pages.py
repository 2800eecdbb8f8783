"""Each demo login reaches its home page in a real browser, with the navigation its role allows."""
from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

# Each demo login sees its home page in its own language setting: the facilitator and San Aurelio's
# coordinator work in Spanish.
EN = {"hello": "Hello", "menu": "Main menu", "people": "People"}
ES = {"hello": "Hola", "menu": "Menú principal", "people": "Personas"}
CASES = [
    ("admin@demo.safercities.example", "admin", ["Network", "Cycles", "Import and export"], "System", EN),
    ("secretariat@demo.safercities.example", "secretariat", ["Network", "Cycles"],
     "Network administration", EN),
    ("facilitator@demo.safercities.example", "facilitator", ["Ciudades", "Ciclos"], "Ciclos en curso", ES),
    ("coordinator.san-aurelio@demo.safercities.example", "coordinator", ["Ciudades", "Ciclos"],
     "Sus ciudades", ES),
    ("member.kisaru@demo.safercities.example", "member", ["Cities", "Cycles"], "Your cities", EN),
]


@pytest.fixture
def demo(app):
    from peer_review.demo.loader import load_demo
    load_demo()


@pytest.mark.parametrize("email,role,nav,section,words", CASES)
def test_home_page_of_each_role(page, demo, email, role, nav, section, words):
    from peer_review.demo.cities import DEMO_PASSWORD
    sign_in(page, email, DEMO_PASSWORD)
    assert page.url.rstrip("/") == page.base_url
    assert page.get_by_role("heading", level=1).inner_text().startswith(words["hello"])
    assert page.get_by_role("heading", name=section).is_visible()
    menu = page.get_by_role("navigation", name=words["menu"])
    for item in nav:
        assert menu.get_by_role("link", name=item, exact=True).count() == 1
    if role not in ("admin", "secretariat"):
        assert menu.get_by_role("link", name=words["people"]).count() == 0
    # The header keeps to two rows at 1280 px: the name with language and account, then the menu on one row.
    tops = menu.get_by_role("link").evaluate_all("links => links.map(a => Math.round(a.getBoundingClientRect().top))")
    assert len(set(tops)) == 1, f"the menu wraps: {tops}"
    assert page.locator("header").bounding_box()["height"] < 140
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


# Every word (run of non-space characters) of fewer than 15 characters in a rendered table cell whose glyphs sit
# on more than one line box (Range.getClientRects): a column squeezed until it breaks words (overflow-wrap:
# anywhere) instead of the table scrolling. Breaking after a hyphen is an ordinary line break and is allowed.
WORDS_BROKEN_IN_CELLS = """() => {
    const linesOf = (range) => {  // how many line boxes the range's glyphs sit on
        const rects = [...range.getClientRects()].filter(r => r.width > 0 && r.height > 0)
            .sort((a, b) => a.top - b.top)
        let lines = rects.length ? 1 : 0
        for (let i = 1; i < rects.length; i++) {
            if (rects[i].top >= rects[i - 1].bottom - rects[i - 1].height / 2) lines++
        }
        return lines
    }
    const broken = []
    for (const cell of document.querySelectorAll('td, th')) {
        if (!cell.getClientRects().length) continue  // not rendered (closed details, display: none)
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT)
        let node
        while ((node = walker.nextNode())) {
            if (node.parentElement.closest('.govuk-visually-hidden')) continue  // clipped to 1px on purpose
            const words = /\\S+/g
            let m
            while ((m = words.exec(node.data))) {
                if (m[0].length >= 15) continue
                // A line break right after a hyphen ("Nouvelle-|Sahel") is allowed: check each part up to and
                // including its hyphen on its own.
                let at = m.index
                for (const part of m[0].match(/[^-\u2010]+[-\u2010]*|[-\u2010]+/g)) {
                    const range = document.createRange()
                    range.setStart(node, at)
                    range.setEnd(node, at + part.length)
                    at += part.length
                    const lines = linesOf(range)
                    if (lines > 1) broken.push(`"${m[0]}" on ${lines} lines`)
                }
            }
        }
    }
    return broken
}"""


def assert_no_word_broken_in_tables(page, where: str) -> None:
    broken = page.evaluate(WORDS_BROKEN_IN_CELLS)
    assert not broken, f"{where}: table cells break short words: {', '.join(broken[:10])}"


def test_pages_fit_a_phone_screen(page, demo):
    from peer_review.demo.cities import DEMO_PASSWORD
    sign_in(page, "facilitator@demo.safercities.example", DEMO_PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/", "/evidence/", "/evidence/5", "/evidence/new", "/coding/codes/", "/coding/codes/trust",
                 "/coding/samples/", "/exchange/", "/cycles/", "/users/me"):
        page.goto(page.base_url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width}px wide on a 390px screen"
        assert_no_word_broken_in_tables(page, f"{path} at 390px")


@pytest.fixture
def demo_topics(demo):
    """A topic run over the demo's 2026 round, as topic discovery would save it (labels of four top words)."""
    from peer_review.coding.nlp_models import Topic, TopicRun
    from peer_review.cycles.models import Cycle
    from peer_review.evidence.models import EvidenceItem
    from peer_review.extensions import db
    cycle = db.session.execute(db.select(Cycle).filter_by(name="2026 round")).scalar_one()
    ids = list(db.session.execute(db.select(EvidenceItem.id).filter_by(cycle_id=cycle.id)
                                  .order_by(EvidenceItem.id)).scalars())
    words = [["lighting", "underpass", "night", "women"], ["market", "vendors", "harassment", "stalls"],
             ["mural", "festival", "neighbours", "trust"], ["police", "patrols", "response", "reporting"],
             ["transport", "minibus", "station", "waiting"], ["youth", "football", "programme", "evening"],
             ["éclairage", "quartier", "femmes", "nuit"], ["seguridad", "barrio", "confianza", "vecinos"]]
    run = TopicRun(cycle=cycle, seed=42, result={})
    for n, w in enumerate(words):
        members = ids[n::len(words)]
        run.topics.append(Topic(number=n, label=", ".join(w), words=w, member_ids=members,
                                representative_ids=members[:3], languages={"en": len(members)}))
    db.session.add(run)
    db.session.commit()
    return cycle


def _sample_id():
    from peer_review.coding.models import DoubleCodingSample
    from peer_review.coding.samples import DEMO_SAMPLE_NAME
    from peer_review.extensions import db
    return db.session.execute(db.select(DoubleCodingSample.id).filter_by(name=DEMO_SAMPLE_NAME)).scalar_one()


@pytest.mark.parametrize("width", [1280, 390])
def test_wide_tables_scroll_instead_of_breaking_words(page, demo_topics, width):
    """The topic counts, the evidence list and a double-coding report: their tables keep words whole and, when
    wider than the screen, scroll inside a focusable region instead of widening the page."""
    from peer_review.demo.cities import DEMO_PASSWORD
    sign_in(page, "facilitator@demo.safercities.example", DEMO_PASSWORD)
    page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
    for name, path in (("topics", f"/coding/cycles/{demo_topics.id}/topics"), ("evidence", "/evidence/"),
                       ("sample", f"/coding/samples/{_sample_id()}")):
        page.goto(page.base_url + path)
        assert page.locator("table").count() >= 1, path
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{path} is {scroll_width}px wide on a {width}px screen"
        assert_no_word_broken_in_tables(page, f"{path} at {width}px")
        # Each table sits in a keyboard-focusable, labelled region that scrolls when the table is wider.
        unwrapped = page.evaluate("""() => [...document.querySelectorAll('table')].filter(t => {
            const box = t.closest('.pr-table-scroll')
            return !box || box.getAttribute('tabindex') !== '0' || box.getAttribute('role') !== 'region'
                || !box.getAttribute('aria-label')
        }).map(t => t.querySelector('caption')?.textContent.trim() || t.id || 'a table')""")
        assert unwrapped == [], f"{path}: tables outside a focusable scroll region: {unwrapped}"
        assert page.console_errors == []
        screenshot(page, f"tables-{name}-{width}")
