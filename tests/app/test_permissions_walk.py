"""Every registered route, as every role: the answer must be the one the permission policy promises.

A new route without an entry here fails the test, so nobody can add an unchecked page.
"""
from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import login_as

# About 1,500 route-and-role cases (two minutes): run apart from the default suite (`make test` runs both).
pytestmark = pytest.mark.slow

ROLES = ["anonymous", "member", "other_coordinator", "facilitator", "secretariat", "admin"]


def S(anon, member, other, facilitator, secretariat, admin):
    return dict(zip(ROLES, (anon, member, other, facilitator, secretariat, admin)))


ALL = lambda code: S(*(code,) * 6)  # noqa: E731
SIGNED_IN = lambda code: S(302, *(code,) * 5)  # noqa: E731
STAFF_ONLY = S(302, 403, 403, 403, 200, 200)
API_ALL = S(401, 200, 200, 200, 200, 200)

# endpoint -> (method, expected status per role, json body or None)
EXPECTED = {
    "main.home": ("GET", SIGNED_IN(200)),
    "main.accessibility": ("GET", ALL(200)),
    "main.network": ("GET", STAFF_ONLY),
    "main.health": ("GET", ALL(200)),
    "main.healthz": ("GET", ALL(200)),
    "main.set_language": ("POST", ALL(302)),
    "auth.login": ("GET", S(200, 302, 302, 302, 302, 302)),
    "auth.logout": ("POST", ALL(302)),
    "auth.request_reset": ("GET", ALL(200)),
    "auth.reset_password": ("GET", ALL(404)),
    "auth.accept_invitation": ("GET", ALL(404)),
    "auth.account": ("GET", SIGNED_IN(200)),
    "auth.change_password": ("POST", SIGNED_IN(400)),
    "cities.index": ("GET", SIGNED_IN(200)),
    "cities.create": ("GET", STAFF_ONLY),
    "cities.show": ("GET", SIGNED_IN(200)),
    "cities.edit": ("GET", STAFF_ONLY),
    "cities.set_active": ("POST", S(302, 403, 403, 403, 302, 302)),
    "users.index": ("GET", STAFF_ONLY),
    "users.invite": ("GET", STAFF_ONLY),
    "users.me": ("GET", SIGNED_IN(302)),
    "users.show": ("GET", S(302, 200, 404, 404, 200, 200)),
    "users.edit": ("GET", S(302, 403, 404, 404, 200, 200)),
    "users.add_membership": ("POST", S(302, 403, 404, 404, 302, 302)),
    "users.remove_membership": ("POST", S(302, 403, 404, 404, 302, 302)),
    "users.set_active": ("POST", S(302, 403, 404, 404, 302, 302)),
    "users.create_token": ("POST", S(302, 302, 404, 404, 403, 403)),
    "users.revoke_token": ("POST", S(302, 302, 404, 404, 403, 403)),
    "cycles.index": ("GET", SIGNED_IN(200)),
    "cycles.create": ("GET", STAFF_ONLY),
    "cycles.show": ("GET", SIGNED_IN(200)),
    "cycles.edit": ("GET", STAFF_ONLY),
    "audit.index": ("GET", STAFF_ONLY),
    "static": ("GET", ALL(200)),
    "api.openapi": ("GET", ALL(200)),
    "api.me": ("GET", API_ALL),
    "api.list_cities": ("GET", API_ALL),
    "api.get_city": ("GET", API_ALL),
    "api.create_city": ("POST", S(401, 403, 403, 403, 422, 422)),
    "api.update_city": ("PATCH", S(401, 403, 403, 403, 200, 200)),
    "api.list_users": ("GET", S(401, 403, 403, 403, 200, 200)),
    "api.get_user": ("GET", S(401, 200, 404, 404, 200, 200)),
    "api.list_cycles": ("GET", API_ALL),
    "api.get_cycle": ("GET", API_ALL),
    "api.create_cycle": ("POST", S(401, 403, 403, 403, 422, 422)),
    "api.update_cycle": ("PATCH", S(401, 403, 403, 403, 200, 200)),
}

def _domain_modules():
    """Later domains add ``tests/app/walk_<domain>.py`` with their own EXPECTED table and a ``world`` hook."""
    import importlib
    import pkgutil
    import tests.app as package
    return [importlib.import_module(f"tests.app.{m.name}") for m in pkgutil.iter_modules(package.__path__)
            if m.name.startswith("walk_")]


DOMAINS = _domain_modules()


