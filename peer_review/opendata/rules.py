"""Open data is read by anyone, signed in or not, once published; only the secretariat publishes."""
from __future__ import annotations

from ..access import is_staff
from ..permissions import register


def register_rules() -> None:
    register("opendata.read", lambda u, o=None: True)  # published releases only: the views never serve others
    register("opendata.publish", lambda u, o=None: u.is_authenticated and is_staff(u))
