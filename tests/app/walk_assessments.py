"""Route-by-role expectations for self-assessments (imported by test_permissions_walk).

The world's assessment is city A's draft: its member reads and writes it; the coordinator of city B gets 404
everywhere (neither reading nor changing it, nor learning it exists); facilitators get 404 too while it is a
draft (they read submitted ones); the secretariat and admins read it and may reopen, but never fill it in (403).
"""
from tests.app.test_permissions_walk import S

CITY_READ = S(302, 200, 404, 404, 200, 200)
CITY_WRITE = S(302, 200, 404, 404, 403, 403)

EXPECTED = {
    "assessments.index": ("GET", S(302, 200, 200, 200, 200, 200)),
    "assessments.start": ("POST", S(302, 404, 404, 404, 404, 404)),  # no city given: nothing to start
    "assessments.cycle_list": ("GET", S(302, 403, 403, 403, 200, 200)),
    "assessments.overview": ("GET", CITY_READ),
    "assessments.section": ("GET", CITY_READ),
    "assessments.printable": ("GET", CITY_READ),
    "assessments.workbook_download": ("GET", CITY_READ),
    "assessments.save_criterion": ("POST", CITY_WRITE, {"gov.1__version": "0", "gov.1__justification": "Walks"}),
    "assessments.submit": ("POST", S(302, 400, 404, 404, 403, 403)),  # the draft has unanswered criteria
    "assessments.reopen": ("POST", S(302, 403, 404, 404, 302, 302), {"reason": "x"}),  # a draft: nothing to reopen
    "assessments.workbook_upload": ("GET", CITY_WRITE),
    "assessments.workbook_confirm": ("POST", S(302, 404, 404, 404, 403, 403)),  # an unknown upload token
    "api.get_assessment": ("GET", S(401, 200, 404, 404, 200, 200)),
    "api.update_answer": ("PATCH", S(401, 428, 404, 404, 403, 403), {"level": 1}),  # no If-Match
    "api.submit_assessment": ("POST", S(401, 422, 404, 404, 403, 403)),
    "api.reopen_assessment": ("POST", S(401, 403, 404, 404, 422, 422)),  # no reason given
    "api.start_assessment": ("POST", S(401, 422, 422, 422, 422, 422)),  # no city given
}


def world(db, city_a, users, cycle) -> dict:
    """A fixture rubric, a cycle of its own pinned to it, and city A's draft in that cycle."""
    import datetime as dt

    from peer_review.assessments import operations as ops
    from peer_review.cycles.models import Cycle
    from tests.fixtures.rubrics import store_rubric

    version = store_rubric(db)
    own_cycle = Cycle(name="Assessment walk round", starts_on=dt.date(2027, 1, 1), ends_on=dt.date(2027, 12, 1),
                      state="open", cities=[city_a], rubric_version_id=version.id)
    db.session.add(own_cycle)
    db.session.flush()
    assessment = ops.get_or_start(city_a, own_cycle, actor=users["member"])
    db.session.commit()
    return {"assessment_id": assessment.id, "section_id": "governance", "criterion_id": "gov.1",
            "upload_token": "no-such-upload"}
