"""The good-practice library: reviewers' tagged strengths (released reviews only) and cities' own practices,
searchable and filterable by section, region and language; visibility and consent respected; the form and API.

Practice texts paraphrase public descriptions of Medellín's library parks and Bogotá's women's safety walks."""
from __future__ import annotations

from peer_review.extensions import db
from tests.app.test_reports import released  # noqa: F401
from tests.conftest import login_as

LIBRARY = ("Young people from the hillside run the weekend film club in the library park and sit on the board "
           "that decides its programme.")
WALKS = ("Las caminatas nocturnas de mujeres recorren el barrio cada trimestre con el equipo de alumbrado, que "
         "repara las luminarias señaladas en un mes.")


def _practice(city, cycle, user, **kw):
    from peer_review.practices import service
    data = {"title": kw.pop("title", "Library park film club"), "summary": kw.pop("summary", LIBRARY),
            "language": kw.pop("language", "en"), "cycle_id": cycle.id, **kw}
    row = service.save(None, city, user, data)
    db.session.commit()
    return row


def test_the_library_holds_released_tagged_strengths_and_city_practices(app, released):  # noqa: F811
    from peer_review.practices import service
    from peer_review.reviews.models import Strength
    strength = db.session.execute(db.select(Strength)).scalar_one()
    strength.good_practice = True
    db.session.commit()
    _practice(released["city_a"], released["cycle"], released["member"], criterion_ids=["gov.1"])
    with app.test_request_context():
        rows = service.entries(released["outsider"], "en")
    kinds = {(r.kind, r.title) for r in rows}
    assert ("reviewer", "Safety strategy") in kinds and ("city", "Library park film club") in kinds  # named by criterion
    city_row = next(r for r in rows if r.kind == "city")
    assert city_row.criteria[0]["id"] == "gov.1" and city_row.criteria[0]["section"] == "governance"
    reviewer_row = next(r for r in rows if r.kind == "reviewer")
    assert reviewer_row.reviewer == "Beta Town" and reviewer_row.city.name == "Alpha City"


def test_an_unreleased_or_untagged_strength_is_not_offered(app, released):  # noqa: F811
    from peer_review.practices import service
    from peer_review.reviews.models import Review
    with app.test_request_context():
        assert not [r for r in service.entries(released["member"]) if r.kind == "reviewer"]  # not tagged
        from peer_review.reviews.models import Strength
        db.session.execute(db.select(Strength)).scalar_one().good_practice = True
        db.session.execute(db.select(Review)).scalar_one().released_at = None
        db.session.commit()
        assert not [r for r in service.entries(released["member"]) if r.kind == "reviewer"]  # not released


def test_search_and_filters(app, released):  # noqa: F811
    from peer_review.practices import service
    _practice(released["city_a"], released["cycle"], released["member"], criterion_ids=["gov.1"])
    _practice(released["city_a"], released["cycle"], released["member"], title="Caminatas nocturnas",
              summary=WALKS, language="es", criterion_ids=["inc.1"])
    with app.test_request_context():
        rows = service.entries(released["facilitator"])
    titles = lambda found: sorted(r.title for r in found)  # noqa: E731
    assert titles(service.search(rows, language="es")) == ["Caminatas nocturnas"]
    assert titles(service.search(rows, section="governance")) == ["Library park film club"]
    assert titles(service.search(rows, q="luminarias")) == ["Caminatas nocturnas"]
    assert titles(service.search(rows, q="FILM board")) == ["Library park film club"]
    region = released["city_a"].region
    assert len(service.search(rows, region=region)) == 2
    assert service.search(rows, region="oceania" if region != "oceania" else "asia") == []


def test_a_city_only_practice_and_its_evidence_respect_visibility(app, client, released):  # noqa: F811
    from peer_review.evidence.models import EvidenceItem
    item = EvidenceItem(city=released["city_a"], cycle=released["cycle"], type="cultural_story",
                        title="Film club evening", text=LIBRARY, language="en", consent="obtained",
                        visibility="city")
    db.session.add(item)
    db.session.commit()
    practice = _practice(released["city_a"], released["cycle"], released["member"], evidence_ids=[item.id],
                         visibility="city")
    login_as(client, released["outsider"])
    assert "Library park film club" not in client.get("/practices/").get_data(as_text=True)
    assert client.get(f"/practices/{practice.id}").status_code == 404
    login_as(client, released["facilitator"])
    page = client.get(f"/practices/{practice.id}").get_data(as_text=True)
    assert "Film club evening" in page
    practice.visibility = "network"
    db.session.commit()
    login_as(client, released["outsider"])
    page = client.get(f"/practices/{practice.id}").get_data(as_text=True)
    assert "Library park film club" in page and "Film club evening" not in page  # the item stays the city's
    item.consent = "withdrawn"
    db.session.commit()
    login_as(client, released["facilitator"])
    assert "Film club evening" not in client.get(f"/practices/{practice.id}").get_data(as_text=True)


def test_the_form_checks_and_saves(app, client, released):  # noqa: F811
    from peer_review.practices.models import Practice
    login_as(client, released["member"])
    url = "/practices/cities/alpha/new"
    assert client.get(url).status_code == 200
    bad = client.post(url, data={"title": "", "summary": "", "language": "en", "visibility": "network"})
    assert bad.status_code == 422 and "Enter the practice" in bad.get_data(as_text=True)
    assert db.session.execute(db.select(Practice)).first() is None
    good = client.post(url, data={"title": "Film club", "summary": LIBRARY, "language": "en",
                                  "visibility": "network", "cycle_id": str(released["cycle"].id)})
    assert good.status_code == 302
    practice = db.session.execute(db.select(Practice)).scalar_one()
    assert practice.cycle_id == released["cycle"].id
    page = client.get(f"/practices/{practice.id}/edit")
    assert page.status_code == 200 and "gov.1" in page.get_data(as_text=True)  # the cycle's criteria offered
    login_as(client, released["outsider"])
    assert client.get(url).status_code == 403
    assert client.get(f"/practices/{practice.id}/edit").status_code == 403


def test_markup_in_a_practice_is_sanitised(app, client, released):  # noqa: F811
    _practice(released["city_a"], released["cycle"], released["member"],
              summary="**Bold** <script>alert(1)</script><img src=x onerror=alert(2)>")
    login_as(client, released["member"])
    page = client.get("/practices/").get_data(as_text=True)
    assert "<strong>Bold</strong>" in page and "<script>alert(1)" not in page and "onerror" not in page


def test_the_api_lists_and_creates(app, client, released, api_token):  # noqa: F811
    headers = api_token(released["member"])
    made = client.post("/api/v1/practices", json={"city": "alpha", "title": "Film club", "summary": LIBRARY,
                                                   "cycle_id": released["cycle"].id, "criterion_ids": ["gov.1"]},
                       headers=headers)
    assert made.status_code == 201 and made.get_json()["criteria"] == ["gov.1"]
    bad = client.post("/api/v1/practices", json={"city": "alpha", "title": "X", "summary": LIBRARY,
                                                  "cycle_id": released["cycle"].id, "criterion_ids": ["nope"]},
                      headers=headers)
    assert bad.status_code == 422 and "criterion_ids" in bad.get_json()["error"]["fields"]
    assert client.post("/api/v1/practices", json={"city": "alpha", "title": "X", "summary": "Y"},
                       headers=api_token(released["outsider"])).status_code == 403
    listed = client.get("/api/v1/practices?language=en", headers=api_token(released["outsider"])).get_json()
    assert [i["title"] for i in listed["items"]] == ["Film club"] and listed["total"] == 1
