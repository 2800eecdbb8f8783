"""One whole cycle through the JSON API only: the secretariat opens it, cities assess themselves and submit,
assignments are proposed and published, reviewers review and submit, the secretariat releases, cities respond,
the cycle moves through its phases and closes, and afterwards nothing in it can change."""
from __future__ import annotations

import pytest

from peer_review.extensions import db
from tests.fixtures.rubrics import store_rubric

CITIES = [("Alpha City", "alpha", "africa"), ("Beta Town", "beta", "europe"), ("Gamma Port", "gamma", "asia")]


@pytest.fixture
def network(app, make_city, make_user, api_token):
    version = store_rubric(db)
    cities = [make_city(name, slug=slug, region=region) for name, slug, region in CITIES]
    coordinators = {c.slug: make_user(f"coord@{c.slug}.example", city=c, city_role="coordinator") for c in cities}
    staff = make_user("sec@net.example", roles=["secretariat"])
    headers = {slug: api_token(user) for slug, user in coordinators.items()}
    headers["staff"] = api_token(staff)
    return {"version": version, "cities": cities, "headers": headers}


def _ok(response, status=200):
    assert response.status_code == status, (response.status_code, response.get_json())
    return response.get_json()


def test_a_whole_cycle_through_the_api(client, network):
    h = network["headers"]
    staff = h["staff"]
    body = {"name": "2027 round", "starts_on": "2027-01-01", "ends_on": "2027-12-15",
            "cities": ["alpha", "beta", "gamma"], "rubric_version": f"{network['version'].rubric_id}@1.0",
            "reviewers_per_city": 1,
            "phases": {"self_assessment": {"starts_on": "2027-01-10", "due_on": "2027-03-31"},
                       "peer_review": {"starts_on": "2027-04-01", "due_on": "2027-05-31"},
                       "city_response": {"starts_on": "2027-06-01", "due_on": "2027-06-30"}}}
    cycle = _ok(client.post("/api/v1/cycles", json=body, headers=staff), 201)
    cid = cycle["id"]
    assert cycle["state"] == "draft" and cycle["reviewers_per_city"] == 1
    assert _ok(client.post(f"/api/v1/cycles/{cid}/advance", headers=staff))["phase"] == "self_assessment"

    # Self-assessment: each city starts, answers every criterion (If-Match from what it read) and submits.
    for slug in ("alpha", "beta", "gamma"):
        assessment = _ok(client.post(f"/api/v1/cycles/{cid}/assessments", json={"city": slug}, headers=h[slug]),
                         201)
        for answer in assessment["answers"]:
            _ok(client.patch(f"/api/v1/assessments/{assessment['id']}/answers/{answer['criterion_id']}",
                             json={"level": 2, "justification": f"{slug}: a written plan approved by the council"},
                             headers=dict(h[slug], **{"If-Match": answer["etag"]})))
        assert _ok(client.post(f"/api/v1/assessments/{assessment['id']}/submit", headers=h[slug]))["state"] == \
            "submitted"
    # another city cannot start or read one for alpha
    assert client.post(f"/api/v1/cycles/{cid}/assessments", json={"city": "alpha"},
                       headers=h["beta"]).status_code == 403

    # Assignment: propose (a ring: nobody reviews itself, no swaps), then publish.
    proposal = _ok(client.post(f"/api/v1/cycles/{cid}/assignments/propose", json={"seed": 1}, headers=staff))
    pairs = {(p["reviewer"], p["reviewed"]) for p in proposal["items"]}
    assert len(pairs) == 3 and all(a != b for a, b in pairs) and not any((b, a) in pairs for a, b in pairs)
    assert proposal["violations"] == []
    _ok(client.post(f"/api/v1/cycles/{cid}/assignments/publish", headers=staff))
    assert _ok(client.post(f"/api/v1/cycles/{cid}/advance", headers=staff))["phase"] == "peer_review"

    # Peer review: each reviewer city finds its assignment, starts the review, answers, adds a strength and a
    # recommendation, submits.
    reviews = {}
    for reviewer, reviewed in sorted(pairs):
        mine = _ok(client.get(f"/api/v1/cycles/{cid}/assignments", headers=h[reviewer]))["items"]
        assignment = next(a for a in mine if a["reviewer"] == reviewer)
        assert assignment["reviewed"] == reviewed
        review = _ok(client.post(f"/api/v1/assignments/{assignment['id']}/review", headers=h[reviewer]), 201)
        review = _ok(client.get(f"/api/v1/reviews/{review['id']}", headers=h[reviewer]))
        for answer in review["answers"]:
            _ok(client.patch(f"/api/v1/reviews/{review['id']}/answers/{answer['criterion_id']}",
                             json={"level": 1, "agreement": "partly",
                                   "comment": "The plan exists; we saw no report on it yet."},
                             headers=dict(h[reviewer], **{"If-Match": answer["etag"]})))
        _ok(client.post(f"/api/v1/reviews/{review['id']}/strengths",
                        json={"text": "Quarterly women's safety walks with residents", "good_practice": True,
                              "criterion_ids": ["inc.1"]}, headers=h[reviewer]), 201)
        _ok(client.post(f"/api/v1/reviews/{review['id']}/recommendations",
                        json={"text": "Publish the plan's progress report every year", "priority": "high",
                              "criterion_ids": ["gov.1"]}, headers=h[reviewer]), 201)
        # the reviewed city cannot read it yet
        assert client.get(f"/api/v1/reviews/{review['id']}", headers=h[reviewed]).status_code == 404
        assert _ok(client.post(f"/api/v1/reviews/{review['id']}/submit", headers=h[reviewer]))["state"] == \
            "submitted"
        reviews[reviewed] = review["id"]

    # Release: the reviewed cities read their reviews now.
    released = _ok(client.post(f"/api/v1/cycles/{cid}/reviews/release", json={}, headers=staff))["released"]
    assert sorted(released) == sorted(reviews.values())
    for reviewed, review_id in reviews.items():
        assert _ok(client.get(f"/api/v1/reviews/{review_id}", headers=h[reviewed]))["released"] is True
    assert _ok(client.post(f"/api/v1/cycles/{cid}/advance", headers=staff))["phase"] == "city_response"

    # City response: a decision and an action for each recommendation, then submit.
    for slug in ("alpha", "beta", "gamma"):
        response = _ok(client.get(f"/api/v1/cycles/{cid}/responses/{slug}", headers=h[slug]))
        assert len(response["items"]) == 1
        item = response["items"][0]
        _ok(client.patch(f"/api/v1/responses/{response['id']}/items/{item['recommendation_id']}",
                         json={"decision": "accept", "comment": "Agreed with the council",
                               "action": "Annual progress report to the council", "action_owner": "Safety unit",
                               "action_due": "2028-03-31"},
                         headers=dict(h[slug], **{"If-Match": item["etag"]})))
        assert _ok(client.post(f"/api/v1/responses/{response['id']}/submit", headers=h[slug]))["state"] == \
            "submitted"

    # The remaining phases, then closed.
    for expected in ("evidence_coding", "reporting"):
        assert _ok(client.post(f"/api/v1/cycles/{cid}/advance", headers=staff))["phase"] == expected
    closed = _ok(client.post(f"/api/v1/cycles/{cid}/advance", headers=staff))
    assert closed["state"] == "closed" and closed["phase"] is None

    # Read-only once closed: answers, reviews, assignments, the cycle itself.
    some_review = next(iter(reviews.values()))
    reviewer = next(a for a, b in pairs if reviews[b] == some_review)
    review = _ok(client.get(f"/api/v1/reviews/{some_review}", headers=h[reviewer]))
    answer = review["answers"][0]
    refused = client.patch(f"/api/v1/reviews/{some_review}/answers/{answer['criterion_id']}", json={"level": 3},
                           headers=dict(h[reviewer], **{"If-Match": answer["etag"]}))
    assert refused.status_code == 409  # submitted, and the cycle closed: it stays as it is
    assert client.post(f"/api/v1/cycles/{cid}/reviews/release", json={}, headers=staff).status_code == 403
    assert client.post(f"/api/v1/cycles/{cid}/assignments/propose", json={}, headers=staff).status_code == 403
    assert client.patch(f"/api/v1/cycles/{cid}", json={"name": "Renamed"}, headers=staff).status_code == 403
    assert client.post(f"/api/v1/cycles/{cid}/advance", headers=staff).status_code == 403
    assert client.post(f"/api/v1/cycles/{cid}/assessments", json={"city": "alpha"},
                       headers=h["alpha"]).status_code == 403
    from peer_review.audit.models import AuditEntry
    actions = {a for (a,) in db.session.execute(db.select(AuditEntry.action)).all()}
    assert {"cycle.create", "cycle.advance", "assessment.submit", "assignment.propose", "assignment.publish",
            "review.submit", "review.release", "response.submit"} <= actions
