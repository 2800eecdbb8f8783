"""Coding in a real browser: select a passage on an item page and code it, with the mouse and the keyboard."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

TEXT = ("**Women's safety walk**, Barrio Norte.\n\n- The underpass has no lighting and women avoid it after 7 pm.\n"
        "- Since the mural festival, neighbours trust each other more.\n")
PASSWORD = "a long test password"


@pytest.fixture
def item(app, make_city, make_user):
    from peer_review.coding.operations import sync_codebook
    from peer_review.cycles.models import Cycle
    from peer_review.evidence.operations import create_item
    from peer_review.extensions import db
    city = make_city("Alpha", slug="alpha")
    cycle = Cycle(name="2026 round", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 1), state="open",
                  cities=[city])
    db.session.add(cycle)
    db.session.commit()
    sync_codebook()
    make_user("fac@example.org", roles=["facilitator"], password=PASSWORD)
    item = create_item({"city": city, "cycle": cycle, "type": "safety_audit", "title": "Safety walk",
                        "text": TEXT, "language": "en", "consent": "obtained", "visibility": "city"})
    db.session.commit()
    return item


def _codings():
    from peer_review.coding.models import Coding
    from peer_review.extensions import db
    db.session.expire_all()
    return [(c.code.key, c.start_offset, c.end_offset, c.passage())
            for c in db.session.execute(db.select(Coding).order_by(Coding.id)).scalars()]


SELECT_AS_A_DRAG = """(phrase) => {
    const box = document.getElementById('coding-text')
    const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT)
    let node
    while ((node = walker.nextNode())) {
        const at = node.data.indexOf(phrase)
        if (at >= 0) {
            const range = document.createRange()
            range.setStart(node, at); range.setEnd(node, at + phrase.length)
            const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range)
            box.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}))
            return
        }
    }
    throw new Error('phrase not found')
}"""


def _drag_select(page, phrase: str) -> None:
    """Select the words as a mouse drag would: a DOM selection inside the coding text, then mouseup."""
    page.evaluate(SELECT_AS_A_DRAG, phrase)


def test_select_a_passage_with_the_mouse_and_code_it(page, item):
    sign_in(page, "fac@example.org", PASSWORD)
    page.goto(f"{page.base_url}/evidence/{item.id}")
    phrase = "women avoid it after 7 pm"
    _drag_select(page, phrase)
    assert page.locator("#passage").input_value() == phrase
    start = int(page.locator("#start").input_value())
    assert start == TEXT.index(phrase)
    assert "25" in page.locator("#selection-status").inner_text()
    page.get_by_label("Fear of crime").check()
    page.get_by_label("Gender equity").check()
    screenshot(page, "coding-selection")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply codes").click()
    assert _codings() == [("fear_of_crime", start, start + len(phrase), phrase),
                          ("gender_equity", start, start + len(phrase), phrase)]
    mark = page.locator("#coding-text mark")
    assert mark.count() == 1 and mark.inner_text() == phrase
    assert mark.get_attribute("data-codes") == "fear_of_crime gender_equity"
    assert page.console_errors == []
    screenshot(page, "coding-done")


def test_code_with_the_keyboard_only(page, item):
    sign_in(page, "fac@example.org", PASSWORD)
    page.goto(f"{page.base_url}/evidence/{item.id}")
    page.locator("#coding-text").focus()
    page.keyboard.press("Enter")  # jumps to the codes
    assert page.evaluate("document.activeElement.name") == "codes"
    page.locator("#passage").focus()
    page.keyboard.type("neighbours trust each other")
    page.locator("#code-trust").focus()
    page.keyboard.press("Space")
    page.locator("#apply-codes").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    start = TEXT.index("neighbours trust")
    assert _codings() == [("trust", start, start + 27, "neighbours trust each other")]
    assert page.locator(".govuk-notification-banner").inner_text().count("Trust") == 1


def test_select_with_shift_and_the_arrow_keys(page, item):
    """The help text promises keyboard selection: focus the text, move with Ctrl+Arrow, extend with Shift."""
    sign_in(page, "fac@example.org", PASSWORD)
    page.goto(f"{page.base_url}/evidence/{item.id}")
    page.locator("#coding-text").focus()
    page.keyboard.press("Home")
    words_before = TEXT[:TEXT.index("neighbours")].split()
    for _ in words_before:
        page.keyboard.press("Control+ArrowRight")  # to the end of each word before "neighbours"
    for _ in range(3):
        page.keyboard.press("Control+Shift+ArrowRight")  # select three words
    assert page.locator("#passage").input_value() == "neighbours trust each"
    page.keyboard.press("Shift+ArrowRight")  # the space after "each"
    page.keyboard.press("Shift+ArrowRight")  # the "o" of "other" cuts the word: the passage takes all of it
    assert page.locator("#passage").input_value() == "neighbours trust each other"
    assert page.evaluate("window.getSelection().toString()") == "neighbours trust each other"  # shown as coded
    page.keyboard.press("Enter")
    page.locator("#code-trust").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Apply codes").click()
    start = TEXT.index("neighbours trust")
    assert _codings() == [("trust", start, start + 27, "neighbours trust each other")]
    screenshot(page, "coding-keyboard")


def test_a_drag_that_cuts_a_word_codes_the_whole_word(page, item):
    sign_in(page, "fac@example.org", PASSWORD)
    page.goto(f"{page.base_url}/evidence/{item.id}")
    cut = "omen's safety wa"  # a drag from inside «Women's» to inside «walk»
    _drag_select(page, cut)
    assert page.locator("#passage").input_value() == "Women's safety walk"
    assert page.evaluate("window.getSelection().toString()") == "Women's safety walk"
