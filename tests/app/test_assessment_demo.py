"""Demo self-assessments: nothing without a rubric version; with one, mixed states, idempotent."""
from __future__ import annotations

import pytest


@pytest.mark.slow  # builds the whole demo network: runs with the slow part of make test
def test_demo_assessments_follow_the_rubric_version(app):
    from peer_review.assessments.models import Assessment
    from peer_review.cycles.models import Cycle
    from peer_review.demo.assessments import seed_assessments
    from peer_review.demo.loader import load_demo
    from peer_review.extensions import db

    counts = load_demo()  # loads the core rubric and pins the demo cycles to it
    assert counts["assessments"] == 24
    current = db.session.execute(db.select(Cycle).filter_by(name="2026 round")).scalar_one()
    earlier = db.session.execute(db.select(Cycle).filter_by(name="2025 round")).scalar_one()
    assert current.rubric_version.label == "core 1.0" and earlier.rubric_version_id == current.rubric_version_id
    unpinned = Cycle(name="Pilot without rubric", starts_on=current.starts_on, ends_on=current.ends_on,
                     state="open", cities=list(current.cities))
    db.session.add(unpinned)
    db.session.commit()
    assert seed_assessments([unpinned])["assessments"] == 0  # no rubric version: nothing
    assert db.session.execute(db.select(Assessment).filter_by(cycle_id=unpinned.id)).first() is None
    states = {}
    for a in db.session.execute(db.select(Assessment).filter_by(cycle_id=current.id)).scalars():
        answered = sum(1 for x in a.answers if x.answered)
        states.setdefault((a.state, answered), []).append(a.city.slug)
    assert {k for k in states} == {("draft", 0), ("draft", 24), ("submitted", 49)}  # of the 49 criteria
    old = db.session.execute(db.select(Assessment).filter_by(cycle_id=earlier.id)).scalars().all()
    assert len(old) == 12 and all(a.state == "submitted" for a in old)
    spanish = next(a for a in old if a.city.slug == "san-aurelio")
    assert any(w in spanish.answers[0].justification for w in ("ciudad", "plan", "barrios", "Todavía", "No hemos"))
    assert seed_assessments()["assessments"] == 0  # idempotent
