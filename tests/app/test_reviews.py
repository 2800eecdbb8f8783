"""Peer reviews: starting once the city has submitted, what a reviewer sees, removal of an assignment, release
to the reviewed city, conflicts between two reviewers, submission and locking, closed cycles, strengths and
recommendations, reopening, and the API."""
from __future__ import annotations

import pytest

from peer_review.extensions import db
from peer_review.reviews import operations as ops
from peer_review.reviews.models import Review, ReviewAnswer, ReviewAnswerRevision
from tests.app.walk_reviews import complete, peer  # noqa: F401
from tests.conftest import login_as


def started(peer) -> Review:
    peer["submit"]()
    review = ops.get_or_start(peer["assignment"], actor=peer["b_one"])
    db.session.commit()
    return review


def test_reviewer_cannot_start_before_the_city_submits(client, peer, api_token):
    login_as(client, peer["b_one"])
    r = client.post("/reviews/start", data={"assignment": peer["assignment"].id})
    assert r.status_code == 302 and r.headers["Location"].endswith("/reviews/")
    assert db.session.execute(db.select(Review)).first() is None
    page = client.get("/reviews/").get_data(as_text=True)
    assert "Waiting for the city" in page and "Start the review" not in page
    # Nor may the reviewer read the city's draft.
    assert client.get(f"/assessments/{peer['assessment'].id}").status_code == 404
    r = client.post(f"/api/v1/assignments/{peer['assignment'].id}/review", headers=api_token(peer["b_one"]))
    assert r.status_code == 422 and "has not submitted" in str(r.get_json()["error"]["fields"])
    with pytest.raises(ops.ValidationFailed):
        ops.get_or_start(peer["assignment"])


def test_only_the_reviewer_city_starts_its_review(client, peer):
    peer["submit"]()
    for person in ("a_member", "facilitator", "secretariat"):
        login_as(client, peer[person])
        assert client.post("/reviews/start", data={"assignment": peer["assignment"].id}).status_code == 404
    login_as(client, peer["b_two"])
    page = client.get("/reviews/").get_data(as_text=True)
    assert "Start the review" in page and "Not started" in page
    r = client.post("/reviews/start", data={"assignment": peer["assignment"].id})
    review = db.session.execute(db.select(Review)).scalar_one()
    assert r.headers["Location"].endswith(f"/reviews/{review.id}")
    assert review.reviewer_city_id == peer["city_b"].id and review.assessment_id == peer["assessment"].id
    client.post("/reviews/start", data={"assignment": peer["assignment"].id})  # once only
    assert len(db.session.execute(db.select(Review)).all()) == 1


def test_reviewer_sees_the_submitted_answers_and_city_visible_evidence_not_restricted(client, peer):
    from peer_review.assessments import operations as aops
    from peer_review.evidence.models import EvidenceItem
    common = {"city_id": peer["city_a"].id, "cycle_id": peer["cycle"].id, "type": "narrative", "text": "Notes",
              "language": "en", "consent": "obtained"}
    shown = EvidenceItem(title="Council minutes March", visibility="city", **common)
    hidden = EvidenceItem(title="Survivor testimony Ana", visibility="restricted", **common)
    db.session.add_all([shown, hidden])
    db.session.flush()
    aops.save_answer(peer["assessment"], "gov.1", {
        "level": 3, "justification": "Adopted <script>alert(1)</script> **by the council**",
        "evidence_ids": [shown.id, hidden.id], "proxy_used": True, "proxy_note": "Budget lines"}, None)
    db.session.commit()
    review = started(peer)
    login_as(client, peer["b_two"])
    page = client.get(f"/reviews/{review.id}/sections/governance").get_data(as_text=True)
    assert "Level 3: Established" in page and "The plan is funded and running." in page
    assert "<strong>by the council</strong>" in page and "<script>alert(1)" not in page
    assert "Council minutes March" in page and f"/evidence/{shown.id}" in page
    assert "Survivor testimony Ana" not in page and "Restricted item, not shown" in page
    assert "Budget lines" in page
    assert client.get(f"/evidence/{shown.id}").status_code == 200
    assert client.get(f"/evidence/{hidden.id}").status_code == 404
    inclusion = client.get(f"/reviews/{review.id}/sections/inclusion").get_data(as_text=True)
    assert "No young people&#39;s council here" in inclusion and "Do you agree that it does not apply?" in inclusion
    overview = client.get(f"/reviews/{review.id}").get_data(as_text=True)
    assert "0 of 4 criteria reviewed" in overview and "No recommendations from an earlier cycle." in overview


