"""A city's local indicators: checked like a network definition (local tier, codes from the codebook, no clash
with a network id), Spanish and French falling back to English, seen only by their city (and network staff)."""
from __future__ import annotations

import pytest

from tests.conftest import login_as

VALID = {"id": "street_lights", "name": {"en": "Street lights repaired"},
         "definition": {"en": "Share of items about repaired street lights.", "fr": "Part des éléments."},
         "family": "process", "direction": "more", "codes": ["spatial_investment", "-fear_of_crime"],
         "unit": "share_of_items", "goalposts": {"low": 0, "high": 1}, "weight": 1}


@pytest.fixture
def world(app, make_city, make_user):
    from peer_review.coding.operations import sync_codebook
    from peer_review.extensions import db
    from peer_review.indicators import definitions
    sync_codebook()
    definitions.ensure_loaded()
    db.session.commit()
    alpha = make_city("Alpha", slug="alpha")
    beta = make_city("Beta", slug="beta")
    return {"alpha": alpha, "beta": beta,
            "coordinator": make_user("c@alpha.example", city=alpha, city_role="coordinator"),
            "member": make_user("m@alpha.example", city=alpha),
            "beta_coord": make_user("c@beta.example", city=beta, city_role="coordinator"),
            "facilitator": make_user("f@net.example", roles=["facilitator"]),
            "secretariat": make_user("s@net.example", roles=["secretariat"])}


def _create(city, data, user=None):
    from peer_review.extensions import db
    from peer_review.indicators import local
    row = local.create_local(city, data, user)
    db.session.commit()
    return row


def test_a_valid_local_indicator_is_stored_with_english_fallbacks(world):
    from peer_review.indicators import definitions
    row = _create(world["alpha"], VALID, world["coordinator"])
    assert row.content["tier"] == "local"
    assert row.content["name"] == {"en": "Street lights repaired", "es": "Street lights repaired",
                                   "fr": "Street lights repaired"}
    assert row.content["definition"]["fr"] == "Part des éléments."
    assert definitions.check_indicator(row.content, "x", definitions.known_code_keys(), local=True) == []
    mine = definitions.definitions_for(definitions.latest_set(), world["alpha"].id)
    theirs = definitions.definitions_for(definitions.latest_set(), world["beta"].id)
    assert "street_lights" in {d["id"] for d in mine} and "street_lights" not in {d["id"] for d in theirs}


@pytest.mark.parametrize("change,field", [
    ({"id": "trust"}, "id"),  # a network indicator's id
    ({"id": "Bad Id"}, "id"),
    ({"name": {"en": ""}}, "name_en"),
    ({"codes": ["no_such_code"]}, "codes"),
    ({"codes": ["-trust"]}, "codes"),  # nothing counts for it
    ({"codes": []}, "codes"),
    ({"family": "weather"}, "family"),
    ({"unit": "furlongs"}, "unit"),
    ({"goalposts": {"low": 1, "high": 0}}, "goal_high"),
    ({"goalposts": {"low": "a", "high": 1}}, "goal_low"),
    ({"weight": -1}, "weight"),
])
def test_invalid_local_indicators_are_refused(world, change, field):
    from peer_review.errors import ValidationFailed
    from peer_review.indicators import local
    with pytest.raises(ValidationFailed) as err:
        local.create_local(world["alpha"], dict(VALID, **change))
    assert field in err.value.fields


def test_numeric_local_indicator_and_duplicate_id(world):
    from peer_review.errors import ValidationFailed
    from peer_review.indicators import local
    row = _create(world["alpha"], dict(VALID, id="homicides", codes=[], numeric=True, unit="per_100k",
                                       goalposts={"low": 0, "high": 30}, direction="less"))
    assert row.content["numeric"] is True
    with pytest.raises(ValidationFailed) as err:
        local.create_local(world["alpha"], dict(VALID, id="homicides"))
    assert "id" in err.value.fields
    assert _create(world["beta"], dict(VALID, id="homicides")).key == "homicides"  # another city may


def test_update_and_retire(world):
    from peer_review.errors import ValidationFailed
    from peer_review.extensions import db
    from peer_review.indicators import definitions, local
    row = _create(world["alpha"], VALID)
    local.update_local(row, {"weight": 2, "name": {"en": "Lights", "es": "Luces"}})
    db.session.commit()
    assert row.content["weight"] == 2 and row.content["name"] == {"en": "Lights", "es": "Luces", "fr": "Lights"}
    with pytest.raises(ValidationFailed):
        local.update_local(row, {"id": "other"})
    local.retire_local(row)
    db.session.commit()
    assert "street_lights" not in {d["id"] for d in definitions.definitions_for(None, world["alpha"].id)}
    with pytest.raises(ValidationFailed):
        local.update_local(row, {"weight": 3})


