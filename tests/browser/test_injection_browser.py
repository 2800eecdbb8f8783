"""In a real browser: an item title carrying htmx attributes is shown as text on the reconcile page, so pressing
Reconcile sends no request the admin did not make, and htmx runs with eval off and same-origin requests only."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser
PASSWORD = "a long enough password"


@pytest.fixture
def world(app, make_city, make_user):
    from peer_review.coding import samples as sample_ops
    from peer_review.coding.models import Code
    from peer_review.coding.operations import add_codings
    from peer_review.cycles.models import Cycle
    from peer_review.evidence.models import EvidenceItem
    from peer_review.extensions import db
    city = make_city("Kisaru", slug="kisaru")
    cycle = Cycle(name="2026 round", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 1), state="open",
                  cities=[city])
    trust = Code(key="trust", direction="more", family="culture", labels={"en": "Trust"})
    db.session.add_all([cycle, trust])
    db.session.commit()
    coordinator = make_user("coord@kisaru.example", city=city, city_role="coordinator")
    admin = make_user("admin@net.example", roles=["admin"], password=PASSWORD)
    a, b = make_user("a@net.example", roles=["facilitator"]), make_user("b@net.example", roles=["facilitator"])
    payload = (f'<img src=x hx-post="/users/{coordinator.id}/edit" hx-trigger="load" '
               f'hx-include="[name=csrf_token]" hx-vals=\'{{"roles":"admin","name":"x","locale":"en"}}\'>'
               f'<div hx-get="/users/" hx-trigger="load">x</div>')
    item = EvidenceItem(city=city, cycle=cycle, type="narrative", title=payload, language="en",
                        text="Residents and police meet every month.", consent="obtained", visibility="city")
    db.session.add(item)
    db.session.commit()
    sample = sample_ops.draw_sample(cycle, 1, a, b, seed=1)
    add_codings(item, [trust], a)
    db.session.commit()
    return {"sample": sample, "coordinator": coordinator, "admin": admin, "payload": payload}


def test_the_payload_sends_no_request(page, world):
    from peer_review.extensions import db
    from peer_review.users.models import User
    sign_in(page, "admin@net.example", PASSWORD)
    page.goto(f"{page.base_url}/coding/samples/{world['sample'].id}")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(f"{r.method} {r.url}"))
    page.get_by_role("button", name="Reconcile into agreed codings").click()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1500)  # htmx's "load" triggers would have fired by now
    assert page.get_by_text("Choose keep or drop").first.is_visible()
    assert page.get_by_text('hx-post="/users/', exact=False).first.is_visible()  # shown as text
    assert not [r for r in requests if "/users" in r], requests
    assert all(r.startswith("POST ") and "/reconcile" in r or r.startswith("GET ") and "/static/" in r
               for r in requests), requests
    config = page.evaluate("() => ({eval: htmx.config.allowEval, self: htmx.config.selfRequestsOnly,"
                           " scripts: htmx.config.allowScriptTags})")
    assert config == {"eval": False, "self": True, "scripts": False}
    db.session.rollback()
    assert db.session.get(User, world["coordinator"].id).roles == set()
