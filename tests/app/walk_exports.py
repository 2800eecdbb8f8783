"""Route-by-role expectations for the exports page, its downloads and the exports API (imported by
test_permissions_walk).

Everyone in the walk may export something: the member and the other city's coordinator their own city, the
secretariat, facilitators and admins the whole cycle. Without ?cycle= a download takes the newest cycle the person
may export from; without ?city= every city they may export. Which rows each person gets, and 403 for another
city, are in test_exports.
"""
from tests.app.test_permissions_walk import API_ALL, SIGNED_IN

EXPECTED = {
    "exports.index": ("GET", SIGNED_IN(200)),
    "exports.download": ("GET", SIGNED_IN(200)),
    "api.export_table": ("GET", API_ALL),
}


def world(db, city_a, users, cycle) -> dict:
    return {"table": "assessments", "fmt": "csv"}
