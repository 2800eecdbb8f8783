"""Secretariat pages: cities, people and cycles, with validation that changes nothing on bad input."""
from __future__ import annotations

import pytest

from peer_review.audit.models import AuditEntry
from peer_review.cities.models import City
from peer_review.cycles.models import Cycle
from peer_review.extensions import db
from peer_review.users.models import User

CITY = {"name": "Ciudad Nueva", "country": "Peru", "region": "latin_america", "population_band": "500k_1m",
        "languages": ["es"], "timezone": "America/Lima"}

HOSTILE = [
    "<script>alert(1)</script>",
    "Robert'); DROP TABLE cities;--",
    "x" * (1024 * 1024),
    "bad\x00null\x07bell",
    "",
]


@pytest.fixture
def staff(client, make_user, login):
    user = make_user("sec@example.org", roles=["secretariat"])
    login(client, user)
    return user


def test_create_city_and_audit(client, staff):
    r = client.post("/cities/new", data=CITY)
    assert r.status_code == 302
    city = db.session.execute(db.select(City).filter_by(slug="ciudad-nueva")).scalar_one()
    assert city.language_list == ["es"]
    entry = db.session.execute(db.select(AuditEntry).filter_by(action="city.create")).scalar_one()
    assert entry.actor_id == staff.id and entry.after["name"] == "Ciudad Nueva" and entry.before is None


@pytest.mark.parametrize("field", ["name", "country", "timezone", "region", "slug"])
@pytest.mark.parametrize("value", HOSTILE)
def test_bad_city_input_changes_nothing(client, staff, field, value):
    data = dict(CITY, **{field: value})
    r = client.post("/cities/new", data=data)
    if r.status_code == 302:  # only harmless values can pass, and then they are stored as plain text
        city = db.session.execute(db.select(City)).scalar_one()
        assert "\x00" not in city.name and len(city.name) <= 120
        page = client.get(f"/cities/{city.slug}").get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page
        return
    assert r.status_code == 400
    assert b"govuk-error-summary" in r.data
    assert db.session.execute(db.select(City)).first() is None
    assert db.session.execute(db.select(AuditEntry)).first() is None


def test_city_search_and_pagination(client, staff, make_city):
    for i in range(30):
        make_city(f"Town {i:02d}", country="Chile" if i % 2 else "Peru")
    r = client.get("/cities/?q=chile")
    assert r.status_code == 200 and b"15 results" in r.data
    r = client.get("/cities/?per_page=10&page=3")
    assert b"Town 29" in r.data and b"Town 00" not in r.data
    r = client.get("/cities/?page=notanumber")
    assert r.status_code == 200


def test_edit_and_deactivate_city_is_audited_with_before_and_after(client, staff, make_city):
    city = make_city("Old Name", slug="old")
    r = client.post("/cities/old/edit", data=dict(CITY, name="New Name", slug="old"))
    assert r.status_code == 302
    r = client.post("/cities/old/active", data={"active": "0"}, follow_redirects=True)
    assert r.status_code == 200 and b"deactivated" in r.data
    db.session.refresh(city)
    assert city.name == "New Name" and not city.active
    update = db.session.execute(db.select(AuditEntry).filter_by(action="city.update")).scalar_one()
    assert update.before["name"] == "Old Name" and update.after["name"] == "New Name"
    assert ("name", "Old Name", "New Name") in update.changes()
    assert db.session.execute(db.select(AuditEntry).filter_by(action="city.deactivate")).scalar_one()
    # deactivated cities disappear from the default list but stay for staff who ask
    assert b"New Name" not in client.get("/cities/").data
    assert b"New Name" in client.get("/cities/?inactive=1").data


def test_duplicate_slug_is_refused(client, staff, make_city):
    make_city("Taken", slug="taken")
    r = client.post("/cities/new", data=dict(CITY, slug="taken"))
    assert r.status_code == 400 and b"already uses the short name" in r.data


def test_audit_log_page_filters(client, staff, make_city):
    client.post("/cities/new", data=CITY, follow_redirects=True)
    client.post("/cities/new", data=dict(CITY, name="Otra", slug="otra"), follow_redirects=True)
    client.post("/cities/otra/active", data={"active": "0"}, follow_redirects=True)
    r = client.get("/audit/?action=city.deactivate")
    assert r.status_code == 200
    assert b"Otra" in r.data and b"Ciudad Nueva" not in r.data
    r = client.get("/audit/?actor=sec@example.org&object_type=city")
    assert b"3 results" in r.data
    assert b"0 results" in client.get("/audit/?actor=nobody@example.org").data
    assert b"0 results" in client.get("/audit/?since=2999-01-01").data


def test_invite_edit_roles_memberships_and_deactivate(client, staff, make_city):
    city = make_city("Alpha", slug="alpha")
    r = client.post("/users/invite", data={"email": "x@example.org", "name": "Xavier", "locale": "fr",
                                          "city": "alpha", "city_role": "coordinator"})
    assert r.status_code == 302
    user = db.session.execute(db.select(User).filter_by(email="x@example.org")).scalar_one()
    assert user.city_ids("coordinator") == {city.id} and not user.has_password
    r = client.post(f"/users/{user.id}/edit", data={"name": "Xavier P.", "locale": "es", "roles": ["secretariat"]})
    assert r.status_code == 302
    for role in ("facilitator", "admin"):  # an administrator's act: the secretariat is not even offered them
        r = client.post(f"/users/{user.id}/edit", data={"name": "Xavier P.", "locale": "es", "roles": [role]})
        assert r.status_code == 400
    membership = user.memberships[0]
    assert client.post(f"/users/{user.id}/memberships/{membership.id}/delete").status_code == 302
    assert client.post(f"/users/{user.id}/memberships", data={"city": "alpha", "role": "member"}).status_code == 302
    assert client.post(f"/users/{user.id}/active", data={"active": "0"}).status_code == 302
    db.session.refresh(user)
    assert user.name == "Xavier P." and user.roles == {"secretariat"} and not user.active
    assert user.city_ids("member") == {city.id}
    actions = [a for (a,) in db.session.execute(db.select(AuditEntry.action).order_by(AuditEntry.id))]
    assert actions == ["user.invite", "user.update", "user.membership_remove", "user.membership_add",
                       "user.deactivate"]


