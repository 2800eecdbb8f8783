"""Who reads and enters practices (added to the one permission table, ``peer_review.permissions``)."""
from __future__ import annotations

from ..access import is_staff, member_city_ids
from ..permissions import register


def _enters(user, city=None) -> bool:
    """obj: the City (or None: may enter a practice for some city)."""
    if not user.is_authenticated:
        return False
    if is_staff(user):
        return True
    mine = member_city_ids(user)
    return bool(mine) if city is None else city.id in mine


def _edits(user, practice) -> bool:
    if not user.is_authenticated:
        return False
    return practice is None or is_staff(user) or practice.city_id in member_city_ids(user)


def _reads(user, practice=None) -> bool:
    if practice is None:
        return user.is_authenticated
    from .service import can_see_practice
    return can_see_practice(user, practice)


def register_rules() -> None:
    register("practice.menu", lambda u, o=None: u.is_authenticated)
    register("practice.view", _reads)  # obj: a Practice
    register("practice.create", _enters)  # obj: the City
    register("practice.edit", _edits, "practice.view")  # obj: a Practice