def test_removing_the_assignment_takes_access_away_at_once(client, peer, api_token):
    review = started(peer)
    login_as(client, peer["b_one"])
    assert client.get(f"/reviews/{review.id}").status_code == 200
    peer["assignment"].state = "removed"
    db.session.commit()
    assert client.get(f"/reviews/{review.id}").status_code == 404
    assert client.get(f"/reviews/{review.id}/sections/governance").status_code == 404
    assert client.post(f"/reviews/{review.id}/criteria/gov.1",
                       data={"gov.1__version": "0", "gov.1__comment": "x"}).status_code == 404
    assert client.get(f"/assessments/{peer['assessment'].id}").status_code == 404
    assert client.get(f"/api/v1/reviews/{review.id}", headers=api_token(peer["b_one"])).status_code == 404
    assert "Alpha City" not in client.get("/reviews/").get_data(as_text=True)


def test_the_reviewed_city_reads_the_review_only_once_released(client, peer):
    review = started(peer)
    complete(db, review, actor=peer["b_one"])
    ops.save_strength(review, None, {"text": "A *lively* council", "good_practice": True}, actor=peer["b_one"])
    db.session.commit()
    login_as(client, peer["a_member"])
    for url in (f"/reviews/{review.id}", f"/reviews/{review.id}/read", f"/reviews/{review.id}/summary"):
        assert client.get(url).status_code == 404
    assert "0 of 1 reviews submitted" in client.get("/reviews/").get_data(as_text=True)
    ops.submit(review, actor=peer["b_one"])
    db.session.commit()
    assert client.get(f"/reviews/{review.id}/read").status_code == 404
    assert "1 of 1 reviews submitted; the secretariat releases them" in client.get("/reviews/").get_data(as_text=True)
    login_as(client, peer["secretariat"])
    listing = client.get(f"/reviews/cycle/{peer['cycle'].id}").get_data(as_text=True)
    assert "Release reviews of Alpha City (1 submitted)" in listing
    r = client.post(f"/reviews/cycle/{peer['cycle'].id}/release", data={"city": "alpha"})
    assert r.status_code == 302
    login_as(client, peer["a_member"])
    assert client.get(f"/reviews/{review.id}").headers["Location"].endswith(f"/reviews/{review.id}/read")
    page = client.get(f"/reviews/{review.id}/read").get_data(as_text=True)
    assert "Fund the plan" in page and "<em>lively</em>" in page and "Good practice" in page
    assert "Review by Beta Town" in client.get("/reviews/").get_data(as_text=True)
    # Still read-only for the reviewed city.
    assert client.post(f"/reviews/{review.id}/criteria/gov.1", data={"gov.1__version": "1"}).status_code in (403, 404)


