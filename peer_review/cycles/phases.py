"""A cycle's phases: their dates, moving the cycle forward one step at a time, and what is still undone.

draft → open in "self-assessment" → "peer review" → "city response" → "evidence coding" → "reporting" → closed.
Only the secretariat moves a cycle, only forward; closing makes it read-only everywhere.
"""
from __future__ import annotations

import datetime as dt

from ..audit.operations import record
from ..errors import ValidationFailed
from ..extensions import db
from ..i18n import lazy_gettext as _l
from .models import CLOSED, DRAFT, OPEN, PHASE_KEYS, PHASES, CyclePhase

PHASE_LABELS = dict(PHASES)


def _as_date(value, field: str, errors: dict):
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        errors[field] = [_l("Enter a date as YYYY-MM-DD")]
        return None


def apply_phase_dates(cycle, phases, errors: dict) -> None:
    """``phases``: {phase key: {"starts_on": date, "due_on": date}} (either may be empty). Each phase's dates
    lie within the cycle and its due date is on or after its start."""
    if not isinstance(phases, dict):
        errors["phases"] = [_l("Give the phases as an object keyed by phase")]
        return
    unknown = sorted(set(phases) - set(PHASE_KEYS))
    if unknown:
        errors["phases"] = [_l("Unknown phases: %(keys)s", keys=", ".join(map(str, unknown[:5])))]
        return
    existing = {p.phase: p for p in cycle.phases}
    for position, key in enumerate(PHASE_KEYS):
        if key not in phases:
            continue
        given = phases[key] if isinstance(phases[key], dict) else {}
        starts = _as_date(given.get("starts_on"), f"{key}_starts_on", errors)
        due = _as_date(given.get("due_on"), f"{key}_due_on", errors)
        label = PHASE_LABELS[key]
        if starts and due and due < starts:
            errors[f"{key}_due_on"] = [_l("%(phase)s: the due date must be on or after its start", phase=label)]
        for field, value in ((f"{key}_starts_on", starts), (f"{key}_due_on", due)):
            if value and cycle.starts_on and cycle.ends_on and not (cycle.starts_on <= value <= cycle.ends_on):
                errors.setdefault(field, []).append(_l(
                    "%(phase)s: dates must fall within the cycle, %(start)s to %(end)s", phase=label,
                    start=cycle.starts_on.isoformat(), end=cycle.ends_on.isoformat()))
        row = existing.get(key)
        if row is None:
            row = CyclePhase(phase=key, position=position)
            cycle.phases.append(row)
        row.starts_on, row.due_on = starts, due


def next_step(cycle) -> tuple[str, str | None] | None:
    """(state, phase) the cycle moves to next, or None when it is closed."""
    if cycle.state == DRAFT:
        return OPEN, PHASE_KEYS[0]
    if cycle.state == OPEN:
        position = PHASE_KEYS.index(cycle.phase) if cycle.phase in PHASE_KEYS else -1
        if position + 1 < len(PHASE_KEYS):
            return OPEN, PHASE_KEYS[position + 1]
        return CLOSED, None
    return None


def step_label(step) -> str:
    if step is None:
        return ""
    state, phase = step
    if state == CLOSED:
        return _l("Closed")
    return PHASE_LABELS[phase]


def current_label(cycle) -> str:
    if cycle.state == OPEN and cycle.phase in PHASE_LABELS:
        return PHASE_LABELS[cycle.phase]
    return {DRAFT: _l("Draft"), CLOSED: _l("Closed")}.get(cycle.state, _l("In progress"))


def blockers(cycle) -> list:
    """What must hold before the next step (refused otherwise)."""
    step = next_step(cycle)
    out = []
    if step is None:
        return [_l("This cycle is closed.")]
    if step == (OPEN, PHASE_KEYS[0]):
        if cycle.rubric_version_id is None:
            out.append(_l("Choose the rubric version the cycle's self-assessments use."))
        if not cycle.cities:
            out.append(_l("Add the participating cities."))
    return out


def pending_work(cycle) -> list:
    """What is not finished in the current phase: shown before advancing (it does not stop the secretariat,
    who may move on with late parties; the board keeps following them)."""
    from ..assessments.models import Assessment
    from ..assignments.models import PUBLISHED, Assignment
    from ..reviews.models import CityResponse, Review
    notes = []
    if cycle.state != OPEN:
        return notes
    cities = len(cycle.cities)
    if cycle.phase == "self_assessment":
        submitted = db.session.execute(db.select(db.func.count(Assessment.id)).filter_by(
            cycle_id=cycle.id, state="submitted")).scalar_one()
        if submitted < cities:
            notes.append(_l("%(n)s of %(total)s cities have not submitted their self-assessment.",
                            n=cities - submitted, total=cities))
        published = db.session.execute(db.select(db.func.count(Assignment.id)).filter_by(
            cycle_id=cycle.id, state=PUBLISHED)).scalar_one()
        if not published:
            notes.append(_l("No peer assignments are published yet: reviewers cannot start."))
    elif cycle.phase == "peer_review":
        published = db.session.execute(db.select(db.func.count(Assignment.id)).filter_by(
            cycle_id=cycle.id, state=PUBLISHED)).scalar_one()
        done = db.session.execute(db.select(db.func.count(Review.id)).join(
            Assignment, Assignment.id == Review.assignment_id).filter(
            Review.cycle_id == cycle.id, Review.state == "submitted", Assignment.state == PUBLISHED)).scalar_one()
        if done < published:
            notes.append(_l("%(n)s of %(total)s peer reviews are not submitted.", n=published - done,
                            total=published))
        unreleased = db.session.execute(db.select(db.func.count(Review.id)).filter(
            Review.cycle_id == cycle.id, Review.state == "submitted", Review.released_at.is_(None))).scalar_one()
        if unreleased:
            notes.append(_l("%(n)s submitted reviews are not released to their cities yet.", n=unreleased))
    elif cycle.phase == "city_response":
        responded = db.session.execute(db.select(db.func.count(CityResponse.id)).filter_by(
            cycle_id=cycle.id, state="submitted")).scalar_one()
        if responded < cities:
            notes.append(_l("%(n)s of %(total)s cities have not submitted their response.",
                            n=cities - responded, total=cities))
    return notes


def advance(cycle, actor=None):
    """Move the cycle one step forward; refused (ValidationFailed) while a blocker holds."""
    step = next_step(cycle)
    problems = blockers(cycle)
    if step is None or problems:
        raise ValidationFailed({"cycle": problems or [_l("This cycle is closed.")]})
    before = cycle.snapshot()
    cycle.state, cycle.phase = step
    db.session.flush()
    record("cycle.advance", "cycle", cycle.id, summary=f"{cycle.name}: {step_label(step)}", before=before,
           after=cycle.snapshot(), actor=actor)
    return cycle


def is_late(cycle, phase: str, today: dt.date) -> bool:
    dates = cycle.phase_dates(phase)
    return bool(dates and dates.due_on and today > dates.due_on)
