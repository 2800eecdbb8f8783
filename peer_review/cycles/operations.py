"""Creating and changing review cycles (minimal now; phases and deadlines come later)."""
from __future__ import annotations

import datetime as dt

from ..audit.operations import record
from ..cities.models import City
from ..errors import ValidationFailed
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..utils import strip_control
from .models import CYCLE_STATES, Cycle

STATES = {s for s, _ in CYCLE_STATES}


def _date(value, field: str, errors: dict):
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        errors[field] = [_l("Enter a date as YYYY-MM-DD")]
        return None


def _apply(cycle: Cycle, data: dict) -> None:
    errors: dict[str, list] = {}
    if "name" in data:
        name = (strip_control(str(data["name"] or "")) or "").strip()
        if not name or len(name) > 120:
            errors["name"] = [_l("Enter a name of 1 to 120 characters")]
        else:
            clash = db.session.execute(db.select(Cycle.id).filter(Cycle.name == name)).scalar_one_or_none()
            if clash is not None and clash != cycle.id:
                errors["name"] = [_l("Another cycle is already called %(name)s", name=name)]
            cycle.name = name
    for field in ("starts_on", "ends_on"):
        if field in data:
            setattr(cycle, field, _date(data[field], field, errors))
    if "state" in data:
        if data["state"] not in STATES:
            errors["state"] = [_l("Choose draft, open or closed")]
        else:
            cycle.state = data["state"]
    if "cities" in data:
        slugs = data["cities"] if isinstance(data["cities"], (list, tuple)) else None
        if slugs is None or not all(isinstance(s, str) for s in slugs):
            errors["cities"] = [_l("Give a list of city short names")]
        else:
            cities = db.session.execute(db.select(City).filter(City.slug.in_(slugs))).scalars().all()
            unknown = sorted(set(slugs) - {c.slug for c in cities})
            if unknown:
                errors["cities"] = [_l("Unknown cities: %(slugs)s", slugs=", ".join(unknown[:10]))]
            else:
                cycle.cities = list(cities)
    if "rubric_version" in data:
        _apply_rubric_version(cycle, data["rubric_version"], errors)
    if not errors and cycle.starts_on and cycle.ends_on and cycle.ends_on < cycle.starts_on:
        errors["ends_on"] = [_l("The end date must be on or after the start date")]
    for field in ("name", "starts_on", "ends_on"):
        if getattr(cycle, field) is None and field not in errors:
            errors[field] = [_l("This field is required")]
    if errors:
        raise ValidationFailed(errors)


def _apply_rubric_version(cycle: Cycle, ref, errors: dict) -> None:
    """Pin the cycle to a rubric version ("core@1.0", an id, or none yet). Once a self-assessment of the cycle
    exists its answers are on that version's criteria and scale, so the version can no longer change."""
    from ..assessments.models import Assessment
    from ..rubrics.operations import parse_ref, ref_of

    version = None if ref in (None, "") else parse_ref(ref)
    if ref not in (None, "") and version is None:
        errors["rubric_version"] = [_l("No rubric version %(ref)s is loaded: give it as rubric@version, for "
                                       "example core@1.0", ref=str(ref)[:90])]
        return
    new_id = version.id if version is not None else None
    if new_id == cycle.rubric_version_id:
        return
    if cycle.id is not None and db.session.execute(
            db.select(Assessment.id).filter(Assessment.cycle_id == cycle.id).limit(1)).first() is not None:
        errors["rubric_version"] = [_l(
            "Self-assessments of this cycle have started on %(current)s: its rubric version can no longer change.",
            current=ref_of(cycle.rubric_version) or _l("no rubric version"))]
        return
    cycle.rubric_version = version
    cycle.rubric_version_id = new_id


def create_cycle(data: dict) -> Cycle:
    cycle = Cycle(state="draft")
    _apply(cycle, data)  # not in the session yet, so a failure leaves nothing behind
    db.session.add(cycle)
    db.session.flush()
    record("cycle.create", "cycle", cycle.id, summary=cycle.name, after=cycle.snapshot())
    return cycle


def update_cycle(cycle: Cycle, data: dict) -> Cycle:
    before = cycle.snapshot()
    with db.session.no_autoflush:
        _apply(cycle, data)
    db.session.flush()
    after = cycle.snapshot()
    if after != before:
        record("cycle.update", "cycle", cycle.id, summary=cycle.name, before=before, after=after)
    return cycle


def current_cycles(city_ids: set[int] | None = None):
    stmt = db.select(Cycle).filter(Cycle.state == "open").order_by(Cycle.starts_on.desc())
    cycles = db.session.execute(stmt).scalars().all()
    if city_ids is None:
        return cycles
    return [c for c in cycles if c.city_ids & city_ids]
