"""Who may change whose roles, memberships and account: every role tries every change on every person,
themselves included, through the real routes; the database says whether it happened."""
from __future__ import annotations

import pytest

from peer_review.audit.models import AuditEntry
from peer_review.extensions import db
from peer_review.users.models import User
from tests.conftest import login_as

ACTORS = ["anonymous", "member", "coordinator", "facilitator", "secretariat", "admin"]
PEOPLE = ["member", "coordinator", "facilitator", "secretariat", "admin"]
CHANGES = ["grant_facilitator", "grant_secretariat", "grant_admin", "drop_role", "add_membership",
           "remove_membership", "deactivate", "rename"]


def allowed(actor: str, target: str, change: str) -> bool:
    """The policy, written out independently of the code."""
    if actor not in ("secretariat", "admin"):
        return False
    if actor == "secretariat" and target == "admin":
        return False  # only administrators change administrators
    if actor == target:
        return change == "rename"
    if change == f"grant_{target}":
        return False  # nothing to grant: they hold it already  # nobody changes their own roles, memberships or account state
    if change == "drop_role" and target in ("facilitator", "admin") and actor != "admin":
        return False  # taking facilitator or admin away is an administrator's act too
    if change in ("grant_facilitator", "grant_admin"):
        return actor == "admin"
    if change == "drop_role" and target in ("member", "coordinator"):
        return False  # nothing to drop: they hold no network role
    return True


@pytest.fixture
def people(app, make_city, make_user):
    alpha, beta = make_city("Alpha City", slug="alpha"), make_city("Beta Town", slug="beta")
    users = {
        "member": make_user("member@a.example", city=alpha),
        "coordinator": make_user("coord@a.example", city=alpha, city_role="coordinator"),
        "facilitator": make_user("fac@net.example", roles=["facilitator"], city=beta),
        "secretariat": make_user("sec@net.example", roles=["secretariat"], city=beta),
        "admin": make_user("admin@net.example", roles=["admin"], city=beta),
    }
    return {"users": users, "alpha": alpha, "beta": beta}


def _state(user_id: int) -> tuple:
    db.session.rollback()
    user = db.session.get(User, user_id)
    db.session.refresh(user)
    return (user.name, user.active, tuple(sorted(user.roles)),
            tuple(sorted((m.city.slug, m.role) for m in user.memberships)))


def _attempt(client, actor: str, target: User, change: str) -> None:
    # What the edit form can send: the roles it offers to this actor.
    roles = sorted(r for r in target.roles if actor == "admin" or r == "secretariat")
    edit = f"/users/{target.id}/edit"
    if change.startswith("grant_"):
        client.post(edit, data={"name": target.name, "locale": "en", "roles": roles + [change[6:]]})
    elif change == "drop_role":
        client.post(edit, data={"name": target.name, "locale": "en", "roles": []})
    elif change == "rename":
        client.post(edit, data={"name": "Renamed Person", "locale": "en", "roles": roles})
    elif change == "add_membership":
        client.post(f"/users/{target.id}/memberships", data={"city": "beta", "role": "coordinator"})
    elif change == "remove_membership":
        membership = target.memberships[0]
        client.post(f"/users/{target.id}/memberships/{membership.id}/delete")
    elif change == "deactivate":
        client.post(f"/users/{target.id}/active", data={"active": "0"})


@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("target", PEOPLE)
@pytest.mark.parametrize("actor", ACTORS)
def test_role_change(client, people, actor, target, change):
    subject = people["users"][target]
    if actor != "anonymous":
        login_as(client, people["users"][actor])
    before = _state(subject.id)
    _attempt(client, actor, subject, change)
    after = _state(subject.id)
    if allowed(actor, target, change):
        assert after != before, f"{actor} should be able to {change} {target}"
        entry = db.session.execute(db.select(AuditEntry).filter_by(object_type="user", object_id=str(subject.id))
                                   .order_by(AuditEntry.id.desc())).scalars().first()
        assert entry is not None and entry.actor_id == people["users"][actor].id  # who did it is kept
    else:
        assert after == before, f"{actor} must not be able to {change} {target}"


def test_an_administrator_keeps_the_secretariats_ungrantable_roles_when_it_edits(client, people):
    """The secretariat's edit form offers only what it may change; a facilitator stays a facilitator."""
    facilitator = people["users"]["facilitator"]
    login_as(client, people["users"]["secretariat"])
    page = client.get(f"/users/{facilitator.id}/edit").get_data(as_text=True)
    assert 'value="secretariat"' in page and 'value="facilitator"' not in page and 'value="admin"' not in page
    assert "Only an administrator can change these roles: Facilitator." in page
    client.post(f"/users/{facilitator.id}/edit", data={"name": "Fay", "locale": "es", "roles": ["secretariat"]})
    assert _state(facilitator.id)[:3] == ("Fay", True, ("facilitator", "secretariat"))


def test_ones_own_edit_page_offers_no_roles(client, people):
    admin = people["users"]["admin"]
    login_as(client, admin)
    page = client.get(f"/users/{admin.id}/edit").get_data(as_text=True)
    assert 'name="roles"' not in page and "You cannot change your own roles" in page
