"""Peer groups in the app: the service on stored indicator values, the page, its downloads, the API, permissions."""
from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from tests.conftest import login_as

KEYS = ["trust", "fear_of_crime", "inclusion", "collaboration", "street_lighting", "leadership"]


def store_values(cycle, cities, centres, seed=1, skip=()):
    """IndicatorValue rows for each city: blob b (cities[10b:10b+10]) around centres[b]; (city, key) in skip
    stored as missing."""
    from peer_review.extensions import db
    from peer_review.indicators.models import IndicatorValue
    rng = np.random.default_rng(seed)
    per = len(cities) // len(centres)
    for n, city in enumerate(cities):
        values = np.asarray(centres[n // per], dtype=float) + rng.normal(0, 0.3, len(KEYS))
        for key, value in zip(KEYS, values):
            missing = (city.slug, key) in skip
            db.session.add(IndicatorValue(cycle_id=cycle.id, city_id=city.id, indicator_key=key, breakdown="",
                                          kind="evidence", value=None if missing else float(value),
                                          status="missing" if missing else "ok", method_hash="x" * 64))
    db.session.commit()


@pytest.fixture
def network(app, make_city, make_user):
    from peer_review.cycles.models import Cycle
    from peer_review.extensions import db
    cities = [make_city(f"City {chr(65 + i // 26)}{chr(65 + i % 26)}", slug=f"city-{i:02d}") for i in range(13)]
    cycle = Cycle(name="2026 round", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 1), state="open",
                  cities=cities)
    db.session.add(cycle)
    db.session.commit()
    centres = [[5, 5, 0, 0, 0, 0], [0, 0, 5, 5, 0, 0], [0, 0, 0, 0, 5, 5]]
    # the 13th city: no value for four indicators of six
    store_values(cycle, cities[:12], centres, skip=())
    from peer_review.indicators.models import IndicatorValue
    for key in KEYS[:2]:
        db.session.add(IndicatorValue(cycle_id=cycle.id, city_id=cities[12].id, indicator_key=key, breakdown="",
                                      kind="evidence", value=1.0, status="ok", method_hash="x" * 64))
    # a breakdown row and a local indicator never count
    db.session.add(IndicatorValue(cycle_id=cycle.id, city_id=cities[0].id, indicator_key="trust",
                                  breakdown="area:north", kind="evidence", value=99.0, status="ok",
                                  method_hash="x" * 64))
    db.session.add(IndicatorValue(cycle_id=cycle.id, city_id=cities[0].id, indicator_key="our_own_thing",
                                  breakdown="", kind="evidence", value=3.0, status="ok", method_hash="x" * 64))
    db.session.commit()
    users = {"secretariat": make_user("sec@net.example", roles=["secretariat"]),
             "facilitator": make_user("fac@net.example", roles=["facilitator"]),
             "member": make_user("m@city.example", city=cities[0])}
    return {"cities": cities, "cycle": cycle, "users": users}


def _blobs(network):
    c = network["cities"]
    return sorted([sorted(x.id for x in c[0:4]), sorted(x.id for x in c[4:8]), sorted(x.id for x in c[8:12])])


def test_features_come_from_the_stored_whole_city_values(network):
    from peer_review.indicators import peergroup_service as service
    features, labels = service.features_for_cycle(network["cycle"])
    first = network["cities"][0]
    assert set(features) == {c.id for c in network["cities"]}
    assert set(features[first.id]) == set(KEYS)  # no breakdown, no local indicator
    assert features[first.id]["trust"] != 99.0
    assert labels["trust"] == "Trust" and labels["fear_of_crime"]
    assert features[network["cities"][12].id]["inclusion"] is None  # missing, explicitly


def test_run_stores_the_groups_without_touching_the_hand_set_peer_group(network):
    from peer_review.audit.models import AuditEntry
    from peer_review.extensions import db
    from peer_review.indicators import peergroup_service as service
    network["cities"][0].peer_group = "hand-set"
    db.session.commit()
    row = service.run(network["cycle"], seed=3, user=network["users"]["secretariat"])
    db.session.commit()
    assert row.k == 3 and row.seed == 3 and len(row.method_hash) == 64
    assert sorted(sorted(g["members"]) for g in row.groups.values()) == _blobs(network)
    assert [e["city_id"] for e in service.excluded_cities(row)] == [network["cities"][12].id]
    assert network["cities"][0].peer_group == "hand-set"
    assert service.latest(network["cycle"]).id == row.id
    label, name, members = service.group_of(network["cycle"], network["cities"][0].id)
    assert label in row.groups and network["cities"][0].id in members and "trust" in name
    assert service.group_of(network["cycle"], network["cities"][12].id) is None
    entry = db.session.execute(db.select(AuditEntry).filter_by(action="peergroup.run")).scalar_one()
    assert entry.after["k"] == 3 and entry.after["seed"] == 3
    again = service.run(network["cycle"], seed=3, user=None)
    assert again.groups == row.groups and again.method_hash == row.method_hash  # deterministic for a seed
    assert service.latest(network["cycle"]).id == again.id


def test_too_few_cities_is_stored_and_said(app, make_city, make_user, client):
    from peer_review.cycles.models import Cycle
    from peer_review.extensions import db
    from peer_review.indicators import peergroup_service as service
    cities = [make_city(f"Small {i}") for i in range(3)]
    cycle = Cycle(name="Tiny", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 1), state="open",
                  cities=cities)
    db.session.add(cycle)
    db.session.commit()
    store_values(cycle, cities, [[0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1], [2, 0, 2, 0, 2, 0]])
    row = service.run(cycle, seed=0)
    db.session.commit()
    assert row.k is None and service.run_info(row)["status"] == "too_few"
    login_as(client, make_user("sec@net.example", roles=["secretariat"]))
    page = client.get(f"/indicators/cycles/{cycle.id}/peer-groups").get_data(as_text=True)
    assert "No groups could be formed" in page