def test_two_reviewers_on_one_criterion_conflict_and_nothing_typed_is_lost(app, peer, api_token):
    review = started(peer)
    from tests.conftest import IsolatedClient
    app.test_client_class = IsolatedClient
    one, two = app.test_client(), app.test_client()
    login_as(one, peer["b_one"])
    login_as(two, peer["b_two"])
    url = f"/reviews/{review.id}/criteria/gov.1"
    r = one.post(url, data={"gov.1__version": "0", "gov.1__agreement": "agree", "gov.1__comment": "Theirs: solid"})
    assert r.status_code == 200 and 'value="1"' in r.get_data(as_text=True)
    r = two.post(url, data={"gov.1__version": "0", "gov.1__agreement": "disagree", "gov.1__comment": "Mine: weak"})
    html = r.get_data(as_text=True)
    assert r.status_code == 409
    assert "Theirs: solid" in html and "Mine: weak" in html and 'data-resolve-version="1"' in html
    assert 'value="0"' in html  # the page keeps saving against the old version until the merge
    # With htmx the fragment comes back as 200 so that it is swapped in.
    assert two.post(url, data={"gov.1__version": "0", "gov.1__comment": "Mine again"},
                    headers={"HX-Request": "true"}).status_code == 200
    db.session.expire_all()
    answer = db.session.execute(db.select(ReviewAnswer)).scalar_one()
    assert answer.comment == "Theirs: solid" and answer.version == 1
    r = two.post(url, data={"gov.1__version": "1", "gov.1__agreement": "partly", "gov.1__comment": "Merged"})
    assert r.status_code == 200
    db.session.expire_all()
    assert db.session.get(ReviewAnswer, answer.id).comment == "Merged"
    texts = [rev.comment for rev in db.session.execute(db.select(ReviewAnswerRevision)
                                                       .order_by(ReviewAnswerRevision.id)).scalars()]
    assert texts == ["Theirs: solid", "Merged"]
    # The section page's Save (no JavaScript) conflicts too, keeping the text typed on the page.
    r = one.post(f"/reviews/{review.id}/sections/governance",
                 data={"gov.1__version": "1", "gov.1__comment": "Stale typed text", "then": "stay"})
    assert r.status_code == 409 and "Stale typed text" in r.get_data(as_text=True)
    # And the API: If-Match required, a stale one refused with both sides.
    headers = api_token(peer["b_one"])
    api = f"/api/v1/reviews/{review.id}/answers/gov.1"
    assert one.patch(api, json={"comment": "x"}, headers=headers).status_code == 428
    assert one.patch(api, json={"comment": "x"}, headers={**headers, "If-Match": "nope"}).status_code == 412
    r = one.patch(api, json={"comment": "API mine"}, headers={**headers, "If-Match": '"v1"'})
    body = r.get_json()
    assert r.status_code == 409 and body["current"]["comment"] == "Merged" and body["yours"]["comment"] == "API mine"
    r = one.patch(api, json={"comment": "API mine", "level": 3}, headers={**headers, "If-Match": r.headers["ETag"]})
    assert r.status_code == 200 and r.get_json()["version"] == 3 and r.headers["ETag"] == '"v3"'


def test_values_are_checked(peer):
    review = started(peer)
    with pytest.raises(ops.ValidationFailed) as err:
        ops.save_answer(review, "gov.1", {"level": 9, "agreement": "maybe", "comment": "x" * 20_001}, 0)
    assert set(err.value.fields) == {"level", "agreement", "comment"}
    with pytest.raises(ops.ValidationFailed):
        ops.save_answer(review, "nope.1", {"level": 1}, 0)
    with pytest.raises(ops.ValidationFailed) as err:
        ops.save_recommendation(review, None, {"text": "Do it", "priority": "urgent", "criterion_ids": []})
    assert set(err.value.fields) == {"priority", "criterion_ids"}
    with pytest.raises(ops.ValidationFailed) as err:
        ops.save_strength(review, None, {"text": "y" * 5_001, "criterion_ids": ["gov.9"]})
    assert set(err.value.fields) == {"text", "criterion_ids"}
    db.session.rollback()


