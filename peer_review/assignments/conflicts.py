"""Declaring and withdrawing conflicts of interest between cities (network-wide, every cycle)."""
from __future__ import annotations

from ..audit.operations import record
from ..cities.models import City
from ..errors import ValidationFailed
from ..evidence.sanitize import clean_text
from ..extensions import db
from ..i18n import lazy_gettext as _l
from .models import Conflict

MAX_REASON = 2_000


def find(city_a_id: int, city_b_id: int) -> Conflict | None:
    low, high = sorted((city_a_id, city_b_id))
    return db.session.execute(db.select(Conflict).filter_by(city_a_id=low, city_b_id=high)).scalar_one_or_none()


def all_pairs() -> set[frozenset[int]]:
    return {frozenset(p) for p in db.session.execute(db.select(Conflict.city_a_id, Conflict.city_b_id)).all()}


def declare(city: City, other: City, reason: str, *, on_behalf_of: City | None = None, actor=None) -> Conflict:
    """``on_behalf_of``: the declaring city (one of the two), or None when the secretariat declares it."""
    errors: dict[str, list] = {}
    reason = clean_text(reason or "").strip()
    if city is None:
        errors["city"] = [_l("Choose the first city")]
    if other is None:
        errors["other"] = [_l("Choose the other city")]
    if city is not None and other is not None and city.id == other.id:
        errors["other"] = [_l("Choose two different cities")]
    if not reason:
        errors["reason"] = [_l("Say what the conflict of interest is")]
    elif len(reason) > MAX_REASON:
        errors["reason"] = [_l("Must be %(n)s characters or fewer", n=f"{MAX_REASON:,}")]
    if on_behalf_of is not None and city is not None and other is not None and \
            on_behalf_of.id not in (city.id, other.id):
        errors["city"] = [_l("A city declares conflicts that concern itself")]
    if not errors and find(city.id, other.id) is not None:
        errors["other"] = [_l("A conflict between %(a)s and %(b)s is already declared", a=city.name, b=other.name)]
    if errors:
        raise ValidationFailed(errors)
    low, high = sorted((city, other), key=lambda c: c.id)
    conflict = Conflict(city_a=low, city_b=high, city_a_id=low.id, city_b_id=high.id, reason=reason,
                        declared_by_city=on_behalf_of, declared_by_id=getattr(actor, "id", None))
    db.session.add(conflict)
    db.session.flush()
    record("conflict.declare", "conflict", conflict.id, summary=f"{low.name} / {high.name}",
           after=conflict.snapshot(), actor=actor)
    _flag_assignments(conflict)
    return conflict


def _flag_assignments(conflict: Conflict) -> None:
    """A new conflict turns any proposed pair between the two cities into a removed one (hard rule); a published
    one stays until the secretariat removes it, and the assignment page shows it as breaking the rule."""
    from ..utils import utcnow
    from .models import PROPOSED, REMOVED, Assignment
    rows = db.session.execute(db.select(Assignment).filter(
        Assignment.state == PROPOSED,
        ((Assignment.reviewer_city_id == conflict.city_a_id) & (Assignment.reviewed_city_id == conflict.city_b_id))
        | ((Assignment.reviewer_city_id == conflict.city_b_id) & (Assignment.reviewed_city_id == conflict.city_a_id))
    )).scalars().all()
    for row in rows:
        row.state, row.removed_at = REMOVED, utcnow()


def withdraw(conflict: Conflict, actor=None) -> None:
    record("conflict.delete", "conflict", conflict.id, summary=f"{conflict.city_a.name} / {conflict.city_b.name}",
           before=conflict.snapshot(), actor=actor)
    db.session.delete(conflict)
    db.session.flush()


def visible_to(user):
    """The conflicts this user may see: all for the secretariat, else those of their own cities."""
    from ..permissions import is_staff, member_city_ids
    stmt = db.select(Conflict).order_by(Conflict.created_at.desc(), Conflict.id.desc())
    if not is_staff(user):
        own = member_city_ids(user) or {-1}
        stmt = stmt.filter(Conflict.city_a_id.in_(own) | Conflict.city_b_id.in_(own))
    return stmt