def test_page_empty_state_then_run_then_groups(network, client):
    cycle = network["cycle"]
    login_as(client, network["users"]["secretariat"])
    url = f"/indicators/cycles/{cycle.id}/peer-groups"
    page = client.get(url).get_data(as_text=True)
    assert "No peer groups yet for this cycle" in page and "Compute peer groups" in page
    r = client.post(url, data={"seed": "4"})
    assert r.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Group A: higher" in page and "Group C:" in page and "Group D:" not in page
    assert 'id="peer-map"' in page
    assert "Silhouette" in page and "Chosen" in page and "Cumulative" in page and "Loadings" in page
    assert "Cities set apart" in page and "City AM" in page and "66.7%" in page
    # members listed by name within a group
    first = page.index("Group A:")
    block = page[first:page.index("Group B:")]
    names = [c.name for c in network["cities"][:12] if c.name in block]
    assert names == sorted(names) and len(names) == 4
    assert client.post(url, data={"seed": "-1"}).status_code == 400


def test_csv_and_json_downloads(network, client):
    from peer_review.extensions import db
    from peer_review.indicators import peergroup_service as service
    cycle = network["cycle"]
    network["cities"][1].name = "=HYPERLINK(evil)"
    db.session.commit()
    service.run(cycle, seed=0)
    db.session.commit()
    login_as(client, network["users"]["facilitator"])
    r = client.get(f"/indicators/cycles/{cycle.id}/peer-groups.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    text = r.get_data(as_text=True)
    lines = text.strip().splitlines()
    assert lines[0].lstrip("\ufeff").startswith("City,City id,Group,Group name")
    assert len(lines) == 1 + 13
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    assert lines[-1].startswith("City AM,city-12,,,,,")
    data = json.loads(client.get(f"/indicators/cycles/{cycle.id}/peer-groups.json").get_data(as_text=True))
    assert len(data["rows"]) == 13 and data["method_hash"]
    groups = [r["group"] for r in data["rows"] if r["group"]]
    assert groups == sorted(groups)  # by neutral label, then name


def test_who_sees_and_who_runs(network, client):
    cycle = network["cycle"]
    url = f"/indicators/cycles/{cycle.id}/peer-groups"
    login_as(client, network["users"]["member"])
    assert client.get(url).status_code == 403
    assert client.post(url, data={"seed": "1"}).status_code == 403
    login_as(client, network["users"]["facilitator"])
    assert client.get(url).status_code == 200
    assert "Compute peer groups" not in client.get(url).get_data(as_text=True)
    assert client.post(url, data={"seed": "1"}).status_code == 403


def test_a_closed_cycle_is_read_only(network, client):
    from peer_review.extensions import db
    cycle = network["cycle"]
    cycle.state = "closed"
    db.session.commit()
    login_as(client, network["users"]["secretariat"])
    url = f"/indicators/cycles/{cycle.id}/peer-groups"
    assert client.get(url).status_code == 200
    assert client.post(url, data={"seed": "1"}).status_code == 403


def test_api_get_and_post(network, client, api_token):
    cycle = network["cycle"]
    sec = api_token(network["users"]["secretariat"])
    url = f"/api/v1/cycles/{cycle.id}/peer-groups"
    body = client.get(url, headers=sec).get_json()
    assert body["status"] == "none" and body["groups"] == []
    r = client.post(url, headers=sec, json={"seed": 2})
    assert r.status_code == 201
    body = r.get_json()
    assert body["k"] == 3 and body["seed"] == 2 and body["status"] == "ok"
    assert [g["label"] for g in body["groups"]] == ["A", "B", "C"]
    for g in body["groups"]:
        assert g["members"] == sorted(g["members"]) and g["distinguished_by"]
    assert body["excluded"] == [{"city": "city-12", "missing_share": pytest.approx(4 / 6, abs=1e-3)}]
    assert sum(body["explained_variance"]) >= 0.8 and set(body["loadings"]) >= {"PC1", "PC2"}
    assert list(body["coordinates"]) == sorted(body["coordinates"])
    assert client.get(url, headers=sec).get_json()["run"] == body["run"]
    assert client.post(url, headers=sec, json={"seed": "x"}).status_code == 422
    assert client.post(url, headers=sec).status_code == 201  # no body: seed 0
    member = api_token(network["users"]["member"])
    assert client.get(url, headers=member).status_code == 403
    assert client.post(url, headers=member, json={}).status_code == 403
    fac = api_token(network["users"]["facilitator"])
    assert client.get(url, headers=fac).status_code == 200
    assert client.post(url, headers=fac, json={}).status_code == 403


def test_the_run_form_needs_its_csrf_token(app, network, client):
    login_as(client, network["users"]["secretariat"])
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        r = client.post(f"/indicators/cycles/{network['cycle'].id}/peer-groups", data={"seed": "1"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert r.status_code == 400
    from peer_review.indicators import peergroup_service as service
    assert service.latest(network["cycle"]) is None
