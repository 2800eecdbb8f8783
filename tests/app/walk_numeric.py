"""Route-by-role expectations for the numbers a city reports (imported by test_permissions_walk).

City A's numbers are read by its members, facilitators and the network staff; they are changed by its members
and the secretariat (admins hold every right). Another city's coordinator does not see them at all (404). The
world's entry is city A's, in no cycle; the import token is not a real one, so confirming it is a 404 for
everyone allowed to import.
"""
from tests.app.test_permissions_walk import S

READ = S(302, 200, 404, 200, 200, 200)
EDIT = S(302, 200, 404, 403, 200, 200)
API_READ = S(401, 200, 404, 200, 200, 200)
API_EDIT = S(401, 200, 404, 403, 200, 200)

EXPECTED = {
    "indicators.numeric_list": ("GET", READ),
    "indicators.numeric_history": ("GET", READ),
    "indicators.numeric_template": ("GET", READ),
    "indicators.numeric_new": ("GET", EDIT),
    "indicators.numeric_edit": ("GET", EDIT),
    "indicators.numeric_withdraw": ("GET", EDIT),
    "indicators.numeric_import": ("GET", EDIT),
    "indicators.numeric_import_confirm": ("POST", S(302, 404, 404, 403, 404, 404)),
    "api.list_numeric_entries": ("GET", API_READ),
    "api.create_numeric_entry": ("POST", S(401, 422, 404, 403, 422, 422)),
    "api.get_numeric_entry": ("GET", API_READ),
    "api.update_numeric_entry": ("PATCH", API_EDIT, {"version": 1, "value": 5}),
    "api.withdraw_numeric_entry": ("DELETE", API_EDIT),
    "api.numeric_entry_history": ("GET", API_READ),
}


def world(db, city_a, users, cycle) -> dict:
    import datetime as dt

    from peer_review.indicators import definitions, numeric
    defs = definitions.definitions_for(definitions.ensure_loaded(), city_a.id)
    entry = numeric.create_entry(city_a, {
        "indicator": "homicide_rate", "value": 7.5, "unit": "per_100k", "period_start": dt.date(2025, 1, 1),
        "period_end": dt.date(2025, 12, 31), "source": "Police annual report", "is_proxy": False}, defs,
        actor=users["member"])
    db.session.commit()
    return {"entry_id": entry.id, "import_token": "n" * 43}
