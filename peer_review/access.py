"""Who someone is in the network, as the permission rules ask it: staff or facilitator, member of which cities,
reviewing which cities in which cycles (from published assignments), and whether an object's cycle is open.

Kept apart from the rule table in ``permissions`` (which re-exports these) so each file reads on its own.
"""
from __future__ import annotations

from .users.models import ADMIN, FACILITATOR, SECRETARIAT


def is_staff(user) -> bool:
    return user.is_authenticated and user.has_role(SECRETARIAT, ADMIN)


def is_facilitator(user) -> bool:
    return user.is_authenticated and user.has_role(FACILITATOR, ADMIN)


def reviewing_pairs(user) -> set[tuple[int, int]]:
    """(reviewed city id, cycle id) for every published assignment of one of the user's cities whose reviewed
    city has submitted its self-assessment: what this user may read as a peer reviewer. Asked afresh on every
    request (cached for the request only), so removing an assignment removes access at once."""
    if not user.is_authenticated:
        return set()
    own = member_city_ids(user)
    if not own:
        return set()
    from flask import g, has_app_context
    key = ("reviewing_pairs", user.id)
    cache = getattr(g, "_permission_cache", None) if has_app_context() else None
    if cache is not None and key in cache:
        return cache[key]
    from .assessments.models import Assessment
    from .assignments.models import PUBLISHED, Assignment
    from .extensions import db
    rows = db.session.execute(
        db.select(Assignment.reviewed_city_id, Assignment.cycle_id)
        .join(Assessment, (Assessment.city_id == Assignment.reviewed_city_id)
              & (Assessment.cycle_id == Assignment.cycle_id))
        .filter(Assignment.reviewer_city_id.in_(own), Assignment.state == PUBLISHED,
                Assessment.state == "submitted")).all()
    pairs = {(city_id, cycle_id) for city_id, cycle_id in rows}
    if has_app_context():
        if cache is None:
            cache = g._permission_cache = {}
        cache[key] = pairs
    return pairs


def reviewing_city_ids(user, cycle=None) -> set[int]:
    """Cities whose submitted material this user may read as a peer reviewer (in ``cycle``, or in any)."""
    cycle_id = getattr(cycle, "id", cycle)
    return {city for city, cyc in reviewing_pairs(user) if cycle_id is None or cyc == cycle_id}


def forget_cached_rights() -> None:
    """After an assignment changes within a request (tests, the API), ask the database again."""
    from flask import g, has_app_context
    if has_app_context():
        g.pop("_permission_cache", None)


def _cycle_open(obj) -> bool:
    """False when ``obj`` (a cycle, or anything with a ``cycle``) belongs to a closed cycle."""
    cycle = obj if getattr(obj, "__tablename__", None) == "cycles" else getattr(obj, "cycle", None)
    return cycle is None or cycle.state != "closed"


def member_city_ids(user, *roles: str) -> set[int]:
    return user.city_ids(*roles) if user.is_authenticated else set()


def reviewer_of_city_since(user, cycle) -> set[int]:
    """Cities one of the user's cities is assigned (published) to review in ``cycle`` or a later cycle."""
    own = member_city_ids(user)
    if not own or cycle is None:
        return set()
    from .assignments.models import PUBLISHED, Assignment
    from .cycles.models import Cycle
    from .extensions import db
    return set(db.session.execute(
        db.select(Assignment.reviewed_city_id).join(Cycle, Cycle.id == Assignment.cycle_id)
        .filter(Assignment.reviewer_city_id.in_(own), Assignment.state == PUBLISHED,
                Cycle.starts_on >= cycle.starts_on)).scalars())
