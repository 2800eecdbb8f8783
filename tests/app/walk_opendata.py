"""Route-by-role expectations for open data (imported by test_permissions_walk).

The world: one published release of the walk's cycle. Published data is read by anyone, signed in or not; only
the secretariat publishes.
"""
from tests.app.test_permissions_walk import S

ANYONE = S(200, 200, 200, 200, 200, 200)

EXPECTED = {
    "opendata.index": ("GET", ANYONE),
    "opendata.cycle": ("GET", ANYONE),
    "opendata.publish": ("POST", S(401, 403, 403, 403, 302, 302)),
    "opendata.latest_file": ("GET", ANYONE),
    "opendata.release_file": ("GET", ANYONE),
    "opendata.dictionary": ("GET", ANYONE),
    "api.get_open_data": ("GET", ANYONE),
    "api.publish_open_data": ("POST", S(401, 403, 403, 403, 201, 201)),
}


def world(db, city_a, users, cycle) -> dict:
    from peer_review.opendata.models import OpenDataRelease
    release = OpenDataRelease(cycle_id=cycle.id, number=1, rows=[{"city": city_a.slug, "indicator": "trust",
                                                                  "value": 0.4}],
                              dictionary=[], licence="CC-BY-4.0", sha256="0" * 64)
    db.session.add(release)
    db.session.commit()
    return {"number": 1, "fmt": "csv"}
