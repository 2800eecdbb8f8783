"""Route-by-role expectations for the indicator dashboards, the drill-down and the indicators API (imported by
test_permissions_walk).

A city's indicators are its own: its members, facilitators and the secretariat read them; another city's
coordinator gets 403 (the city itself is visible to everyone signed in). The network dashboard is for the
secretariat and facilitators. The walk's cycle has no rubric version, so a section's answers are 404 for everyone
who may read the city.
"""
from tests.app.test_permissions_walk import API_ALL, SIGNED_IN, S

CITY_READERS = S(302, 200, 403, 200, 200, 200)

EXPECTED = {
    "indicators.index": ("GET", SIGNED_IN(302)),
    "indicators.definitions_page": ("GET", SIGNED_IN(200)),
    "indicators.city": ("GET", CITY_READERS),
    "indicators.evidence_behind": ("GET", CITY_READERS),
    "indicators.answers_behind": ("GET", S(302, 404, 403, 404, 404, 404)),
    "indicators.network": ("GET", S(302, 403, 403, 200, 200, 200)),
    # Without ?cycle= a city chart names no cycle: 404 for everyone who may read the city.
    "indicators.city_chart_fragment": ("GET", S(302, 404, 403, 404, 404, 404)),
    "indicators.network_chart_fragment": ("GET", S(302, 403, 403, 200, 200, 200)),
    "api.indicator_definitions": ("GET", API_ALL),
    "api.indicator_values": ("GET", API_ALL),
    "api.city_indicators": ("GET", S(401, 200, 403, 200, 200, 200)),
}


def world(db, city_a, users, cycle) -> dict:
    return {"key": "trust", "section_id": "governance", "name": "distributions"}
