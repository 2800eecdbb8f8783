"""Demo self-assessments: nothing without a rubric version; with one, mixed states, idempotent."""
from __future__ import annotations


def test_demo_assessments_follow_the_rubric_version(app):
    from peer_review.assessments.models import Assessment
    from peer_review.cycles.models import Cycle
    from peer_review.demo.assessments import seed_assessments
    from peer_review.demo.loader import load_demo
    from peer_review.extensions import db
    from tests.fixtures.rubrics import store_rubric

    load_demo()
    assert db.session.execute(db.select(Assessment)).first() is None  # no rubric version: nothing
    version = store_rubric(db)
    for name in ("2025 round", "2026 round"):
        db.session.execute(db.select(Cycle).filter_by(name=name)).scalar_one().rubric_version_id = version.id
    db.session.commit()
    db.session.expire_all()
    assert seed_assessments()["assessments"] == 24
    db.session.commit()
    current = db.session.execute(db.select(Cycle).filter_by(name="2026 round")).scalar_one()
    earlier = db.session.execute(db.select(Cycle).filter_by(name="2025 round")).scalar_one()
    states = {}
    for a in db.session.execute(db.select(Assessment).filter_by(cycle_id=current.id)).scalars():
        answered = sum(1 for x in a.answers if x.answered)
        states.setdefault((a.state, answered), []).append(a.city.slug)
    assert {k for k in states} == {("draft", 0), ("draft", 2), ("submitted", 4)}
    old = db.session.execute(db.select(Assessment).filter_by(cycle_id=earlier.id)).scalars().all()
    assert len(old) == 12 and all(a.state == "submitted" for a in old)
    spanish = next(a for a in old if a.city.slug == "san-aurelio")
    assert any(w in spanish.answers[0].justification for w in ("ciudad", "plan", "barrios", "Todavía", "No hemos"))
    assert seed_assessments()["assessments"] == 0  # idempotent
