"""Route-by-role expectations for reports (imported by test_permissions_walk).

The world: a cycle of its own in which city A has submitted its self-assessment, with A's peer review report
and one published revision (stored bytes, not rendered: the walk checks access, not rendering). A's reports are
read by its members, facilitators and the secretariat; another city's coordinator is told nothing (404). Only
the secretariat (and admins) publish. Drafts of the cycle report are for facilitators and the secretariat;
its published revisions for everyone signed in.
"""
from tests.app.test_permissions_walk import API_ALL, SIGNED_IN, S

READERS = S(302, 200, 404, 200, 200, 200)
API_READERS = S(401, 200, 404, 200, 200, 200)
STAFF_READERS = S(302, 404, 404, 200, 200, 200)  # drafts of the cycle report

EXPECTED = {
    "reports.index": ("GET", SIGNED_IN(200)),
    # The city's reports walk as its "State of Safety" (the peer review report is the same route); its PDF goes
    # to a background rendering here (REPORT_INLINE_SECONDS is 0 in this world): a redirect to its progress.
    "reports.city_report": ("GET", READERS),
    "reports.city_pdf": ("GET", S(302, 302, 404, 302, 302, 302)),
    "reports.publish_city": ("POST", S(302, 403, 404, 403, 303, 303)),  # a correction without a note
    "reports.stories": ("GET", S(302, 403, 404, 200, 200, 200)),  # the city's coordinators, not its members
    "reports.render_status": ("GET", S(302, 200, 404, 404, 200, 200)),  # whoever started it, and the staff
    "reports.render_pdf": ("GET", S(302, 200, 404, 404, 200, 200)),
    "reports.cycle": ("GET", STAFF_READERS),
    "reports.cycle_pdf": ("GET", S(302, 404, 404, 302, 302, 302)),  # rendered in the background here
    "reports.publish_cycle": ("POST", S(302, 404, 404, 403, 302, 302)),  # the first revision
    "reports.revision_pdf": ("GET", READERS),
    "api.list_reports": ("GET", API_ALL),
    "api.list_report_revisions": ("GET", API_READERS),
    "api.publish_report": ("POST", S(401, 403, 403, 403, 422, 422)),  # no body
    "api.get_report_revision_pdf": ("GET", API_READERS),
    "api.render_report": ("POST", S(401, 422, 422, 422, 422, 422)),  # no body
    "api.get_report_render": ("GET", S(401, 200, 404, 404, 200, 200)),
}


def world(db, city_a, users, cycle) -> dict:
    import hashlib

    from flask import current_app

    from peer_review.jobs.models import Job
    from peer_review.reports.models import Report, ReportRender, ReportRevision
    from tests.app.walk_reviews import build

    city_b = users["other_coordinator"].memberships[0].city
    own, _assessment, _assignments = build(db, city_a, [city_b], cycle_name="Reports walk round",
                                           actor=users["member"])
    current_app.config["REPORT_INLINE_SECONDS"] = 0
    report = Report(kind="state_of_safety", cycle_id=own.id, city_id=city_a.id, locale="en")
    db.session.add(report)
    db.session.flush()
    pdf = b"%PDF-1.7 walk"
    revision = ReportRevision(report_id=report.id, number=1, snapshot={}, snapshot_hash="0" * 64,
                              renderer_version="walk", pdf=pdf, pdf_sha256=hashlib.sha256(pdf).hexdigest(),
                              size=len(pdf), published_by_id=users["secretariat"].id)
    db.session.add(revision)
    render = ReportRender(snapshot_hash="1" * 64, renderer_version="walk", pdf=pdf)
    db.session.add(render)
    db.session.flush()
    job = Job(kind="report_render", cycle_id=own.id, state="done", progress=100, created_by_id=users["member"].id,
              params={"kind": "state_of_safety", "cycle_id": own.id, "city_id": city_a.id, "locale": "en"},
              result={"render_id": render.id, "size": len(pdf)})
    db.session.add(job)
    db.session.commit()
    return {"report_cycle_id": own.id, "report_id": report.id, "revision_id": revision.id,
            "report_kind": "state-of-safety", "render_job_id": job.id}
