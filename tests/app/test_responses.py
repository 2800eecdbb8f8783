"""The reviewed city's response: available once a review is released, one item per recommendation, versioned
decisions, submission rules and locking, progress afterwards, read-only for reviewers, and the follow-up of an
earlier cycle's recommendations on the next cycle's workspace and response page."""
from __future__ import annotations

import datetime as dt

import pytest

from peer_review.extensions import db
from peer_review.reviews import operations as ops
from peer_review.reviews import responses as rops
from peer_review.reviews.models import CityResponse, RecommendationResponse
from tests.app.walk_reviews import build, complete, peer  # noqa: F401
from tests.conftest import login_as


def released(peer, recommendations=("Fund the plan",)):
    """B's review of A, complete with the given recommendations, submitted and released."""
    peer["submit"]()
    review = ops.get_or_start(peer["assignment"], actor=peer["b_one"])
    for text in recommendations:
        ops.save_recommendation(review, None, {"text": text, "priority": "high", "criterion_ids": ["gov.1"]})
    complete(db, review)
    ops.submit(review)
    ops.release(peer["cycle"], actor=peer["secretariat"])
    db.session.commit()
    return review


def page_url(peer, cycle=None):
    return f"/reviews/responses/{(cycle or peer['cycle']).id}/alpha"


def test_no_response_before_a_review_is_released(client, peer, api_token):
    peer["submit"]()
    review = ops.get_or_start(peer["assignment"])
    complete(db, review)
    ops.submit(review)
    db.session.commit()
    login_as(client, peer["a_member"])
    r = client.get(page_url(peer))
    assert r.status_code == 200 and "No review of this city has been released yet" in r.get_data(as_text=True)
    assert db.session.execute(db.select(CityResponse)).first() is None
    r = client.get(f"/api/v1/cycles/{peer['cycle'].id}/responses/alpha", headers=api_token(peer["a_member"]))
    assert r.status_code == 422
    with pytest.raises(ops.ValidationFailed):
        rops.get_or_start(peer["cycle"], peer["city_a"])


def test_the_city_decides_on_each_recommendation_then_submits(client, peer):
    review = released(peer, ("Fund the plan", "Publish the minutes"))
    login_as(client, peer["a_member"])
    page = client.get(page_url(peer)).get_data(as_text=True)
    assert "Fund the plan" in page and "Publish the minutes" in page and "from Beta Town" in page
    response = db.session.execute(db.select(CityResponse)).scalar_one()
    first, second = [r.id for r in review.recommendations]
    items = {i.recommendation_id: i for i in response.items}
    assert set(items) == {first, second} and all(i.version == 1 for i in items.values())

    r = client.post(page_url(peer), data={f"r{first}__version": "1", f"r{first}__decision": "accept",
                                          f"r{first}__action": "Budget line 2028", f"r{second}__version": "1"})
    assert r.status_code == 302
    r = client.post(f"{page_url(peer)}/submit")
    text = r.get_data(as_text=True)
    assert r.status_code == 400 and "Recommendation 1: say which action, who owns it and when it is due" in text
    assert "Recommendation 2: choose accept" in text
    # A stale save keeps what was typed and shows what is saved now.
    r = client.post(page_url(peer), data={f"r{first}__version": "1", f"r{first}__decision": "decline",
                                          f"r{first}__comment": "We typed this late", f"r{second}__version": "1"})
    body = r.get_data(as_text=True)
    assert r.status_code == 409 and "We typed this late" in body and "Budget line 2028" in body
    db.session.expire_all()
    assert db.session.get(RecommendationResponse, items[first].id).decision == "accept"
    r = client.post(page_url(peer), data={
        f"r{first}__version": "2", f"r{first}__decision": "accept", f"r{first}__action": "Budget line 2028",
        f"r{first}__action_owner": "Finance department", f"r{first}__action_due": "2028-01-31",
        f"r{second}__version": "1", f"r{second}__decision": "decline", f"r{second}__comment": "Already public"})
    assert r.status_code == 302
    assert client.post(f"{page_url(peer)}/submit").status_code == 302
    db.session.expire_all()
    response = db.session.get(CityResponse, response.id)
    assert response.locked and db.session.get(RecommendationResponse, items[first].id).action_due == dt.date(2028, 1, 31)
    # Locked: the decisions stay; the progress form appears.
    with pytest.raises(rops.ResponseLocked):
        rops.save_item(response, first, {"decision": "decline"}, None)
    page = client.get(page_url(peer)).get_data(as_text=True)
    assert "Save progress" in page and f'name="r{first}__decision"' not in page
    assert client.post(page_url(peer), data={f"r{first}__version": "3"}).status_code == 302  # refused, flashed
    r = client.post(f"{page_url(peer)}/progress/{first}", data={"version": "3", "progress": "in_progress",
                                                               "progress_note": "Tender out"})
    assert r.status_code == 302
    db.session.expire_all()
    item = db.session.get(RecommendationResponse, items[first].id)
    assert item.progress == "in_progress" and item.progress_note == "Tender out"


