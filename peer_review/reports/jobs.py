"""Rendering reports in the background. A report whose rendering is expected to take longer than
``REPORT_INLINE_SECONDS`` is rendered by a job (drafts kept as a ``ReportRender`` by their snapshot's hash, so
the download that follows does not render again; publishing freezes the revision in the job), and its page
shows the job's progress. Shorter ones render within the request, as before."""
from __future__ import annotations

import time

from flask import current_app

from ..cities.models import City
from ..cycles.models import Cycle
from ..extensions import db
from ..jobs.worker import enqueue, handler
from ..users.models import User
from ..utils import utcnow
from . import operations as ops
from . import render, snapshot
from .models import Report, ReportRender

KIND = "report_render"
# Fitted to bench/bench_reports.py on 2 cores (demo network, warm process): peer review report 159 rows 2.0-2.3 s,
# State of Safety 74 rows 1.1 s, cycle report 120 rows 1.6-1.8 s. A fixed part (WeasyPrint's start, fonts, cover
# and contents) and a part per table row, both rounded up. The first render in a process costs 1-2 s more (fonts).
BASE_SECONDS = 0.4
SECONDS_PER_ROW = 0.0125


def rows(data: dict) -> int:
    """How many table rows and paragraphs the report lays out, roughly: what its rendering time follows."""
    kind = data["kind"]
    if kind == "peer_review":
        return sum(1 + len(c["peers"]) for s in data["sections"] for c in s["criteria"]) + sum(
            len(r["strengths"]) + 2 * len(r["recommendations"]) for r in data["reviews"])
    if kind == "state_of_safety":
        return (sum(len(f["indicators"]) * 2 for f in data["families"]) + len(data["coverage"]["rows"])
                + 4 * len(data["stories"]) + 2 * len(data["recommendations"]))
    return (4 * len(data.get("cities", [])) + len(data.get("indicators", [])) + len(data.get("themes", []))
            + len(data.get("good_practices", [])) + 10)


def estimate_seconds(data: dict) -> float:
    return BASE_SECONDS + SECONDS_PER_ROW * rows(data)


def in_background(data: dict) -> bool:
    """True when this snapshot should render in a job; a render already kept never needs one."""
    if stored(data) is not None:
        return False
    return estimate_seconds(data) > float(current_app.config.get("REPORT_INLINE_SECONDS", 3.0))


def stored(data: dict) -> ReportRender | None:
    return db.session.execute(db.select(ReportRender).filter_by(
        snapshot_hash=snapshot.snapshot_hash(data), renderer_version=render.renderer_version()[:120])
    ).scalar_one_or_none()


def draft_pdf(data: dict) -> bytes:
    """The draft's PDF: the kept render when there is one, else rendered now."""
    kept = stored(data)
    return kept.pdf if kept is not None else render.render_pdf(data)


def subject_params(report: Report) -> dict:
    return {"kind": report.kind, "cycle_id": report.cycle_id, "city_id": report.city_id, "locale": report.locale}


def start(report: Report, user, publish: bool = False, note: str = ""):
    return enqueue(KIND, cycle=report.cycle, actor=user,
                   params={**subject_params(report), "publish": bool(publish), "note": note or ""})


def _report_for(params: dict) -> Report:
    cycle = db.session.get(Cycle, params["cycle_id"])
    city = db.session.get(City, params["city_id"]) if params.get("city_id") else None
    return ops.find_or_transient(params["kind"], cycle, city, params["locale"])


@handler(KIND)
def run_render(job, report_progress) -> dict:
    params = job.params
    report = _report_for(params)
    report_progress(5, "Gathering the report's data")
    if params.get("publish"):
        if report.id is None:
            report = ops.get_or_create(report.kind, report.cycle, report.city, report.locale)
        report_progress(30, "Laying out the pages")
        user = db.session.get(User, job.created_by_id) if job.created_by_id else None
        revision = ops.publish(report, user, params.get("note", ""))
        db.session.commit()
        return {"revision_id": revision.id, "number": revision.number, "report_id": report.id}
    data = snapshot.build(report)
    key = snapshot.snapshot_hash(data)
    kept = stored(data)
    if kept is None:
        report_progress(30, "Laying out the pages")
        began = time.perf_counter()
        pdf = render.render_pdf(data)
        kept = ReportRender(snapshot_hash=key, renderer_version=render.renderer_version()[:120], pdf=pdf,
                            seconds=round(time.perf_counter() - began, 3), created_at=utcnow())
        db.session.add(kept)
        db.session.commit()
    return {"render_id": kept.id, "snapshot_hash": key, "size": len(kept.pdf)}
