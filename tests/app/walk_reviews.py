"""Route-by-role expectations for peer reviews and city responses (imported by test_permissions_walk).

The world: a cycle of its own where city A has submitted its self-assessment; city B (its coordinator is the
walk's "other_coordinator") is a published reviewer of A with a draft review (one strength, one
recommendation); a third city C has submitted a review of A that is released, so A (the walk's "member") has a
draft response with one item. A's member does not see B's unreleased review (404); B writes it; facilitators
see nothing of it (404); the secretariat and admins read everything and release and reopen, never write (403).
"""
import pytest

ROLES = ["anonymous", "member", "other_coordinator", "facilitator", "secretariat", "admin"]


def S(anon, member, other, facilitator, secretariat, admin):
    """As test_permissions_walk.S (not imported from there: the review tests import this module's fixtures,
    and that module imports every walk_ module)."""
    return dict(zip(ROLES, (anon, member, other, facilitator, secretariat, admin)))

REVIEWER_READ = S(302, 404, 200, 404, 200, 200)
REVIEWER_WRITE = lambda code: S(302, 404, code, 404, 403, 403)
API_REVIEWER_WRITE = lambda code: S(401, 404, code, 404, 403, 403)

EXPECTED = {
    "reviews.index": ("GET", S(302, 200, 200, 200, 200, 200)),
    "reviews.start": ("POST", S(302, 404, 404, 404, 404, 404)),  # no assignment given
    "reviews.cycle_list": ("GET", S(302, 403, 403, 403, 200, 200)),
    "reviews.release": ("POST", S(302, 403, 403, 403, 302, 302)),  # nothing waiting: a message, back to the list
    "reviews.overview": ("GET", REVIEWER_READ),
    "reviews.section": ("GET", REVIEWER_READ),
    "reviews.summary": ("GET", REVIEWER_READ),
    "reviews.read": ("GET", REVIEWER_READ),
    "reviews.save_criterion": ("POST", REVIEWER_WRITE(200), {"gov.1__version": "0", "gov.1__comment": "Walks"}),
    "reviews.add_strength": ("POST", REVIEWER_WRITE(400)),  # no text
    "reviews.edit_strength": ("POST", REVIEWER_WRITE(409)),  # no version: based on none, a conflict
    "reviews.delete_strength": ("POST", REVIEWER_WRITE(302), {"version": "1"}),
    "reviews.add_recommendation": ("POST", REVIEWER_WRITE(400)),
    "reviews.edit_recommendation": ("POST", REVIEWER_WRITE(409)),
    "reviews.delete_recommendation": ("POST", REVIEWER_WRITE(302), {"version": "1"}),
    "reviews.submit": ("POST", REVIEWER_WRITE(400)),  # criteria not reviewed yet
    "reviews.reopen": ("POST", S(302, 404, 403, 404, 302, 302), {"reason": "x"}),  # a draft: nothing to reopen
    "reviews.response": ("GET", S(302, 200, 200, 404, 200, 200)),
    "reviews.submit_response": ("POST", S(302, 400, 403, 404, 403, 403)),  # no decision yet
    "reviews.progress": ("POST", S(302, 302, 403, 404, 403, 403)),  # not submitted yet: a message
    "api.list_reviews": ("GET", S(401, 200, 200, 200, 200, 200)),
    "api.start_review": ("POST", S(401, 404, 200, 404, 404, 404)),  # B's assignment, already started
    "api.get_review": ("GET", S(401, 404, 200, 404, 200, 200)),
    "api.update_review_answer": ("PATCH", API_REVIEWER_WRITE(428), {"comment": "x"}),  # no If-Match
    "api.add_review_strength": ("POST", API_REVIEWER_WRITE(422)),
    "api.update_review_strength": ("PATCH", API_REVIEWER_WRITE(428)),
    "api.delete_review_strength": ("DELETE", API_REVIEWER_WRITE(428)),
    "api.add_review_recommendation": ("POST", API_REVIEWER_WRITE(422)),
    "api.update_review_recommendation": ("PATCH", API_REVIEWER_WRITE(428)),
    "api.delete_review_recommendation": ("DELETE", API_REVIEWER_WRITE(428)),
    "api.submit_review": ("POST", API_REVIEWER_WRITE(422)),
    "api.release_reviews": ("POST", S(401, 403, 403, 403, 422, 422)),  # nothing waiting
    "api.get_response": ("GET", S(401, 200, 200, 404, 200, 200)),
    "api.update_response_item": ("PATCH", S(401, 428, 403, 404, 403, 403)),
    "api.submit_response": ("POST", S(401, 422, 403, 404, 403, 403)),
    "api.update_response_progress": ("PATCH", S(401, 422, 403, 404, 403, 403)),
}


def _rubric(db):
    from peer_review.rubrics.models import RubricVersion
    from tests.fixtures.rubrics import store_rubric
    found = db.session.execute(db.select(RubricVersion).filter_by(rubric_id="fixture", version="1.0")
                               ).scalar_one_or_none()
    return found or store_rubric(db)


