"""The reviewer's section page in headless Chromium: level, agreement and comment autosave beside the city's
answer and survive a reload; screenshots at desktop and phone widths."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.walk_reviews import peer  # noqa: F401
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
SHOTS = Path("/tmp/shots")


@pytest.fixture
def review(peer):
    from peer_review.extensions import db
    from peer_review.reviews import operations as ops
    peer["submit"]()
    row = ops.get_or_start(peer["assignment"], actor=peer["b_one"])
    peer["b_one"].set_password(PASSWORD)
    db.session.commit()
    return row


def test_reviewer_answer_autosaves_and_is_there_after_reload(page, peer, review):
    from peer_review.extensions import db
    from peer_review.reviews.models import ReviewAnswer
    sign_in(page, peer["b_one"].email, PASSWORD)
    page.goto(f"{page.base_url}/reviews/{review.id}/sections/governance")
    assert page.locator("#criterion-gov\\.1").get_by_text("Our answer on gov.1").is_visible()
    page.locator("#gov\\.1-level-3").check()
    page.locator("#gov\\.1-agreement-partly").check()
    status = page.locator("#status-gov\\.1")
    status.get_by_text("Saved at").wait_for(timeout=8000)  # the radios save at once
    page.locator("#gov\\.1-comment").fill("The plan exists; its funding is not shown.")
    # The comment saves a couple of seconds after typing stops, without leaving the page.
    for _ in range(40):
        db.session.expire_all()
        saved = db.session.execute(db.select(ReviewAnswer).filter_by(criterion_id="gov.1")).scalar_one_or_none()
        if saved is not None and saved.comment:
            break
        page.wait_for_timeout(200)
    assert saved.comment == "The plan exists; its funding is not shown."
    status.get_by_text("Saved at").wait_for(timeout=8000)
    page.reload()
    assert page.locator("#gov\\.1-level-3").is_checked()
    assert page.locator("#gov\\.1-agreement-partly").is_checked()
    assert page.locator("#gov\\.1-comment").input_value() == "The plan exists; its funding is not shown."
    db.session.expire_all()
    saved = db.session.execute(db.select(ReviewAnswer).filter_by(criterion_id="gov.1")).scalar_one()
    assert (saved.level, saved.agreement) == (3, "partly")
    assert page.console_errors == []
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "review-section-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.screenshot(path=str(SHOTS / "review-section-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{page.base_url}/reviews/{review.id}")
    page.screenshot(path=str(SHOTS / "review-overview-1280.png"), full_page=True)
    page.goto(f"{page.base_url}/reviews/{review.id}/summary")
    page.screenshot(path=str(SHOTS / "review-summary-1280.png"), full_page=True)
    page.goto(f"{page.base_url}/reviews/")
    page.screenshot(path=str(SHOTS / "review-index-1280.png"), full_page=True)


def test_response_and_secretariat_pages_at_two_widths(page, peer, review):
    """Screenshots of the city's response page and the secretariat's list (checked by eye), and the response
    saved without JavaScript help."""
    from peer_review.extensions import db
    from peer_review.reviews import operations as ops
    from peer_review.reviews.models import RecommendationResponse
    from tests.app.walk_reviews import complete
    ops.save_recommendation(review, None, {"text": "Light the **bus stops** on the ring road", "priority": "high",
                                           "criterion_ids": ["inc.1", "gov.1"]})
    complete(db, review)
    ops.submit(review)
    ops.release(peer["cycle"], actor=peer["secretariat"])
    peer["a_member"].set_password(PASSWORD)
    peer["secretariat"].set_password(PASSWORD)
    db.session.commit()
    sign_in(page, peer["a_member"].email, PASSWORD)
    page.goto(f"{page.base_url}/reviews/responses/{peer['cycle'].id}/alpha")
    rid = review.recommendations[0].id
    page.locator(f"#r{rid}__decision-accept").check()
    page.locator(f"#r{rid}__action").fill("Lighting programme")
    page.locator(f"#r{rid}__action_owner").fill("Public works")
    page.locator(f"#r{rid}__action_due").fill("2028-03-31")
    page.get_by_role("button", name="Save the response").click()
    page.get_by_text("Your response is saved.").wait_for()
    db.session.expire_all()
    item = db.session.execute(db.select(RecommendationResponse).filter_by(recommendation_id=rid)).scalar_one()
    assert (item.decision, item.action_owner, str(item.action_due)) == ("accept", "Public works", "2028-03-31")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "review-response-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.screenshot(path=str(SHOTS / "review-response-390.png"), full_page=True)
    page.goto(f"{page.base_url}/reviews/{review.id}/read")
    page.screenshot(path=str(SHOTS / "review-read-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.context.clear_cookies()
    sign_in(page, peer["secretariat"].email, PASSWORD)
    page.goto(f"{page.base_url}/reviews/cycle/{peer['cycle'].id}")
    page.screenshot(path=str(SHOTS / "review-cycle-1280.png"), full_page=True)
    assert page.console_errors == []
