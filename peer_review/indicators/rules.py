"""The indicators domain's actions, added to the one permission table (``peer_review.permissions``).

A city's indicators, numeric entries and field-trial ratings are the city's own: its members, facilitators and
the secretariat see them; no other city does (the peer-group distribution shows other cities only as unnamed
points). The network dashboard is for the secretariat and facilitators. What opens from a figure is filtered
again by the evidence rules (restricted testimonies stay with the owning city and facilitators).
"""
from __future__ import annotations

from ..access import _cycle_open, is_facilitator, is_staff, member_city_ids
from ..permissions import register
from ..users.models import COORDINATOR


def _reads_city(user, city) -> bool:
    if not user.is_authenticated:
        return False
    if city is None:
        return True
    return is_staff(user) or is_facilitator(user) or city.id in member_city_ids(user)


def _network_reader(user, obj=None) -> bool:
    return is_staff(user) or is_facilitator(user)


def _reports_for(user, city) -> bool:
    """Entering numbers: the city's members and the secretariat."""
    if not user.is_authenticated:
        return False
    return city is None or is_staff(user) or city.id in member_city_ids(user)


def _coordinates_or_staff(user, city) -> bool:
    if not user.is_authenticated:
        return False
    return city is None or is_staff(user) or city.id in member_city_ids(user, COORDINATOR)


def _rates(user, pair) -> bool:
    """Field-trial ratings: the city's members, while the cycle is open. obj: (city, cycle) or None."""
    if not user.is_authenticated:
        return False
    if pair is None:
        return bool(member_city_ids(user)) or is_staff(user)
    city, cycle = pair
    return (city.id in member_city_ids(user) or is_staff(user)) and _cycle_open(cycle)


def register_rules() -> None:
    register("indicator.definitions", lambda u, o=None: u.is_authenticated)
    register("indicator.menu", lambda u, o=None: u.is_authenticated)
    register("indicator.city", _reads_city)  # obj: the City
    register("indicator.network", _network_reader)
    register("indicator.local", _coordinates_or_staff, "indicator.city")  # a city's own indicators; obj: City
    register("numeric.view", _reads_city)  # obj: the City
    register("numeric.edit", _reports_for, "numeric.view")  # obj: the City
    register("trial.rate", _rates)  # obj: (City, Cycle)
    register("trial.summary", _network_reader)
    register("trial.decide", lambda u, o=None: is_staff(u))  # move indicators between tiers
    register("peergroup.view", _network_reader)
    register("peergroup.run", lambda u, c=None: is_staff(u) and (c is None or _cycle_open(c)))
