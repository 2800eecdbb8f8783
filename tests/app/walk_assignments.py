"""Route-by-role expectations for cycle phases, conflicts of interest and peer assignments (imported by
test_permissions_walk). City B's coordinator is one of the two cities of the world's conflict (B and Delta), so
they see it but may not withdraw it; city A's member does not see it (404). Only the secretariat and admins
move a cycle, propose, edit and publish assignments."""
from tests.app.test_permissions_walk import API_ALL, SIGNED_IN, STAFF_ONLY, S

STAFF_POST = S(302, 403, 403, 403, 302, 302)
STAFF_API = lambda ok: S(401, 403, 403, 403, ok, ok)

EXPECTED = {
    "cycles.advance": ("POST", STAFF_POST),
    "assignments.index": ("GET", STAFF_ONLY),
    "assignments.settings": ("GET", STAFF_ONLY),
    "assignments.propose": ("POST", STAFF_POST),
    "assignments.add": ("POST", STAFF_POST),
    "assignments.remove": ("POST", STAFF_POST),
    "assignments.publish": ("POST", STAFF_POST),
    "assignments.conflicts": ("GET", SIGNED_IN(200)),
    "assignments.declare_conflict": ("GET", S(302, 403, 200, 403, 200, 200)),
    "assignments.withdraw_conflict": ("POST", S(302, 404, 403, 404, 302, 302)),
    "api.advance_cycle": ("POST", STAFF_API(422)),  # the world's cycle has no rubric version yet
    "api.list_conflicts": ("GET", API_ALL),
    "api.declare_conflict": ("POST", S(401, 403, 422, 403, 422, 422)),
    "api.withdraw_conflict": ("DELETE", S(401, 404, 403, 404, 204, 204)),
    "api.list_assignments": ("GET", API_ALL),
    "api.propose_assignments": ("POST", STAFF_API(200)),
    "api.publish_assignments": ("POST", STAFF_API(422)),  # nothing proposed in the world's cycle
    "api.create_assignment": ("POST", STAFF_API(422)),
    "api.delete_assignment": ("DELETE", S(401, 404, 404, 404, 204, 204)),
}


def world(db, city_a, users, cycle) -> dict:
    """A conflict between city B and a third city, and a proposed pair in a cycle of its own."""
    import datetime as dt

    from peer_review.assignments.models import Assignment, Conflict
    from peer_review.cities.models import City
    from peer_review.cycles.models import Cycle
    city_b = users["other_coordinator"].memberships[0].city
    delta = City(name="Delta Port", slug="delta", country="Nowhere", region="asia", population_band="lt_100k")
    db.session.add(delta)
    db.session.flush()
    low, high = sorted((city_b, delta), key=lambda c: c.id)
    conflict = Conflict(city_a_id=low.id, city_b_id=high.id, reason="Shared consultant")
    own = Cycle(name="Assignment walk round", starts_on=dt.date(2027, 1, 1), ends_on=dt.date(2027, 12, 1),
                state="open", phase="self_assessment", cities=[city_a, delta])
    db.session.add_all([conflict, own])
    db.session.flush()
    pair = Assignment(cycle_id=own.id, reviewer_city_id=delta.id, reviewed_city_id=city_a.id, state="proposed",
                      source="auto")
    db.session.add(pair)
    db.session.commit()
    return {"conflict_id": conflict.id, "assignment_id": pair.id}
