"""Fixtures shared by the self-assessment tests: a fixture rubric, a cycle pinned to it, two cities."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.fixtures.rubrics import CRITERIA, store_rubric  # noqa: F401


@pytest.fixture
def setting(app, make_city, make_user):
    from peer_review.cycles.models import Cycle
    from peer_review.extensions import db

    version = store_rubric(db)
    city_a = make_city("Alpha City", slug="alpha")
    city_b = make_city("Beta Town", slug="beta")
    cycle = Cycle(name="2027 round", starts_on=dt.date(2027, 1, 1), ends_on=dt.date(2027, 12, 1), state="open",
                  cities=[city_a, city_b], rubric_version_id=version.id)
    db.session.add(cycle)
    db.session.commit()
    people = {
        "coordinator": make_user("coord@a.example", city=city_a, city_role="coordinator"),
        "member": make_user("member@a.example", city=city_a, city_role="member"),
        "other": make_user("coord@b.example", city=city_b, city_role="coordinator"),
        "facilitator": make_user("fac@net.example", roles=["facilitator"]),
        "secretariat": make_user("sec@net.example", roles=["secretariat"]),
    }
    return {"version": version, "city_a": city_a, "city_b": city_b, "cycle": cycle, **people}


def start(setting, city="city_a"):
    from peer_review.assessments import operations as ops
    from peer_review.extensions import db
    assessment = ops.get_or_start(setting[city], setting["cycle"], actor=setting["coordinator"])
    db.session.commit()
    return assessment


def full_answers(level=2):
    return {cid: {"level": level, "justification": f"Answer for {cid}"} for cid in CRITERIA}