def test_invite_refuses_duplicates_and_bad_email(client, staff, make_user):
    make_user("taken@example.org")
    for email in ("taken@example.org", "not-an-email", "<script>@x", "a" * 300 + "@example.org"):
        r = client.post("/users/invite", data={"email": email, "name": "N", "locale": "en", "city": "",
                                              "city_role": "member"})
        assert r.status_code == 400
    assert db.session.execute(db.select(db.func.count(User.id))).scalar() == 2


def test_staff_cannot_deactivate_themselves(client, staff):
    r = client.post(f"/users/{staff.id}/active", data={"active": "0"}, follow_redirects=True)
    assert r.status_code == 403
    db.session.refresh(staff)
    assert staff.active


def test_user_search_filters(client, staff, make_user, make_city):
    city = make_city("Alpha", slug="alpha")
    make_user("f@example.org", roles=["facilitator"], name="Fiona")
    make_user("m@example.org", city=city, name="Marta")
    assert b"Fiona" in client.get("/users/?role=facilitator").data
    assert b"Marta" not in client.get("/users/?role=facilitator").data
    assert b"Marta" in client.get("/users/?city=alpha").data
    assert b"Fiona" in client.get("/users/?q=fio").data


def test_create_cycle_with_cities_and_bad_dates(client, staff, make_city):
    make_city("Alpha", slug="alpha")
    make_city("Beta", slug="beta")
    bad = {"name": "2027 round", "starts_on": ["1", "6", "2027"], "ends_on": ["1", "1", "2027"],
           "state": "draft", "cities": ["alpha"]}
    r = client.post("/cycles/new", data=bad)
    assert r.status_code == 400 and b"on or after the start date" in r.data
    good = dict(bad, ends_on=["1", "12", "2027"])
    r = client.post("/cycles/new", data=good)
    assert r.status_code == 302, r.data
    cycle = db.session.execute(db.select(Cycle)).scalar_one()
    assert [c.slug for c in cycle.cities] == ["alpha"]
    r = client.post(f"/cycles/{cycle.id}/edit", data=dict(good, state="open", cities=["alpha", "beta"]))
    assert r.status_code == 302
    db.session.refresh(cycle)
    # the edit form changes dates and cities; the state moves only through "Move to the next phase"
    assert cycle.state == "draft" and len(cycle.cities) == 2
    r = client.post(f"/cycles/{cycle.id}/advance")
    db.session.refresh(cycle)
    assert r.status_code == 302 and cycle.state == "draft"  # no rubric version yet: it cannot open
    entry = db.session.execute(db.select(AuditEntry).filter_by(action="cycle.update")).scalar_one()
    assert entry.before["cities"] == ["alpha"] and entry.after["cities"] == ["alpha", "beta"]


def test_draft_cycles_are_hidden_from_cities(client, make_user, make_city, login):
    import datetime as dt
    city = make_city("Alpha", slug="alpha")
    cycle = Cycle(name="Future", starts_on=dt.date(2030, 1, 1), ends_on=dt.date(2030, 2, 1), state="draft",
                  cities=[city])
    db.session.add(cycle)
    db.session.commit()
    login(client, make_user(city=city))
    assert client.get(f"/cycles/{cycle.id}").status_code == 404
    assert b"Future" not in client.get("/cycles/").data


def test_home_page_per_role(client, make_user, make_city, login):
    import datetime as dt
    city = make_city("Alpha", slug="alpha")
    db.session.add(Cycle(name="2026 round", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 1),
                         state="open", cities=[city]))
    db.session.commit()
    member = make_user(city=city, city_role="coordinator")
    login(client, member)
    page = client.get("/").get_data(as_text=True)
    assert "Your cities" in page and "Alpha" in page and "2026 round" in page
    assert "Network administration" not in page and 'href="/users/"' not in page and 'href="/network"' not in page
    sec = make_user(roles=["secretariat"])
    login(client, sec)
    page = client.get("/").get_data(as_text=True)
    assert "Network administration" in page and "Recent changes" in page and 'href="/network"' in page
    admin = make_user(roles=["admin"])
    login(client, admin)
    assert "Database:" in client.get("/").get_data(as_text=True)


def test_language_menu_switches_locale_and_formats_dates(client, make_user, login, make_city):
    import datetime as dt
    city = make_city("Alpha", slug="alpha")
    db.session.add(Cycle(name="R", starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2026, 12, 1), state="open",
                         cities=[city]))
    db.session.commit()
    user = make_user(city=city)
    login(client, user)
    r = client.post("/language", data={"lang": "es", "next": "/cycles/"})
    assert r.headers["Location"] == "/cycles/"
    page = client.get("/cycles/").get_data(as_text=True)
    assert '<html lang="es"' in page and "mar 2026" in page
    db.session.refresh(user)
    assert user.locale == "es"
    r = client.post("/language", data={"lang": "xx", "next": "https://evil.example"})
    assert r.headers["Location"] == "/"
