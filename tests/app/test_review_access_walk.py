"""Who sees what as the cycle moves: every page and API read of the review world, walked as the reviewer city's
member and the reviewed city's member in each state (the route walk's fixed world has only one of them):
before the city submits, once it has submitted (review in draft), once the review is submitted but not released,
after release, and after the assignment is removed."""
from __future__ import annotations

import pytest

from peer_review.extensions import db
from tests.app.walk_reviews import complete, peer  # noqa: F401
from tests.conftest import login_as

# What each state lets each person read: (reviewer, reviewed city) per route, None where the route has no
# object yet (no review exists before the city submits).
STATES = {
    "city draft": {"assessment": (404, 200), "city_item": (404, 200), "restricted_item": (404, 200),
                   "review": None},
    "review draft": {"assessment": (200, 200), "city_item": (200, 200), "restricted_item": (404, 200),
                     "review": (200, 404)},
    "review submitted": {"assessment": (200, 200), "city_item": (200, 200), "restricted_item": (404, 200),
                         "review": (200, 404)},
    "released": {"assessment": (200, 200), "city_item": (200, 200), "restricted_item": (404, 200),
                 "review": (200, 200)},
    "assignment removed": {"assessment": (404, 200), "city_item": (404, 200), "restricted_item": (404, 200),
                           "review": (404, 200)},
}


def _routes(peer, items, review_id):
    aid = peer["assessment"].id
    out = {"assessment": [f"/assessments/{aid}", f"/assessments/{aid}/sections/governance",
                          f"/assessments/{aid}/print", ("api", f"/api/v1/assessments/{aid}")],
           "city_item": [f"/evidence/{items['city'].id}", ("api", f"/api/v1/evidence/{items['city'].id}")],
           "restricted_item": [f"/evidence/{items['restricted'].id}",
                               ("api", f"/api/v1/evidence/{items['restricted'].id}")]}
    if review_id is not None:
        out["review"] = [f"/reviews/{review_id}/read", ("api", f"/api/v1/reviews/{review_id}")]
    return out


def _bring_to(state, peer, items):
    from peer_review.reviews import operations as ops
    if state == "city draft":
        return None
    peer["submit"]()
    review = ops.get_or_start(peer["assignment"], actor=peer["b_one"])
    if state in ("review submitted", "released", "assignment removed"):
        complete(db, review)
        ops.submit(review)
    if state in ("released", "assignment removed"):
        ops.release(peer["cycle"], peer["city_a"].id, actor=peer["secretariat"])
    if state == "assignment removed":
        from peer_review.assignments import operations as assignment_ops
        assignment_ops.remove(peer["assignment"], actor=peer["secretariat"])
    db.session.commit()
    return review.id


@pytest.mark.parametrize("state", list(STATES))
def test_who_reads_what_in_each_state(client, peer, api_token, state):
    from peer_review.evidence.models import EvidenceItem
    common = {"city_id": peer["city_a"].id, "cycle_id": peer["cycle"].id, "type": "narrative",
              "text": "Notes from the walk", "language": "en", "consent": "obtained"}
    items = {"city": EvidenceItem(title="Safety walk findings", visibility="city", **common),
             "restricted": EvidenceItem(title="A survivor's account", visibility="restricted", **common)}
    db.session.add_all(items.values())
    db.session.commit()
    review_id = _bring_to(state, peer, items)
    people = {0: peer["b_two"], 1: peer["a_member"]}
    tokens = {k: api_token(p) for k, p in people.items()}
    seen = []
    for what, urls in _routes(peer, items, review_id).items():
        expected = STATES[state][what]
        for who, person in people.items():
            login_as(client, person)
            for url in urls:
                if isinstance(url, tuple):
                    got = client.get(url[1], headers=tokens[who]).status_code
                else:
                    got = client.get(url).status_code
                seen.append((what, ("reviewer", "city")[who], url if isinstance(url, str) else url[1], got,
                             expected[who]))
    wrong = [s for s in seen if s[3] != s[4]]
    assert not wrong, f"{state}: {wrong}"