def test_progress_waits_for_submission_and_values_are_checked(peer):
    released(peer)
    response = rops.get_or_start(peer["cycle"], peer["city_a"])
    item = rops.items(response)[0]
    with pytest.raises(ops.ValidationFailed):
        rops.update_progress(item, "done")
    with pytest.raises(ops.ValidationFailed) as err:
        rops.save_item(response, item.recommendation_id, {"decision": "maybe", "action_due": "tomorrow"}, None)
    assert set(err.value.fields) == {"decision", "action_due"}
    with pytest.raises(ops.ValidationFailed):
        rops.save_item(response, 999_999, {"decision": "accept"}, None)
    db.session.rollback()


def test_reviewers_and_the_secretariat_read_the_response_but_do_not_write_it(client, peer, api_token):
    review = released(peer)
    login_as(client, peer["b_one"])
    assert "s response to the recommendations" not in client.get(f"/reviews/{review.id}").get_data(as_text=True)
    login_as(client, peer["a_member"])
    client.get(page_url(peer))  # starts it
    response = db.session.execute(db.select(CityResponse)).scalar_one()
    rec_id = response.items[0].recommendation_id
    login_as(client, peer["b_one"])
    assert "s response to the recommendations" in client.get(f"/reviews/{review.id}").get_data(as_text=True)
    for person in ("b_one", "secretariat"):
        login_as(client, peer[person])
        page = client.get(page_url(peer))
        assert page.status_code == 200 and "Fund the plan" in page.get_data(as_text=True)
        assert "Your decision" not in page.get_data(as_text=True)
        assert client.post(page_url(peer), data={f"r{rec_id}__decision": "accept"}).status_code == 403
        r = client.patch(f"/api/v1/responses/{response.id}/items/{rec_id}", json={"decision": "accept"},
                         headers={**api_token(peer[person]), "If-Match": '"v1"'})
        assert r.status_code == 403
    login_as(client, peer["facilitator"])
    assert client.get(page_url(peer)).status_code == 404


def test_the_api_response_flow(client, peer, api_token):
    released(peer)
    headers = api_token(peer["a_member"])
    r = client.get(f"/api/v1/cycles/{peer['cycle'].id}/responses/alpha", headers=headers)
    assert r.status_code == 200
    body = r.get_json()
    item = body["items"][0]
    assert item["recommendation"] == "Fund the plan" and item["reviewer"] == "beta" and item["etag"] == '"v1"'
    url = f"/api/v1/responses/{body['id']}/items/{item['recommendation_id']}"
    assert client.patch(url, json={"decision": "accept"}, headers=headers).status_code == 428
    r = client.patch(url, json={"decision": "partial", "action": "Pilot", "action_owner": "Mayor's office",
                                "action_due": "2027-11-30"}, headers={**headers, "If-Match": '"v1"'})
    assert r.status_code == 200 and r.get_json()["action_due"] == "2027-11-30"
    r = client.patch(url, json={"decision": "decline"}, headers={**headers, "If-Match": '"v1"'})
    assert r.status_code == 409 and r.get_json()["current"]["decision"] == "partial"
    assert client.patch(url + "/progress", json={"progress": "done"}, headers=headers).status_code == 422
    r = client.post(f"/api/v1/responses/{body['id']}/submit", headers=headers)
    assert r.status_code == 200 and r.get_json()["state"] == "submitted"
    r = client.patch(url + "/progress", json={"progress": "done", "note": "Piloted"}, headers=headers)
    assert r.status_code == 200 and r.get_json()["progress"] == "done"


