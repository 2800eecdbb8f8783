"""Who may do what to which object: the one policy every view and API route asks.

``can(user, action, obj)`` answers; ``require(action, obj)`` enforces for the current user, aborting with
401 (not signed in), 404 (the object is not visible to them, so its existence is not confirmed) or 403.

Peer-reviewer rights will come from review assignments: ``reviewing_city_ids`` is where they plug in.
"""
from __future__ import annotations

from typing import Callable

from flask import abort
from flask_login import current_user

from .users.models import ADMIN, COORDINATOR, FACILITATOR, SECRETARIAT

Rule = Callable[[object, object], bool]


def is_staff(user) -> bool:
    return user.is_authenticated and user.has_role(SECRETARIAT, ADMIN)


def is_facilitator(user) -> bool:
    return user.is_authenticated and user.has_role(FACILITATOR, ADMIN)


def reviewing_city_ids(user, cycle=None) -> set[int]:
    """Cities whose submitted material this user may read as a peer reviewer.

    Empty until the peer-review issue adds assignments; every rule that grants reviewers access already
    asks here, so assignments will extend access without touching the rules.
    """
    return set()


def member_city_ids(user, *roles: str) -> set[int]:
    return user.city_ids(*roles) if user.is_authenticated else set()


def _authenticated(user, obj=None) -> bool:
    return user.is_authenticated


def _staff(user, obj=None) -> bool:
    return is_staff(user)


def _admin(user, obj=None) -> bool:
    return user.is_authenticated and user.has_role(ADMIN)


def _city_view(user, city) -> bool:
    if not user.is_authenticated:
        return False
    return city is None or city.active or is_staff(user)


def _self_or_staff(user, other) -> bool:
    return user.is_authenticated and (is_staff(user) or (other is not None and other.id == user.id))


def _self(user, other) -> bool:
    return user.is_authenticated and other is not None and other.id == user.id


def _cycle_view(user, cycle) -> bool:
    if not user.is_authenticated:
        return False
    return cycle is None or cycle.state != "draft" or is_staff(user)


def _coordinates(user, city) -> bool:
    return user.is_authenticated and city is not None and city.id in member_city_ids(user, COORDINATOR)


RULES: dict[str, Rule] = {
    "home.view": _authenticated,
    "city.list": _authenticated,
    "city.view": _city_view,
    "city.create": _staff,
    "city.edit": _staff,
    "city.members": lambda u, c: _staff(u) or _coordinates(u, c),
    "user.list": _staff,
    "user.view": _self_or_staff,
    "user.invite": _staff,
    "user.edit": _staff,
    "user.grant_admin": _admin,
    "token.manage": _self,
    "audit.view": _staff,
    "cycle.list": _authenticated,
    "cycle.view": _cycle_view,
    "cycle.manage": _staff,
    "outbox.view": _admin,
}

# When the subject cannot even see the object, answer 404 rather than 403.
VIEW_ACTION = {
    "city.edit": "city.view",
    "city.members": "city.view",
    "user.edit": "user.view",
    "token.manage": "user.view",
    "cycle.manage": "cycle.view",
}


def register(action: str, rule: Rule, view_action: str | None = None) -> None:
    """Let a domain add its own actions, keeping all rules in one table."""
    RULES[action] = rule
    if view_action:
        VIEW_ACTION[action] = view_action


def can(user, action: str, obj=None) -> bool:
    try:
        rule = RULES[action]
    except KeyError:  # an unknown action is a programming error, never a silent yes
        raise LookupError(f"unknown permission action {action!r}") from None
    return bool(rule(user, obj))


def require(action: str, obj=None) -> None:
    user = current_user
    if not user.is_authenticated:
        abort(401)
    if can(user, action, obj):
        return
    view = VIEW_ACTION.get(action, action if action.endswith(".view") else None)
    if obj is not None and view and not can(user, view, obj):
        abort(404)
    abort(403)