def build(db, city_a, reviewer_cities, cycle_name="Review walk round", starts=None, actor=None, version=None,
          submit=True, answers=None):
    """A cycle with city A's self-assessment (submitted unless told) and a published assignment for each
    reviewer city. ``answers``: criterion id -> extra answer fields (evidence_ids)."""
    import datetime as dt

    from peer_review.assessments import operations as aops
    from peer_review.assignments.models import Assignment
    from peer_review.cycles.models import Cycle
    from tests.fixtures.rubrics import CRITERIA

    version = version or _rubric(db)
    starts = starts or dt.date(2027, 3, 1)
    cycle = Cycle(name=cycle_name, starts_on=starts, ends_on=starts.replace(month=12), state="open",
                  cities=[city_a, *reviewer_cities], rubric_version_id=version.id, phase="peer_review")
    db.session.add(cycle)
    db.session.flush()
    assessment = aops.get_or_start(city_a, cycle, actor=actor)
    for n, cid in enumerate(CRITERIA):
        data = {"level": 2, "justification": f"Our answer on {cid}"} if n != 3 else \
            {"not_applicable": True, "na_reason": "No young people's council here"}
        data.update((answers or {}).get(cid, {}))
        aops.save_answer(assessment, cid, data, None, actor=actor)
    if submit:
        aops.submit(assessment, actor=actor)
    assignments = []
    for city in reviewer_cities:
        a = Assignment(cycle_id=cycle.id, reviewer_city_id=city.id, reviewed_city_id=city_a.id, state="published")
        db.session.add(a)
        assignments.append(a)
    db.session.flush()
    return cycle, assessment, assignments


def complete(db, review, actor=None):
    """Every criterion reviewed and one recommendation: ready to submit."""
    from peer_review.reviews import operations as ops
    from tests.fixtures.rubrics import CRITERIA
    for cid in CRITERIA:
        ops.save_answer(review, cid, {"level": 2 if cid != "inc.2" else None, "agreement": "agree"}, None,
                        actor=actor)
    if not review.recommendations:
        ops.save_recommendation(review, None, {"text": "Fund the plan", "priority": "high",
                                               "criterion_ids": ["gov.1"]}, actor=actor)
    return review


def world(db, city_a, users, cycle) -> dict:
    from peer_review.cities.models import City
    from peer_review.reviews import operations as ops
    from peer_review.reviews import responses as rops

    city_b = users["other_coordinator"].memberships[0].city
    city_c = City(name="Gamma Village", slug="gamma", country="Nowhere", region="africa",
                  population_band="100k_500k", languages="en", timezone="UTC")
    db.session.add(city_c)
    db.session.flush()
    own, _assessment, (by_b, by_c) = build(db, city_a, [city_b, city_c], actor=users["member"])
    review_b = ops.get_or_start(by_b, actor=users["other_coordinator"])
    strength = ops.save_strength(review_b, None, {"text": "Strong council", "criterion_ids": ["gov.1"]})
    rec_b = ops.save_recommendation(review_b, None, {"text": "Publish the plan", "priority": "medium",
                                                     "criterion_ids": ["gov.2"]})
    review_c = complete(db, ops.get_or_start(by_c))
    ops.submit(review_c)
    ops.release(own, city_a.id, actor=users["secretariat"])
    response = rops.get_or_start(own, city_a, actor=users["member"])
    db.session.commit()
    return {"review_id": review_b.id, "strength_id": strength.id, "recommendation_id": rec_b.id,
            "review_cycle_id": own.id, "city_slug": city_a.slug, "assignment_id": by_b.id,
            "response_id": response.id, "rec_id": review_c.recommendations[0].id,
            "section_id": "governance", "criterion_id": "gov.1"}


@pytest.fixture
def peer(app, make_city, make_user):
    """City A (reviewed; a member), city B (reviewer; two members), staff, and a 2027 cycle in which A's
    self-assessment is a draft and B's assignment to review A is published. ``peer["submit"]()`` submits A's."""
    import datetime as dt

    from peer_review.assessments import operations as aops
    from peer_review.extensions import db
    city_a = make_city("Alpha City", slug="alpha")
    city_b = make_city("Beta Town", slug="beta")
    people = {
        "a_member": make_user("member@a.example", city=city_a),
        "b_one": make_user("one@b.example", city=city_b, city_role="coordinator"),
        "b_two": make_user("two@b.example", city=city_b),
        "facilitator": make_user("fac@net.example", roles=["facilitator"]),
        "secretariat": make_user("sec@net.example", roles=["secretariat"]),
    }
    cycle, assessment, (assignment,) = build(db, city_a, [city_b], cycle_name="2027 round",
                                             starts=dt.date(2027, 3, 1), actor=people["a_member"], submit=False)
    db.session.commit()

    def submit():
        aops.submit(assessment, actor=people["a_member"])
        db.session.commit()
    return {"city_a": city_a, "city_b": city_b, "cycle": cycle, "assessment": assessment,
            "assignment": assignment, "submit": submit, **people}
