"""Route-by-role expectations for the good-practice library (imported by test_permissions_walk).

The world: a practice of city A shown only to the city and facilitators. Everyone signed in reads the library;
another city's coordinator is not told the practice exists (404); a facilitator reads it but changes nothing.
"""
from tests.app.test_permissions_walk import SIGNED_IN, S

EXPECTED = {
    "practices.index": ("GET", SIGNED_IN(200)),
    "practices.show": ("GET", S(302, 200, 404, 200, 200, 200)),
    "practices.new": ("GET", S(302, 200, 403, 403, 200, 200)),
    "practices.edit": ("GET", S(302, 200, 404, 403, 200, 200)),
    "practices.choose_city": ("GET", S(302, 302, 302, 403, 200, 200)),  # one city: straight to its form
    "api.list_practices": ("GET", S(401, 200, 200, 200, 200, 200)),
    "api.create_practice": ("POST", S(401, 422, 422, 422, 422, 422)),  # no body
}


def world(db, city_a, users, cycle) -> dict:
    from peer_review.practices.models import Practice
    practice = Practice(city_id=city_a.id, cycle_id=cycle.id, title="Night-time street lighting walks",
                        summary="Residents and the lighting team walk the streets together each quarter.",
                        language="en", visibility="city", created_by_id=users["member"].id)
    db.session.add(practice)
    db.session.commit()
    return {"practice_id": practice.id}
