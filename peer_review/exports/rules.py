"""The exports' actions, added to the one permission table (``peer_review.permissions``).

The secretariat and facilitators export a whole cycle; a city's members export their own city (and, in the
reviews table, the reviews their city wrote). Every table then keeps only the rows the person may see under the
domain's own rules (``assessment.view``, ``review.view``, ``response.view``, ``evidence.view``, ``coding.view``,
``indicator.city``), so an export never shows more than the pages do.
"""
from __future__ import annotations

from ..access import is_facilitator, is_staff, member_city_ids
from ..permissions import register


def _network(user, obj=None) -> bool:
    return is_staff(user) or is_facilitator(user)


def _index(user, obj=None) -> bool:
    return user.is_authenticated and (_network(user) or bool(member_city_ids(user)))


def _city(user, city) -> bool:
    """obj: the City to export."""
    if not user.is_authenticated:
        return False
    if city is None:
        return _index(user)
    return _network(user) or city.id in member_city_ids(user)


def register_rules() -> None:
    register("export.index", _index)
    register("export.cycle", _network)  # a whole cycle, every city in it
    register("export.city", _city, "city.view")
