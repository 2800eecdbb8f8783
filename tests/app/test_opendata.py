"""Open data: nothing before the secretariat publishes; then a cycle's network indicator values as CSV and JSON
with a dictionary and a licence, readable without signing in, frozen per release at stable addresses; local
indicators never published; spreadsheet formulas neutralised."""
from __future__ import annotations

import csv
import io

from tests.app.assessment_fixtures import setting  # noqa: F401
from tests.app.test_indicators import world  # noqa: F401
from tests.conftest import login_as


def _urls(cycle_id):
    base = f"/open-data/cycles/{cycle_id}"
    return [f"{base}/", f"{base}/indicators.csv", f"{base}/indicators.json", f"{base}/dictionary.json",
            f"{base}/releases/1/indicators.csv", f"/api/v1/open-data/cycles/{cycle_id}"]


def test_nothing_unpublished_leaks(app, client, world):  # noqa: F811
    for url in _urls(world["cycle"].id):
        assert client.get(url).status_code == 404, url
    login_as(client, world["coordinator"])
    for url in _urls(world["cycle"].id):
        assert client.get(url).status_code == 404, url
    assert world["cycle"].name not in client.get("/open-data/").get_data(as_text=True)
    assert client.post(f"/open-data/cycles/{world['cycle'].id}/publish").status_code == 403


def test_published_values_are_public_frozen_and_stable(app, client, world):  # noqa: F811
    from peer_review.extensions import db
    cycle_id = world["cycle"].id
    login_as(client, world["secretariat"])
    page = client.get(f"/open-data/cycles/{cycle_id}/").get_data(as_text=True)
    assert "Publish a release" in page
    assert client.post(f"/open-data/cycles/{cycle_id}/publish").status_code == 302
    client.post("/logout")
    anonymous = app.test_client()
    got = anonymous.get(f"/open-data/cycles/{cycle_id}/indicators.json")
    assert got.status_code == 200 and got.headers["Access-Control-Allow-Origin"] == "*"
    body = got.get_json()
    assert body["licence"]["id"] == "CC-BY-4.0" and body["release"] == 1
    trust = next(r for r in body["rows"] if r["city"] == "alpha" and r["indicator"] == "trust")
    assert trust["status"] == "ok" and 0 < trust["value"] < 1 and trust["low"] < trust["value"]
    beta = next(r for r in body["rows"] if r["city"] == "beta" and r["indicator"] == "trust")
    assert beta["status"] == "not_enough_evidence" and beta["value"] is None  # never a number below the minimum
    rows = list(csv.DictReader(io.StringIO(anonymous.get(f"/open-data/cycles/{cycle_id}/indicators.csv")
                                           .get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == len(body["rows"]) and {"city", "indicator", "value", "low", "high"} <= set(rows[0])
    dictionary = anonymous.get(f"/open-data/cycles/{cycle_id}/dictionary.json").get_json()
    assert any(e.get("indicator") == "trust" and e["name"]["es"] for e in dictionary["entries"])
    first_csv = anonymous.get(f"/open-data/cycles/{cycle_id}/releases/1/indicators.csv").data
    # The data moves on: release 1 stays as it was; the stable address follows only a new release.
    world["items"]["police"].consent = "withdrawn"
    db.session.commit()
    assert anonymous.get(f"/open-data/cycles/{cycle_id}/releases/1/indicators.csv").data == first_csv
    assert anonymous.get(f"/open-data/cycles/{cycle_id}/indicators.csv").data == first_csv
    login_as(client, world["secretariat"])
    client.post(f"/open-data/cycles/{cycle_id}/publish", data={"note": "Consent withdrawn for one item"})
    assert anonymous.get(f"/open-data/cycles/{cycle_id}/indicators.json").get_json()["release"] == 2
    assert anonymous.get(f"/open-data/cycles/{cycle_id}/releases/1/indicators.csv").data == first_csv
    assert world["cycle"].name in anonymous.get("/open-data/").get_data(as_text=True)


def test_local_indicators_are_never_published_and_formulas_are_neutralised(app, client, world):  # noqa: F811
    from peer_review.extensions import db
    from peer_review.indicators.models import LocalIndicator
    from peer_review.opendata import service
    world["city_a"].name = "=HYPERLINK(\"http://x\")"
    db.session.add(LocalIndicator(city_id=world["city_a"].id, key="local_market_lights",
                                  content={"id": "local_market_lights", "name": {"en": "Market lights"},
                                           "family": "context", "draws_on": "codes", "codes": ["trust"]}))
    db.session.commit()
    release = service.publish(world["cycle"], world["secretariat"])
    db.session.commit()
    assert not [r for r in release.rows if r["indicator"] == "local_market_lights"]
    text = service.as_csv(release).decode("utf-8")
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text


def test_the_api_publishes_for_the_secretariat_only(app, client, world, api_token):  # noqa: F811
    url = f"/api/v1/open-data/cycles/{world['cycle'].id}/publish"
    assert client.post(url, headers=api_token(world["coordinator"])).status_code == 403
    made = client.post(url, headers=api_token(world["secretariat"]))
    assert made.status_code == 201 and made.get_json()["release"] == 1
    got = app.test_client().get(f"/api/v1/open-data/cycles/{world['cycle'].id}")
    assert got.status_code == 200 and got.get_json()["sha256"] == made.get_json()["sha256"]