def expected_table() -> dict:
    table = dict(EXPECTED)
    for module in DOMAINS:
        table.update(module.EXPECTED)
    return table


def _owner(endpoint: str | None):
    """The domain module whose table holds ``endpoint`` (None for the base table, or when not walking a route)."""
    if endpoint is None:
        return None
    return next((m for m in DOMAINS if endpoint in m.EXPECTED), None)


@pytest.fixture
def world(request, app, make_city, make_user, api_token):
    """Two cities; a member of A; a coordinator of B; network staff; an open cycle with both cities."""
    from peer_review.cycles.models import Cycle
    from peer_review.extensions import db
    from peer_review.users.operations import create_token

    city_a = make_city("Alpha City", slug="alpha")
    city_b = make_city("Beta Town", slug="beta")
    users = {
        "member": make_user("member@a.example", city=city_a, city_role="member"),
        "other_coordinator": make_user("coord@b.example", city=city_b, city_role="coordinator"),
        "facilitator": make_user("fac@net.example", roles=["facilitator"]),
        "secretariat": make_user("sec@net.example", roles=["secretariat"]),
        "admin": make_user("admin@net.example", roles=["admin"]),
    }
    cycle = Cycle(name="2026 round", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 1), state="open",
                  cities=[city_a, city_b])
    db.session.add(cycle)
    member_token, _raw = create_token(users["member"], "member's own")
    db.session.commit()
    headers = {role: api_token(u) for role, u in users.items()}
    headers["anonymous"] = {}
    params = {
        "slug": city_a.slug, "user_id": users["member"].id, "cycle_id": cycle.id,
        "membership_id": users["member"].memberships[0].id, "token_id": member_token.id,
        "token": "not-a-valid-token", "filename": "css/app.css",
    }
    # Only the objects the walked route's own domain needs (each domain's hook makes its own world); building
    # every domain's for each of the 1,100 cases made the walk take minutes. A domain lists in ``WORLD_NEEDS``
    # the other domains its routes' expectations rest on.
    endpoint = getattr(getattr(request.node, "callspec", None), "params", {}).get("endpoint")
    owner = _owner(endpoint)
    only = None if owner is None and endpoint is None else (
        [] if owner is None else [owner] + [m for m in DOMAINS if m.__name__.rsplit(".", 1)[-1]
                                            in getattr(owner, "WORLD_NEEDS", ())])
    params.update(_extra_params(db, city_a, users, cycle, only))
    return {"users": users, "headers": headers, "params": params, "city_a": city_a, "cycle": cycle}


def _extra_params(db, city_a, users, cycle, only=None) -> dict:
    """Objects for routes added by later domains (evidence, coding, ...), made by their ``world`` hooks (all of
    them, or only those in ``only``)."""
    out = {}
    for module in (DOMAINS if only is None else only):
        if hasattr(module, "world"):
            out.update(module.world(db, city_a, users, cycle))
    return out


def _routes(app):
    return sorted((r for r in app.url_map.iter_rules()), key=lambda r: r.endpoint)


def test_every_route_has_an_expectation(app):
    missing = sorted({r.endpoint for r in _routes(app)} - set(expected_table()))
    assert not missing, f"routes without a permission expectation: {missing}"


CASES = [(endpoint, role) for endpoint in sorted(expected_table()) for role in ROLES]


@pytest.mark.parametrize("endpoint,role", CASES)
def test_route_as_role(app, client, world, endpoint, role):
    from flask import url_for
    method, expected, *rest = expected_table()[endpoint]
    body = rest[0] if rest else None
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    args = {name: world["params"][name] for name in rule.arguments}
    url = url_for(endpoint, **args)
    if role != "anonymous":
        login_as(client, world["users"][role])
    headers = world["headers"][role] if endpoint.startswith("api.") else {}
    kwargs = {"headers": headers}
    if method in ("POST", "PATCH", "DELETE") and endpoint.startswith("api."):
        kwargs["json"] = body if body is not None else {}
    elif method == "POST" and body is not None:
        kwargs["data"] = body
    response = client.open(url, method=method, **kwargs)
    assert response.status_code == expected[role], (
        f"{method} {url} as {role}: got {response.status_code}, expected {expected[role]}")
    if response.status_code == 302 and role == "anonymous" and expected[role] == 302 and \
            endpoint not in ("main.set_language", "auth.logout", "auth.login"):
        assert "/login" in response.headers["Location"]
    if endpoint.startswith("api.") and response.status_code >= 400:
        body = response.get_json()
        assert set(body["error"]) == {"code", "message", "fields"}
