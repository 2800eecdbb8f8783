"""How long one autosave of a self-assessment answer takes on the server (SQLite, one process).

A city member's section page posts one criterion's fields after typing stops; this sends 200 such saves, each
with a changed justification and the version the previous one returned, and prints the median and the 95th
percentile. Uses the real core rubric when it loads, else the tests' fixture rubric. Not a timed test.
Run: .venv/bin/python bench/bench_assessment_save.py
"""
from __future__ import annotations

import os
import re
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SAVES = 200


def _rubric(db):
    try:
        from peer_review.rubrics.operations import load_version
        return load_version(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                         "rubrics", "core", "1.0.yaml"))
    except Exception as err:  # noqa: BLE001  (the rubric loader is optional here)
        print(f"core rubric not loaded ({type(err).__name__}); using the fixture rubric")
        from tests.fixtures.rubrics import store_rubric
        return store_rubric(db)


def main() -> None:
    from flask_migrate import upgrade

    from peer_review import create_app
    from peer_review.assessments import operations as ops
    from peer_review.cycles.models import Cycle
    from peer_review.demo.loader import load_demo
    from peer_review.extensions import db
    from peer_review.rubrics import content

    folder = tempfile.mkdtemp()
    os.environ["INSTANCE_PATH"] = folder
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db"})
    with app.app_context():
        upgrade()
        load_demo()
        version = _rubric(db)
        cycle = db.session.execute(db.select(Cycle).filter_by(name="2026 round")).scalar_one()
        cycle.rubric_version_id = version.id
        db.session.commit()
        city = next(c for c in cycle.cities if c.slug == "kisaru")
        assessment = ops.get_or_start(city, cycle)
        db.session.commit()
        assessment_id = assessment.id
        criterion = content.criteria(version)[0]["id"]
        print(f"rubric {version.label}: {len(content.criteria(version))} criteria; saving {criterion}")
    client = app.test_client()
    with app.app_context():  # signed in by session: the sign-in form's rate limiter is off here
        from peer_review.users.models import User
        member = db.session.execute(db.select(User).filter_by(email="member.kisaru@demo.safercities.example")
                                    ).scalar_one()
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = member.get_id(), True
    url = f"/assessments/{assessment_id}/criteria/{criterion}"
    version_no, times = 0, []
    text = "The safety unit meets the police and the youth council every month. "
    for n in range(SAVES):
        t = time.perf_counter()
        response = client.post(url, headers={"HX-Request": "true"}, data={
            f"{criterion}__level": str(n % 5), f"{criterion}__justification": text * (1 + n % 20) + str(n),
            f"{criterion}__version": str(version_no)})
        times.append((time.perf_counter() - t) * 1000)
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and "Saved at" in body, body[:300]
        version_no = int(re.search(r'__version" value="(\d+)"', body).group(1))
    times.sort()
    print(f"{SAVES} autosaves: median {statistics.median(times):.1f} ms, "
          f"p95 {times[int(len(times) * 0.95) - 1]:.1f} ms, max {times[-1]:.1f} ms")


if __name__ == "__main__":
    main()
