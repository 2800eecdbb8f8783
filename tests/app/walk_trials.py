"""Route-by-role expectations for field trials and a city's local indicators (imported by test_permissions_walk).

The world: the open cycle with cities A and B; city A has one local indicator. A's member rates A (the
secretariat may too); B's coordinator neither rates A nor sees A's local indicators (403 on the list, 404 on what
only A's coordinators change); facilitators read ratings, the summary and local indicators but never change
them; the summary page sends a city's people to their own city's form; only the secretariat decides tiers.
"""
from tests.app.test_permissions_walk import S

EXPECTED = {
    "indicators.trial_rate": ("GET", S(302, 200, 403, 403, 200, 200)),
    "indicators.trial_summary": ("GET", S(302, 302, 302, 200, 200, 200)),
    "indicators.trial_summary_csv": ("GET", S(302, 403, 403, 200, 200, 200)),
    "indicators.trial_summary_json": ("GET", S(302, 403, 403, 200, 200, 200)),
    "indicators.trial_decide": ("POST", S(302, 403, 403, 403, 400, 400)),  # nothing chosen, no reason
    "indicators.local_list": ("GET", S(302, 200, 403, 200, 200, 200)),
    "indicators.local_new": ("GET", S(302, 403, 404, 403, 200, 200)),
    "indicators.local_edit": ("GET", S(302, 403, 404, 403, 200, 200)),
    "indicators.local_retire": ("POST", S(302, 403, 404, 403, 302, 302)),
    "api.get_trial_ratings": ("GET", S(401, 200, 403, 200, 200, 200)),
    "api.put_trial_ratings": ("PUT", S(401, 415, 403, 403, 415, 415)),  # the walk sends no JSON with a PUT
    "api.get_trial_summary": ("GET", S(401, 403, 403, 200, 200, 200)),
    "api.list_local_indicators": ("GET", S(401, 200, 403, 200, 200, 200)),
    "api.create_local_indicator": ("POST", S(401, 403, 404, 403, 422, 422)),  # an empty definition
    "api.update_local_indicator": ("PATCH", S(401, 403, 404, 403, 200, 200)),  # nothing changed
    "api.retire_local_indicator": ("DELETE", S(401, 403, 404, 403, 204, 204)),
}


def world(db, city_a, users, cycle) -> dict:
    from peer_review.indicators.models import LocalIndicator
    row = LocalIndicator(city_id=city_a.id, key="street_lights", content={
        "id": "street_lights", "name": {"en": "Street lights", "es": "Street lights", "fr": "Street lights"},
        "definition": {"en": "Lights.", "es": "Lights.", "fr": "Lights."}, "family": "process",
        "direction": "more", "tier": "local", "codes": [], "numeric": True, "unit": "count",
        "goalposts": {"low": 0, "high": 10}, "weight": 1})
    db.session.add(row)
    db.session.commit()
    return {"local_id": row.id}
