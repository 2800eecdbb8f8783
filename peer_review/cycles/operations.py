"""Creating and changing review cycles: dates, cities, rubric version, phase dates and assignment settings.
Moving a cycle through its phases is ``phases.advance``."""
from __future__ import annotations

import datetime as dt

from ..audit.operations import record
from ..cities.models import City
from ..errors import ValidationFailed
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..utils import strip_control
from . import phases as phase_ops
from .models import CLOSED, CYCLE_STATES, DRAFT, OPEN, PHASE_KEYS, PREFERENCES, Cycle

STATES = {s for s, _ in CYCLE_STATES}
SETTING_FLAGS = ("even_load", "no_swaps", "avoid_repeats")
MAX_REVIEWERS = 10


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
        _apply_state(cycle, data["state"], errors)
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
    _apply_settings(cycle, data, errors)
    if not errors and cycle.starts_on and cycle.ends_on and cycle.ends_on < cycle.starts_on:
        errors["ends_on"] = [_l("The end date must be on or after the start date")]
    if "phases" in data and not errors:
        phase_ops.apply_phase_dates(cycle, data["phases"], errors)
    for field in ("name", "starts_on", "ends_on"):
        if getattr(cycle, field) is None and field not in errors:
            errors[field] = [_l("This field is required")]
    if errors:
        raise ValidationFailed(errors)


def _apply_state(cycle: Cycle, state, errors: dict) -> None:
    """A new cycle starts as a draft or open; afterwards the state only moves forward (draft → open → closed),
    as ``phases.advance`` moves it. Opening starts the self-assessment phase."""
    if state not in STATES:
        errors["state"] = [_l("Choose draft, open or closed")]
        return
    current = cycle.state or DRAFT
    if state == current:
        if state == OPEN and not cycle.phase:
            cycle.phase = PHASE_KEYS[0]
        return
    order = [DRAFT, OPEN, CLOSED]
    if cycle.id is not None and order.index(state) < order.index(current):
        errors["state"] = [_l("A cycle only moves forward: it cannot go back from %(current)s to %(state)s",
                              current=dict(CYCLE_STATES)[current], state=dict(CYCLE_STATES)[state])]
        return
    cycle.state = state
    cycle.phase = PHASE_KEYS[0] if state == OPEN else None


def _apply_settings(cycle: Cycle, data: dict, errors: dict) -> None:
    """Peer assignment settings: reviewers per city, the rules' switches, the preference, per-city load caps."""
    if "reviewers_per_city" in data:
        value = data["reviewers_per_city"]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_REVIEWERS:
            errors["reviewers_per_city"] = [_l("Give a whole number from 0 to %(n)s", n=MAX_REVIEWERS)]
        else:
            cycle.reviewers_per_city = value
    for flag in SETTING_FLAGS:
        if flag in data:
            if not isinstance(data[flag], bool):
                errors[flag] = [_l("Give true or false")]
            else:
                setattr(cycle, flag, data[flag])
    if "preference" in data:
        if data["preference"] not in {k for k, _label in PREFERENCES}:
            errors["preference"] = [_l("Choose other_region, same_peer_group or none")]
        else:
            cycle.preference = data["preference"]
    if "assignment_seed" in data:
        seed = data["assignment_seed"]
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2 ** 31:
            errors["assignment_seed"] = [_l("Give a whole number from 0 to 2147483647")]
        else:
            cycle.assignment_seed = seed
    if "load_overrides" in data:
        _apply_overrides(cycle, data["load_overrides"], errors)


def _apply_overrides(cycle: Cycle, overrides, errors: dict) -> None:
    """{city slug: the most cities it reviews}; only participating cities; an empty value removes it."""
    if not isinstance(overrides, dict):
        errors["load_overrides"] = [_l("Give the overrides as an object of city short name to a number")]
        return
    by_slug = {c.slug: c for c in cycle.cities}
    out = {}
    for slug, value in overrides.items():
        city = by_slug.get(slug)
        if city is None:
            errors["load_overrides"] = [_l("%(slug)s does not take part in this cycle", slug=str(slug)[:80])]
            return
        if value in (None, ""):
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 50:
            errors["load_overrides"] = [_l("%(city)s: give a whole number from 0 to 50", city=city.name)]
            return
        out[str(city.id)] = value
    cycle.load_overrides = out


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
    cycle = Cycle(state="draft", reviewers_per_city=2, even_load=True, no_swaps=True, avoid_repeats=True,
                  preference="other_region", load_overrides={}, assignment_seed=0)
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
