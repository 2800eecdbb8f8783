"""The JSON API: tokens, the same permission policy, JSON errors, pagination and the OpenAPI document."""
from __future__ import annotations

import pytest

from peer_review.cities.models import City
from peer_review.extensions import db

CITY = {"name": "Ciudad Nueva", "country": "Peru", "region": "latin_america", "population_band": "500k_1m",
        "languages": ["es"], "timezone": "America/Lima"}


@pytest.fixture
def staff_headers(make_user, api_token):
    return api_token(make_user("sec@example.org", roles=["secretariat"]))


def test_me_with_token_and_without(client, make_user, api_token):
    user = make_user("ana@example.org", roles=["facilitator"])
    r = client.get("/api/v1/me", headers=api_token(user))
    assert r.status_code == 200 and r.json["email"] == "ana@example.org" and r.json["roles"] == ["facilitator"]
    r = client.get("/api/v1/me")
    assert r.status_code == 401 and r.json["error"]["code"] == "unauthorized"
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    r = client.get("/api/v1/me", headers={"Authorization": "Bearer scw_nonsense"})
    assert r.status_code == 401


def test_session_cookie_is_not_accepted_by_the_api(client, make_user, login):
    login(client, make_user(roles=["secretariat"]))
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me").status_code == 401


def test_revoked_token_and_deactivated_user_stop_working(client, make_user, api_token):
    from peer_review.users.operations import revoke_token, set_user_active
    user = make_user()
    headers = api_token(user)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    token = user.api_tokens[0]
    assert token.token_hash and headers["Authorization"][7:] not in (token.token_hash, token.prefix)
    revoke_token(user, token.id)
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    headers = api_token(user)
    set_user_active(user, False)
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_token_created_on_the_user_page_is_shown_once_and_works(client, make_user, login):
    user = make_user()
    login(client, user)
    page = client.post(f"/users/{user.id}/tokens", data={"name": "export script"}).get_data(as_text=True)
    import re
    raw = re.search(r'<code id="new-token">(scw_[^<]+)</code>', page).group(1)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    assert raw not in client.get(f"/users/{user.id}").get_data(as_text=True)


def test_create_get_update_city(client, staff_headers):
    r = client.post("/api/v1/cities", json=CITY, headers=staff_headers)
    assert r.status_code == 201, r.json
    assert r.json["slug"] == "ciudad-nueva" and r.headers["Location"].endswith("/api/v1/cities/ciudad-nueva")
    r = client.patch("/api/v1/cities/ciudad-nueva", json={"name": "Ciudad Vieja"}, headers=staff_headers)
    assert r.status_code == 200 and r.json["name"] == "Ciudad Vieja" and r.json["languages"] == ["es"]
    assert client.get("/api/v1/cities/ciudad-nueva", headers=staff_headers).json["name"] == "Ciudad Vieja"
    assert client.get("/api/v1/cities/nope", headers=staff_headers).status_code == 404


@pytest.mark.parametrize("body,field", [
    ({**CITY, "name": 42}, "name"),
    ({**CITY, "name": "x" * (1024 * 1024)}, "name"),
    ({**CITY, "languages": "es"}, "languages"),
    ({**CITY, "languages": ["xx"]}, "languages"),
    ({**CITY, "region": "<script>"}, "region"),
    ({**CITY, "timezone": "Mars/Olympus"}, "timezone"),
    ({**CITY, "slug": "Robert'); DROP TABLE cities;--"}, "slug"),
    ({k: v for k, v in CITY.items() if k != "country"}, "country"),
    ({**CITY, "surprise": True}, "surprise"),
])
def test_bad_city_json_is_refused_with_fields_and_changes_nothing(client, staff_headers, body, field):
    r = client.post("/api/v1/cities", json=body, headers=staff_headers)
    assert r.status_code == 422
    assert r.json["error"]["code"] == "invalid" and field in r.json["error"]["fields"]
    assert db.session.execute(db.select(City)).first() is None


@pytest.mark.parametrize("data,content_type,status", [
    ("{not json", "application/json", 400),
    ("[1, 2]", "application/json", 422),
    ("name=x", "application/x-www-form-urlencoded", 415),
    ('"just a string"', "application/json", 422),
])
def test_malformed_bodies(client, staff_headers, data, content_type, status):
    r = client.post("/api/v1/cities", data=data, content_type=content_type, headers=staff_headers)
    assert r.status_code == status and set(r.json["error"]) == {"code", "message", "fields"}


def test_control_characters_are_stripped(client, staff_headers):
    r = client.post("/api/v1/cities", json={**CITY, "name": "Ciudad\x07 Nueva\x00"}, headers=staff_headers)
    assert r.status_code == 201 and r.json["name"] == "Ciudad Nueva"


def test_pagination(client, staff_headers, make_city):
    for i in range(7):
        make_city(f"Town {i}")
    r = client.get("/api/v1/cities?per_page=3&page=2", headers=staff_headers)
    assert r.json["total"] == 7 and r.json["pages"] == 3 and len(r.json["items"]) == 3
    assert "page=3" in r.json["next"]
    r = client.get("/api/v1/cities?per_page=100000&page=-4", headers=staff_headers)
    assert r.status_code == 200 and r.json["per_page"] == 100 and r.json["page"] == 1


def test_cycles_api(client, staff_headers, make_city, make_user, api_token):
    make_city("Alpha", slug="alpha")
    body = {"name": "2027 round", "starts_on": "2027-02-01", "ends_on": "2027-12-01", "cities": ["alpha"]}
    r = client.post("/api/v1/cycles", json=body, headers=staff_headers)
    assert r.status_code == 201 and r.json["state"] == "draft" and r.json["cities"] == ["alpha"]
    cycle_id = r.json["id"]
    bad = client.post("/api/v1/cycles", json={**body, "name": "x", "ends_on": "2026-01-01"}, headers=staff_headers)
    assert bad.status_code == 422 and "ends_on" in bad.json["error"]["fields"]
    bad = client.post("/api/v1/cycles", json={**body, "name": "y", "cities": ["nowhere"]}, headers=staff_headers)
    assert bad.status_code == 422 and "cities" in bad.json["error"]["fields"]
    member = api_token(make_user())
    assert client.get(f"/api/v1/cycles/{cycle_id}", headers=member).status_code == 404  # drafts stay hidden
    r = client.patch(f"/api/v1/cycles/{cycle_id}", json={"state": "open"}, headers=staff_headers)
    assert r.status_code == 200
    assert client.get(f"/api/v1/cycles/{cycle_id}", headers=member).status_code == 200


def test_openapi_document_is_valid_and_lists_every_endpoint(app, client):
    from openapi_spec_validator import validate
    spec = client.get("/api/v1/openapi.json").json
    validate(spec)
    assert spec["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi":
            path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (path, method) in documented, f"{method} {path} missing from OpenAPI"
    assert "City" in " ".join(spec["components"]["schemas"])
