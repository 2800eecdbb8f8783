"""Route-by-role expectations for peer groups (imported by test_permissions_walk).

Peer groups are for the network: facilitators and the secretariat read them (page, CSV, JSON, API), only the
secretariat (and admins) computes them again, while the cycle is open. City members and coordinators get 403:
the cycle is visible to them, its peer-group map is not. The world stores one run for the walk's cycle (two
cities: too few to group, so the page shows that state).
"""
from tests.app.test_permissions_walk import S

READERS = S(302, 403, 403, 200, 200, 200)

EXPECTED = {
    "indicators.peer_groups": ("GET", READERS),
    "indicators.peer_groups_csv": ("GET", READERS),
    "indicators.peer_groups_json": ("GET", READERS),
    "indicators.peer_groups_run": ("POST", S(302, 403, 403, 403, 302, 302), {"seed": "1"}),
    "api.get_peer_groups": ("GET", S(401, 403, 403, 200, 200, 200)),
    "api.run_peer_groups": ("POST", S(401, 403, 403, 403, 201, 201), {"seed": 1}),
}


def world(db, city_a, users, cycle) -> dict:
    from peer_review.indicators import peergroup_service
    peergroup_service.run(cycle, seed=0, user=users["secretariat"])
    db.session.commit()
    return {}
