"""One whole review cycle through the pages in Spanish, in headless Chromium: the secretariat opens a cycle, a
city submits its self-assessment, the secretariat assigns and publishes the peer reviewers and moves the cycle to
peer review, the reviewer city writes and submits its review, the secretariat releases it and the reviewed city
reads it and submits its response. Every actor works with locale "es"; buttons, headings and messages are found
by their Spanish text taken from the catalogue (a missing or empty translation fails the test), which shows the
pages are translated. Only people, cities and the rubric (no pages for them in this walk) come from fixtures."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest

from tests.browser.conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
CATALOGUE = Path(__file__).resolve().parents[2] / "peer_review/translations/es/LC_MESSAGES/messages.po"


@lru_cache(maxsize=1)
def _catalogue() -> dict:
    from babel.messages.pofile import read_po
    with CATALOGUE.open("rb") as fh:
        return {m.id: m.string for m in read_po(fh) if m.id and isinstance(m.id, str)}


def es(msgid: str, **values) -> str:
    """The Spanish text of ``msgid``; a message missing from the catalogue, or left untranslated, fails."""
    text = _catalogue().get(msgid)
    assert text, f"no Spanish translation for {msgid!r}"
    return text % values if values else text


def flash(page, text: str) -> None:
    """The page shows ``text`` (a flash message or notice)."""
    page.get_by_text(text, exact=False).first.wait_for()


def h1(page) -> str:
    return page.get_by_role("heading", level=1).inner_text().strip()


def as_user(page, user) -> None:
    page.context.clear_cookies()
    sign_in(page, user.email, PASSWORD)
    assert page.locator("html").get_attribute("lang") == "es", f"{user.email} does not see Spanish pages"
    assert page.get_by_role("navigation", name=es("Main menu")).is_visible()
    assert page.get_by_label(es("Language"), exact=True).input_value() == "es"  # the selector shows Spanish


def shoot(page, name: str, phone: bool = False) -> None:
    screenshot(page, f"es-cycle-{name}")
    if phone:
        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        screenshot(page, f"es-cycle-{name}-390")
        page.set_viewport_size({"width": 1280, "height": 900})
        page.reload()


@pytest.fixture
def world(app, make_city, make_user):
    from peer_review.extensions import db
    from tests.fixtures.rubrics import store_rubric
    store_rubric(db)
    alpha = make_city("Alfa", slug="alfa", languages="es")
    beta = make_city("Beta", slug="beta", languages="es")
    gamma = make_city("Gamma", slug="gamma", languages="es")
    people = {
        "secretariat": make_user("sec@red.example", roles=["secretariat"], name="Sara Secretaría"),
        "alfa": make_user("coord@alfa.example", city=alpha, city_role="coordinator", name="Ana Alfa"),
        "beta": make_user("coord@beta.example", city=beta, city_role="coordinator", name="Bruno Beta"),
        "gamma": make_user("coord@gamma.example", city=gamma, city_role="coordinator", name="Gala Gamma"),
    }
    for user in people.values():
        user.locale = "es"
        user.set_password(PASSWORD)
    db.session.commit()
    return {"cities": {"alfa": alpha, "beta": beta, "gamma": gamma}, **people}


def fill_date(page, legend: str, day: int, month: int, year: int) -> None:
    group = page.get_by_role("group", name=legend, exact=True)
    group.get_by_label(es("Day"), exact=True).fill(str(day))
    group.get_by_label(es("Month"), exact=True).fill(str(month))
    group.get_by_label(es("Year"), exact=True).fill(str(year))


def wait_saved(page, cids) -> None:
    saved = es("Saved at %(time)s", time="")
    for cid in cids:
        page.locator(f"#status-{cid.replace('.', chr(92) + '.')}").get_by_text(saved).wait_for(timeout=8000)


def test_a_whole_cycle_in_spanish(page, world):
    from peer_review.assignments.models import Assignment
    from peer_review.cycles.models import Cycle
    from peer_review.extensions import db
    from peer_review.reviews.models import CityResponse, Review

    base = page.base_url

    # 1. The secretariat opens a new cycle (a draft) with the three cities, then opens it.
    as_user(page, world["secretariat"])
    page.goto(base + "/cycles/new")
    assert h1(page) == es("Open a new cycle")
    page.get_by_label(es("Name"), exact=True).fill("Ronda 2027")
    fill_date(page, es("Start date"), 1, 3, 2027)
    fill_date(page, es("End date"), 30, 11, 2027)
    assert page.get_by_role("radio", name=es("Draft")).is_checked()
    cities = page.get_by_role("group", name=es("Participating cities"))
    for name in ("Alfa", "Beta", "Gamma"):
        cities.get_by_label(name, exact=True).check()
    page.get_by_label(es("Rubric version")).select_option("fixture@1.0")
    shoot(page, "1-new-cycle")
    page.get_by_role("button", name=es("Save cycle")).click()
    flash(page, es("Cycle %(name)s created.", name="Ronda 2027"))
    assert h1(page).startswith("Ronda 2027")
    page.get_by_role("button", name=es("Open the cycle: start self-assessment")).click()
    flash(page, es("%(name)s is now in: %(phase)s.", name="Ronda 2027", phase=es("Self-assessment")))
    shoot(page, "1-cycle-open")
    cycle = db.session.execute(db.select(Cycle).filter_by(name="Ronda 2027")).scalar_one()
    assert (cycle.state, cycle.phase) == ("open", "self_assessment")

    # 2. Alfa's coordinator answers every criterion, section by section, and submits the self-assessment.
    as_user(page, world["alfa"])
    page.goto(base + "/assessments/")
    assert h1(page) == es("Self-assessment")
    page.get_by_role("button", name=es("Start the self-assessment")).click()
    assert h1(page) == es("Self-assessment")
    page.get_by_role("link", name="Gobernanza").click()
    assert page.get_by_role("heading", name="Gobernanza").count() >= 1
    for cid, level in (("gov.1", 2), ("gov.2", 3)):
        page.locator(f"#{cid.replace('.', chr(92) + '.')}-level-{level}").check()
        page.locator(f"#{cid.replace('.', chr(92) + '.')}-justification").fill(
            f"El consejo municipal aprobó la estrategia ({cid}) en marzo de 2026.")
    wait_saved(page, ["gov.1", "gov.2"])
    shoot(page, "2-assessment-section", phone=True)
    page.get_by_role("button", name=es("Save and continue")).click()
    flash(page, es("Your answers are saved."))
    assert page.get_by_role("heading", name="Inclusión").count() >= 1
    for cid in ("inc.1", "inc.2"):
        page.locator(f"#{cid.replace('.', chr(92) + '.')}-level-1").check()
        page.locator(f"#{cid.replace('.', chr(92) + '.')}-justification").fill(
            f"Primeras marchas exploratorias ({cid}) con vecinas del barrio.")
    wait_saved(page, ["inc.1", "inc.2"])
    page.get_by_role("button", name=es("Save and continue")).click()
    flash(page, es("Your answers are saved."))
    assert h1(page) == es("Self-assessment")
    page.get_by_text(es("%(done)s of %(total)s criteria answered", done=4, total=4)).wait_for()
    page.get_by_role("button", name=es("Submit the self-assessment")).click()
    flash(page, es("Self-assessment submitted. It is locked now; the secretariat can reopen it."))
    shoot(page, "2-assessment-submitted", phone=True)

    # 3. The secretariat asks for one reviewer city per city, proposes and publishes the pairs, and moves the
    # cycle on to peer review.
    as_user(page, world["secretariat"])
    page.goto(f"{base}/cycles/{cycle.id}")
    page.get_by_role("link", name=es("Peer assignments")).click()
    assert h1(page) == es("Peer assignments")
    page.get_by_role("link", name=re.compile("^" + re.escape(es("Change")))).first.click()
    page.get_by_label(es("Reviewer cities per city")).fill("1")
    page.get_by_role("button", name=es("Save settings")).click()
    flash(page, es("Assignment settings saved. Propose the assignments again to apply them."))
    page.get_by_role("button", name=es("Propose assignments")).click()
    assert h1(page) == es("Peer assignments")
    page.get_by_role("button", name=es("Publish %(n)s proposed pairs", n=3)).click()
    flash(page, es("%(n)s assignments published. The reviewer cities have been told.", n=3))
    shoot(page, "3-assignments")
    page.goto(f"{base}/cycles/{cycle.id}")
    page.get_by_role("button", name=es("Move to the next phase: %(phase)s", phase=es("Peer review"))).click()
    flash(page, es("%(name)s is now in: %(phase)s.", name="Ronda 2027", phase=es("Peer review")))
    db.session.expire_all()
    assert db.session.get(Cycle, cycle.id).phase == "peer_review"
    alfa = world["cities"]["alfa"]
    pair = db.session.execute(db.select(Assignment).filter_by(cycle_id=cycle.id, reviewed_city_id=alfa.id,
                                                              state="published")).scalar_one()
    reviewer = world[pair.reviewer_city.slug]

    # 4. The reviewer city's coordinator reviews Alfa criterion by criterion, adds a recommendation and submits.
    as_user(page, reviewer)
    page.goto(base + "/reviews/")
    assert h1(page) == es("Peer reviews")
    row = page.get_by_role("row").filter(has_text="Alfa")
    row.get_by_role("button", name=es("Start the review")).click()
    assert h1(page) == es("Peer review")
    page.get_by_role("link", name="Gobernanza").first.click()
    assert page.get_by_role("heading", name=es("Your review")).count() == 2
    assert page.get_by_text("El consejo municipal aprobó la estrategia (gov.1)").is_visible()
    for cid in ("gov.1", "gov.2"):
        esc = cid.replace(".", "\\.")
        page.locator(f"#{esc}-level-2").check()
        page.locator(f"#{esc}-agreement-partly").check()
        page.locator(f"#{esc}-comment").fill("La estrategia existe; su financiación no consta.")
    wait_saved(page, ["gov.1", "gov.2"])
    shoot(page, "4-review-section", phone=True)
    page.get_by_role("button", name=es("Save and continue")).click()
    flash(page, es("Your review answers are saved."))
    for cid in ("inc.1", "inc.2"):
        esc = cid.replace(".", "\\.")
        page.locator(f"#{esc}-level-1").check()
        page.locator(f"#{esc}-agreement-agree").check()
    wait_saved(page, ["inc.1", "inc.2"])
    page.get_by_role("button", name=es("Save and continue")).click()
    flash(page, es("Your review answers are saved."))
    assert h1(page) == es("Strengths and recommendations")
    form = page.locator("form").filter(has=page.get_by_role("button", name=es("Add the recommendation")))
    form.get_by_label(es("Recommendation"), exact=True).fill("Iluminar las **paradas de autobús** del anillo vial")
    form.get_by_label(re.compile(r"^gov\.1 ")).check()
    form.get_by_role("button", name=es("Add the recommendation")).click()
    flash(page, es("Recommendation saved."))
    shoot(page, "4-review-summary", phone=True)
    page.get_by_role("button", name=es("Submit the review")).click()
    flash(page, es("Peer review submitted. It is locked now; the secretariat releases it to the city."))
    review = db.session.execute(db.select(Review).filter_by(assignment_id=pair.id)).scalar_one()
    db.session.refresh(review)
    assert review.state == "submitted"

    # 5. The secretariat releases the submitted review to Alfa.
    as_user(page, world["secretariat"])
    page.goto(f"{base}/cycles/{cycle.id}")
    page.get_by_role("link", name=es("Peer reviews"), exact=True).click()
    assert h1(page) == es("Peer reviews")
    page.get_by_role("button", name=es("Release all submitted reviews")).click()
    flash(page, es("%(n)s reviews released; the reviewed cities can read them now.", n=1))
    shoot(page, "5-released")
    page.goto(f"{base}/cycles/{cycle.id}")
    page.get_by_role("button", name=es("Move to the next phase: %(phase)s", phase=es("City response"))).click()
    flash(page, es("%(name)s is now in: %(phase)s.", name="Ronda 2027", phase=es("City response")))
    db.session.expire_all()
    assert db.session.get(Cycle, cycle.id).phase == "city_response"

    # 6. Alfa's coordinator reads the review and submits the city's response to its recommendation.
    as_user(page, world["alfa"])
    page.goto(base + "/reviews/")
    page.get_by_role("heading", name=es("Reviews of your city")).wait_for()
    page.goto(f"{base}/reviews/{review.id}/read")
    assert page.get_by_role("heading", name=es("Recommendations")).is_visible()
    assert page.get_by_text("paradas de autobús").first.is_visible()
    shoot(page, "6-review-read", phone=True)
    page.get_by_role("link", name=es("Respond to the recommendations")).click()
    assert h1(page) == es("Response to the peer reviews")
    rid = review.recommendations[0].id
    page.locator(f"#r{rid}__decision-accept").check()
    page.get_by_label(es("Action the city takes")).fill("Programa de alumbrado de paradas")
    page.get_by_label(es("Who owns the action")).fill("Obras públicas")
    page.get_by_label(es("Due date")).fill("2028-03-31")
    page.get_by_role("button", name=es("Save the response")).click()
    flash(page, es("Your response is saved."))
    page.get_by_role("button", name=es("Submit the response")).click()
    flash(page, es("Response submitted. Follow up each action's progress on this page."))
    shoot(page, "6-response-submitted", phone=True)
    db.session.expire_all()
    response = db.session.execute(db.select(CityResponse).filter_by(cycle_id=cycle.id, city_id=alfa.id)
                                  ).scalar_one()
    assert response.state == "submitted"
    assert page.console_errors == []