def test_submit_names_what_is_missing_then_locks(client, peer):
    from peer_review.audit.models import AuditEntry
    review = started(peer)
    login_as(client, peer["b_one"])
    ops.save_answer(review, "gov.1", {"level": 2, "agreement": "agree", "comment": "Secret words here"}, 0)
    db.session.commit()
    r = client.post(f"/reviews/{review.id}/submit")
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "The review cannot be submitted yet" in page
    assert "gov.2 Coordination body: choose a level" in page and "gov.1 Safety strategy" not in page
    assert "inc.2 Youth participation: say whether you agree that it does not apply" in page
    assert "Write at least one recommendation" in page
    complete(db, review)
    db.session.commit()
    r = client.post(f"/reviews/{review.id}/submit")
    assert r.status_code == 302
    db.session.expire_all()
    review = db.session.get(Review, review.id)
    assert review.state == "submitted" and review.submitted_by_id == peer["b_one"].id
    # A page left open says why nothing is saved; the forms send the reviewer back with the reason.
    r = client.post(f"/reviews/{review.id}/criteria/gov.1", data={"gov.1__version": "1", "gov.1__comment": "late"})
    assert r.status_code == 409 and "submitted and is locked" in r.get_data(as_text=True)
    r = client.post(f"/reviews/{review.id}/recommendations", data={"text": "More"}, follow_redirects=True)
    assert "submitted and is locked" in r.get_data(as_text=True)
    r = client.post(f"/reviews/{review.id}/sections/governance", data={"gov.1__version": "1",
                                                                        "gov.1__comment": "late"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.execute(db.select(ReviewAnswer).filter_by(criterion_id="gov.1")).scalar_one().comment == \
        "Secret words here"
    with pytest.raises(ops.ReviewLocked):
        ops.save_answer(review, "gov.1", {"comment": "late"}, None)
    page = client.get(f"/reviews/{review.id}/sections/governance").get_data(as_text=True)
    assert "disabled" in page and "autosave.js" not in page
    entries = db.session.execute(db.select(AuditEntry).filter(AuditEntry.action.like("review.%"))).scalars().all()
    assert {"review.start", "review.answer", "review.recommendation_save", "review.submit"} <= {e.action for e in entries}
    assert not any("Secret words" in str(e.before) + str(e.after) + e.summary for e in entries)


def test_a_closed_cycle_is_read_only(client, peer, api_token):
    review = started(peer)
    peer["cycle"].state = "closed"
    db.session.commit()
    login_as(client, peer["b_one"])
    assert client.get(f"/reviews/{review.id}/sections/governance").status_code == 200
    r = client.post(f"/reviews/{review.id}/criteria/gov.1", data={"gov.1__version": "0", "gov.1__comment": "x"})
    assert r.status_code == 409 and "This cycle is closed" in r.get_data(as_text=True)
    login_as(client, peer["secretariat"])
    assert client.post(f"/reviews/{review.id}/criteria/gov.1", data={"gov.1__version": "0"}).status_code == 403
    r = client.patch(f"/api/v1/reviews/{review.id}/answers/gov.1", json={"comment": "x"},
                     headers={**api_token(peer["b_one"]), "If-Match": '"v0"'})
    assert r.status_code == 409 and "closed" in r.get_json()["error"]["message"]
    with pytest.raises(ops.CycleClosed):
        ops.save_answer(review, "gov.1", {"comment": "x"}, 0)
    assert db.session.execute(db.select(ReviewAnswer)).first() is None


def test_strengths_and_recommendations_are_versioned(client, peer):
    from peer_review.reviews.models import Recommendation
    review = started(peer)
    login_as(client, peer["b_one"])
    r = client.post(f"/reviews/{review.id}/recommendations",
                    data={"text": "Light the bus stops", "priority": "high", "criterion_ids": ["inc.1"]})
    assert r.status_code == 302
    rec = db.session.execute(db.select(Recommendation)).scalar_one()
    assert rec.criterion_ids == ["inc.1"] and rec.version == 1
    assert client.post(f"/reviews/{review.id}/recommendations/{rec.id}",
                       data={"version": "1", "text": "Light every bus stop", "priority": "high",
                             "criterion_ids": ["inc.1", "gov.1"]}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Recommendation, rec.id).criterion_ids == ["gov.1", "inc.1"]
    r = client.post(f"/reviews/{review.id}/recommendations/{rec.id}",
                    data={"version": "1", "text": "My stale wording", "priority": "low", "criterion_ids": ["gov.1"]})
    page = r.get_data(as_text=True)
    assert r.status_code == 409 and "My stale wording" in page and "Light every bus stop" in page
    assert client.post(f"/reviews/{review.id}/recommendations/{rec.id}/delete",
                       data={"version": "1"}).status_code == 409
    assert client.post(f"/reviews/{review.id}/recommendations/{rec.id}/delete",
                       data={"version": "2"}).status_code == 302
    assert db.session.execute(db.select(Recommendation)).first() is None
    r = client.post(f"/reviews/{review.id}/strengths", data={"text": "", "good_practice": "y"})
    assert r.status_code == 400 and "Write the strength" in r.get_data(as_text=True)


def test_release_is_per_city_or_all_and_reopen_withdraws_it(client, peer, make_city, api_token):
    import datetime as dt

    from peer_review.assignments.models import Assignment
    review = started(peer)
    complete(db, review)
    ops.submit(review)
    db.session.commit()
    login_as(client, peer["b_one"])
    assert client.post(f"/reviews/cycle/{peer['cycle'].id}/release").status_code == 403
    headers = api_token(peer["secretariat"])
    r = client.post(f"/api/v1/cycles/{peer['cycle'].id}/reviews/release", json={"city": "beta"}, headers=headers)
    assert r.status_code == 422  # nothing of Beta waiting
    r = client.post(f"/api/v1/cycles/{peer['cycle'].id}/reviews/release", json={"city": "alpha"}, headers=headers)
    assert r.status_code == 200 and r.get_json() == {"released": [review.id]}
    db.session.expire_all()
    assert db.session.get(Review, review.id).released
    login_as(client, peer["secretariat"])
    assert client.post(f"/reviews/{review.id}/reopen", data={"reason": ""}).status_code == 302
    assert db.session.get(Review, review.id).locked
    r = client.post(f"/reviews/{review.id}/reopen", data={"reason": "Criterion gov.2 needs a level again"})
    assert r.status_code == 302
    db.session.expire_all()
    review = db.session.get(Review, review.id)
    assert review.state == "draft" and not review.released
    login_as(client, peer["b_one"])
    assert "Criterion gov.2 needs a level again" in client.get(f"/reviews/{review.id}").get_data(as_text=True)
    login_as(client, peer["a_member"])
    assert client.get(f"/reviews/{review.id}/read").status_code == 404
    assert Assignment is not None and dt is not None


def test_the_api_lists_starts_and_submits(client, peer, api_token):
    peer["submit"]()
    headers = api_token(peer["b_one"])
    r = client.post(f"/api/v1/assignments/{peer['assignment'].id}/review", headers=headers)
    assert r.status_code == 201
    review_id = r.get_json()["id"]
    assert client.post(f"/api/v1/assignments/{peer['assignment'].id}/review", headers=headers).status_code == 200
    listed = client.get("/api/v1/reviews", headers=headers).get_json()
    assert [i["id"] for i in listed["items"]] == [review_id] and listed["total"] == 1
    assert client.get("/api/v1/reviews", headers=api_token(peer["a_member"])).get_json()["total"] == 0
    assert client.get("/api/v1/reviews", headers=api_token(peer["secretariat"])).get_json()["total"] == 1
    r = client.post(f"/api/v1/reviews/{review_id}/strengths", json={"text": "Good", "criterion_ids": ["gov.1"]},
                    headers=headers)
    assert r.status_code == 201
    sid = r.get_json()["id"]
    r = client.patch(f"/api/v1/reviews/{review_id}/strengths/{sid}", json={"good_practice": True},
                     headers={**headers, "If-Match": '"v1"'})
    assert r.status_code == 200 and r.get_json()["good_practice"] is True
    assert client.delete(f"/api/v1/reviews/{review_id}/strengths/{sid}",
                         headers={**headers, "If-Match": '"v1"'}).status_code == 409
    assert client.delete(f"/api/v1/reviews/{review_id}/strengths/{sid}",
                         headers={**headers, "If-Match": '"v2"'}).status_code == 204
    r = client.post(f"/api/v1/reviews/{review_id}/submit", headers=headers)
    assert r.status_code == 422 and "recommendations" in r.get_json()["error"]["fields"]
    for cid in ("gov.1", "gov.2", "inc.1", "inc.2"):
        body = {"agreement": "partly"} if cid == "inc.2" else {"level": 1, "agreement": "disagree"}
        assert client.patch(f"/api/v1/reviews/{review_id}/answers/{cid}", json=body,
                            headers={**headers, "If-Match": '"v0"'}).status_code == 200
    r = client.post(f"/api/v1/reviews/{review_id}/recommendations",
                    json={"text": "Budget it", "priority": "low", "criterion_ids": ["gov.2"]}, headers=headers)
    assert r.status_code == 201
    r = client.post(f"/api/v1/reviews/{review_id}/submit", headers=headers)
    assert r.status_code == 200 and r.get_json()["state"] == "submitted" and r.get_json()["done"] == 4
    r = client.post(f"/api/v1/reviews/{review_id}/submit", headers=headers)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "locked"
    r = client.patch(f"/api/v1/reviews/{review_id}/answers/gov.1", json={"comment": "late"},
                     headers={**headers, "If-Match": '"v1"'})
    assert r.status_code == 409 and "locked" in r.get_json()["error"]["message"]


def test_the_secretariat_follows_every_review_of_a_cycle(client, peer):
    login_as(client, peer["secretariat"])
    page = client.get("/reviews/").get_data(as_text=True)
    assert "2027 round" in page and "Reviews your city writes" not in page
    listing = client.get(f"/reviews/cycle/{peer['cycle'].id}").get_data(as_text=True)
    assert "Reviews of Alpha City" in listing and "Waiting for the city" in listing
    review = started(peer)
    ops.save_answer(review, "gov.1", {"level": 2, "agreement": "agree"}, 0)
    db.session.commit()
    assert "1 of 4 criteria" in client.get(f"/reviews/cycle/{peer['cycle'].id}").get_data(as_text=True)
    login_as(client, peer["facilitator"])
    assert client.get(f"/reviews/cycle/{peer['cycle'].id}").status_code == 403
    assert "Peer reviews" not in client.get("/").get_data(as_text=True).split("<main")[0]
    login_as(client, peer["a_member"])
    assert "Peer reviews" in client.get("/").get_data(as_text=True).split("<main")[0]


def test_the_self_assessment_pages_never_show_a_restricted_title_to_reviewers_or_staff(client, peer):
    """A reviewer (and the secretariat) may open the city's submitted self-assessment itself: its section and
    printable pages list the linked evidence, never a restricted item's title."""
    from peer_review.assessments import operations as aops
    from peer_review.evidence.models import EvidenceItem
    common = {"city_id": peer["city_a"].id, "cycle_id": peer["cycle"].id, "type": "narrative", "text": "Notes",
              "language": "en", "consent": "obtained"}
    shown = EvidenceItem(title="Council minutes March", visibility="city", **common)
    hidden = EvidenceItem(title="Survivor testimony Ana", visibility="restricted", **common)
    db.session.add_all([shown, hidden])
    db.session.flush()
    aops.save_answer(peer["assessment"], "gov.1", {"level": 3, "evidence_ids": [shown.id, hidden.id]}, None)
    db.session.commit()
    started(peer)
    aid = peer["assessment"].id
    for person in ("b_two", "secretariat"):
        login_as(client, peer[person])
        for path in (f"/assessments/{aid}/sections/governance", f"/assessments/{aid}/print"):
            page = client.get(path).get_data(as_text=True)
            assert "Council minutes March" in page, (person, path)
            assert "Survivor testimony Ana" not in page, (person, path)
    login_as(client, peer["a_member"])  # the city itself sees all its items
    assert "Survivor testimony Ana" in client.get(f"/assessments/{aid}/print").get_data(as_text=True)