def test_follow_up_of_the_earlier_cycle_on_the_next_workspace_and_response_page(client, peer):
    """2026: B reviewed A and recommended "Train night-bus drivers"; A accepted it and reports progress. 2027:
    B reviews A again (and a new reviewer, C, too): both see what became of it, and so does A."""
    review_2027 = peer  # the 2027 round from the fixture
    earlier, _assessment, (assignment_2026,) = build(db, peer["city_a"], [peer["city_b"]],
                                                     cycle_name="2026 round", starts=dt.date(2026, 3, 1))
    old = ops.get_or_start(assignment_2026)
    ops.save_recommendation(old, None, {"text": "Train night-bus drivers", "priority": "medium",
                                        "criterion_ids": ["inc.1"]})
    complete(db, old)
    ops.submit(old)
    ops.release(earlier, actor=peer["secretariat"])
    response = rops.get_or_start(earlier, peer["city_a"])
    for item in rops.items(response):
        rops.save_item(response, item.recommendation_id, {
            "decision": "accept", "action": "Driver course", "action_owner": "Transport agency",
            "action_due": "2026-12-01"}, None)
    rops.submit(response)
    rec = next(r for r in old.recommendations if r.text == "Train night-bus drivers")
    rops.update_progress(rec.response, "in_progress", "Half the drivers trained")
    earlier.state = "closed"  # progress is still followed once that cycle is closed
    db.session.commit()

    follow = rops.follow_up(peer["city_a"], review_2027["cycle"])
    assert follow["cycle"].id == earlier.id and rec.id in [row["recommendation"].id for row in follow["rows"]]
    assert rops.follow_up(peer["city_a"], earlier) is None

    peer["submit"]()
    new_review = ops.get_or_start(peer["assignment"])
    db.session.commit()
    login_as(client, peer["b_two"])
    page = client.get(f"/reviews/{new_review.id}").get_data(as_text=True)
    assert "Recommendations from the last cycle" in page and "Train night-bus drivers" in page
    assert "In progress" in page and "Half the drivers trained" in page and "Driver course" in page
    # The reviewers of the new cycle read the earlier response too.
    assert client.get(page_url(peer, earlier)).status_code == 200
    login_as(client, peer["a_member"])
    page = client.get(page_url(peer)).get_data(as_text=True)
    assert "Train night-bus drivers" in page and "Half the drivers trained" in page
    # The city still updates the earlier action's progress, in the closed cycle too.
    r = client.post(f"{page_url(peer, earlier)}/progress/{rec.id}",
                    data={"version": str(rec.response.version), "progress": "done", "progress_note": "All trained"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(RecommendationResponse, rec.response.id).progress == "done"


def test_a_reopened_review_keeps_the_recommendations_the_city_answered(peer):
    review = released(peer, ("Fund the plan", "Publish the minutes"))
    response = rops.get_or_start(peer["cycle"], peer["city_a"])
    answered, untouched = review.recommendations
    rops.save_item(response, answered.id, {"decision": "decline", "comment": "Done already"}, None)
    ops.reopen(review, "One recommendation is unclear", actor=peer["secretariat"])
    db.session.commit()
    assert not review.released and rops.items(response) == []  # withdrawn until released again
    with pytest.raises(ops.ValidationFailed):
        ops.delete_recommendation(review, answered, answered.version)
    ops.delete_recommendation(review, untouched, untouched.version)
    db.session.commit()
    assert [r.id for r in review.recommendations] == [answered.id]
    assert len(db.session.execute(db.select(RecommendationResponse)).all()) == 1
