"""The self-assessment section page in headless Chromium: autosave survives a reload, and the form works by
keyboard alone."""
from __future__ import annotations

import pytest

from tests.app.assessment_fixtures import setting, start  # noqa: F401
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"


@pytest.fixture
def member(setting):
    from peer_review.extensions import db
    user = setting["member"]
    user.set_password(PASSWORD)
    db.session.commit()
    return user


def test_typed_justification_autosaves_and_is_there_after_reload(page, setting, member):
    a = start(setting)
    sign_in(page, member.email, PASSWORD)
    page.goto(f"{page.base_url}/assessments/{a.id}/sections/governance")
    box = page.locator("#gov\\.1-justification")
    box.fill("The council adopted the safety strategy in March 2026.")
    status = page.locator("#status-gov\\.1")
    status.get_by_text("Saved at").wait_for(timeout=8000)
    page.reload()
    assert page.locator("#gov\\.1-justification").input_value() == \
        "The council adopted the safety strategy in March 2026."
    assert page.console_errors == []


def test_leaving_the_page_sends_pending_changes(page, setting, member):
    from peer_review.assessments.models import Answer
    from peer_review.extensions import db
    a = start(setting)
    sign_in(page, member.email, PASSWORD)
    page.goto(f"{page.base_url}/assessments/{a.id}/sections/governance")
    page.locator("#gov\\.2-justification").fill("Typed just before leaving.")
    page.goto(f"{page.base_url}/assessments/{a.id}")  # before the 2 s autosave delay
    page.wait_for_timeout(800)
    db.session.expire_all()
    saved = db.session.execute(db.select(Answer).filter_by(criterion_id="gov.2")).scalar_one_or_none()
    assert saved is not None and saved.justification == "Typed just before leaving."


def test_the_form_by_keyboard_alone(page, setting, member):
    a = start(setting)
    sign_in(page, member.email, PASSWORD)
    page.goto(f"{page.base_url}/assessments/{a.id}/sections/governance")
    # Tab to the first level radio, choose level 2 with the arrow keys, then into the justification.
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "gov.1__level":
            break
    else:
        pytest.fail("the level radios are not reachable by Tab")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.value") == "2"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "gov.1__justification"
    page.keyboard.type("Chosen and typed by keyboard.")
    page.locator("#status-gov\\.1").get_by_text("Saved at").wait_for(timeout=8000)
    # The Save button is reachable and saves the section without a mouse.
    for _ in range(120):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Save":
            break
    else:
        pytest.fail("the Save button is not reachable by Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_text("Your answers are saved.").is_visible()
    assert page.locator("#gov\\.1-level-2").is_checked()
    assert page.locator("#gov\\.1-justification").input_value() == "Chosen and typed by keyboard."


def test_a_conflict_shows_both_texts_and_never_overwrites_theirs_unasked(page, setting, member):
    from peer_review.assessments import operations as ops
    from peer_review.assessments.models import Answer
    from peer_review.extensions import db
    a = start(setting)
    sign_in(page, member.email, PASSWORD)
    page.goto(f"{page.base_url}/assessments/{a.id}/sections/governance")
    ops.save_answer(db.session.get(type(a), a.id), "gov.1", {"level": 2, "justification": "A colleague's text."},
                    0, actor=setting["coordinator"])
    db.session.commit()
    page.locator("#gov\\.1-justification").fill("My own text.")
    status = page.locator("#status-gov\\.1")
    status.get_by_text("Not saved").wait_for(timeout=8000)
    assert status.locator("[data-theirs]").inner_text() == "A colleague's text."
    assert status.locator("[data-yours]").inner_text() == "My own text."
    page.locator("#gov\\.2-justification").click()  # leaving the field sends a change: still theirs kept
    page.wait_for_timeout(1500)
    db.session.expire_all()
    assert db.session.execute(db.select(Answer).filter_by(criterion_id="gov.1")).scalar_one().justification == \
        "A colleague's text."
    page.locator("#gov\\.1-justification").fill("A colleague's text. My own text.")
    status.get_by_role("button").click()
    status.get_by_text("Saved at").wait_for(timeout=8000)
    db.session.expire_all()
    assert db.session.execute(db.select(Answer).filter_by(criterion_id="gov.1")).scalar_one().justification == \
        "A colleague's text. My own text."