@pytest.mark.parametrize("who,code", [("coordinator", 200), ("member", 200), ("beta_coord", 403), ("facilitator", 200),
                                      ("secretariat", 200)])
def test_the_list_is_seen_by_the_city_only(client, world, who, code):
    _create(world["alpha"], VALID)
    login_as(client, world[who])
    page = client.get("/indicators/cities/alpha/local")
    assert page.status_code == code
    if code == 200:
        assert "Street lights repaired" in page.get_data(as_text=True)
        assert ("Add a local indicator" in page.get_data(as_text=True)) == (who in ("coordinator", "secretariat"))


@pytest.mark.parametrize("who,code", [("coordinator", 200), ("member", 403), ("beta_coord", 404), ("facilitator", 403),
                                      ("secretariat", 200)])
def test_who_adds_a_local_indicator(client, world, who, code):
    login_as(client, world[who])
    assert client.get("/indicators/cities/alpha/local/new").status_code == code


def test_add_edit_and_retire_by_form(client, world):
    from peer_review.extensions import db
    from peer_review.indicators.models import LocalIndicator
    login_as(client, world["coordinator"])
    form = {"key": "street_lights", "name_en": "Street lights", "definition_en": "Repaired lights.",
            "family": "process", "direction": "more", "draws_on": "codes", "codes": ["spatial_investment"],
            "unit": "share_of_items", "goal_low": "0", "goal_high": "1", "weight": "1"}
    bad = client.post("/indicators/cities/alpha/local/new", data=dict(form, key="trust", goal_high="x"))
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "The network already has an indicator trust" not in html  # form first
    assert "Enter the high goalpost as a number" in html
    clash = client.post("/indicators/cities/alpha/local/new", data=dict(form, key="trust"))
    assert clash.status_code == 400 and "The network already has an indicator trust" in clash.get_data(as_text=True)
    assert client.post("/indicators/cities/alpha/local/new", data=form).status_code == 302
    row = db.session.execute(db.select(LocalIndicator)).scalar_one()
    assert row.content["name"]["es"] == "Street lights"
    edit = client.get(f"/indicators/cities/alpha/local/{row.id}/edit").get_data(as_text=True)
    assert 'name="name_es"' in edit and 'value="Street lights"' in edit
    assert client.post(f"/indicators/cities/alpha/local/{row.id}/edit",
                       data=dict(form, name_en="Lights", name_fr="Lumières", key="hacked")).status_code == 302
    db.session.refresh(row)
    assert row.key == "street_lights" and row.content["name"] == {"en": "Lights", "es": "Lights", "fr": "Lumières"}
    assert client.post(f"/indicators/cities/beta/local/{row.id}/retire").status_code == 404
    assert client.post(f"/indicators/cities/alpha/local/{row.id}/retire").status_code == 302
    db.session.refresh(row)
    assert row.retired


def test_local_indicators_api(client, world, api_token):
    coord, beta = api_token(world["coordinator"]), api_token(world["beta_coord"])
    created = client.post("/api/v1/cities/alpha/local-indicators", json=VALID, headers=coord)
    assert created.status_code == 201
    local_id = created.get_json()["id"]
    assert client.post("/api/v1/cities/alpha/local-indicators", json=dict(VALID, id="trust"),
                       headers=coord).status_code == 422
    assert client.post("/api/v1/cities/alpha/local-indicators", json=dict(VALID, id="x2"),
                       headers=api_token(world["member"])).status_code == 403
    listed = client.get("/api/v1/cities/alpha/local-indicators", headers=coord).get_json()["items"]
    assert [i["key"] for i in listed] == ["street_lights"]
    assert client.get("/api/v1/cities/alpha/local-indicators", headers=beta).status_code == 403
    assert client.patch(f"/api/v1/local-indicators/{local_id}", json={"weight": 2}, headers=beta).status_code == 404
    changed = client.patch(f"/api/v1/local-indicators/{local_id}", json={"weight": 2}, headers=coord)
    assert changed.status_code == 200 and changed.get_json()["definition"]["weight"] == 2
    assert client.patch(f"/api/v1/local-indicators/{local_id}", json={"unit": "x"}, headers=coord).status_code == 422
    assert client.delete(f"/api/v1/local-indicators/{local_id}", headers=beta).status_code == 404
    assert client.delete(f"/api/v1/local-indicators/{local_id}", headers=coord).status_code == 204
    assert client.get("/api/v1/cities/alpha/local-indicators", headers=coord).get_json()["items"][0]["retired"]
