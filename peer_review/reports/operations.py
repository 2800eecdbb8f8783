"""Reports and their published revisions: finding or making a report, the current draft rendering, publishing.

A published revision is frozen: its snapshot, hashes and PDF bytes are stored and served as they are; nothing
renders it again. Publishing again makes a new revision that supersedes the last, and says why (``note``).
"""
from __future__ import annotations

import hashlib

from ..audit.operations import record
from ..extensions import db
from ..utils import utcnow
from . import render, snapshot
from .models import Report, ReportRevision


class PublishError(ValueError):
    pass


def get_or_create(kind: str, cycle, city=None, locale: str = "en") -> Report:
    report = db.session.execute(db.select(Report).filter_by(
        kind=kind, cycle_id=cycle.id, city_id=None if city is None else city.id, locale=locale)
    ).scalar_one_or_none()
    if report is None:
        report = Report(kind=kind, cycle_id=cycle.id, city_id=None if city is None else city.id, locale=locale,
                        cycle=cycle, city=city)
        db.session.add(report)
        db.session.flush()
    return report


def find(kind: str, cycle, city=None, locale: str = "en") -> Report | None:
    return db.session.execute(db.select(Report).filter_by(
        kind=kind, cycle_id=cycle.id, city_id=None if city is None else city.id, locale=locale)
    ).scalar_one_or_none()


def find_or_transient(kind: str, cycle, city=None, locale: str = "en") -> Report:
    """The stored report, or an unsaved one for the same subject (a report is stored when first published): it
    answers permission questions and builds drafts the same way."""
    report = find(kind, cycle, city, locale)
    if report is None:
        report = Report(kind=kind, cycle_id=cycle.id, city_id=None if city is None else city.id, locale=locale)
        report.cycle, report.city = cycle, city
    return report


def latest(report: Report) -> ReportRevision | None:
    return report.revisions[-1] if report.revisions else None


def draft_pdf(report: Report) -> bytes:
    """The report as it would be published now (not stored)."""
    return render.render_pdf(snapshot.build(report))


def _method_hash(cycle) -> str | None:
    indicator_set = getattr(cycle, "indicator_set", None)
    return getattr(indicator_set, "content_hash", None)


def publish(report: Report, user, note: str = "") -> ReportRevision:
    """Freeze a new revision from a fresh snapshot. A correction (any revision after the first) needs a note."""
    previous = latest(report)
    note = (note or "").strip()
    if previous is not None and not note:
        raise PublishError("A correction needs a note saying what it changes.")
    data = snapshot.build(report)
    pdf = render.render_pdf(data)
    cycle = report.cycle
    revision = ReportRevision(
        report=report, number=(previous.number + 1) if previous else 1, snapshot=data,
        snapshot_hash=snapshot.snapshot_hash(data),
        rubric_hash=cycle.rubric_version.content_hash if cycle.rubric_version is not None else None,
        method_hash=_method_hash(cycle), renderer_version=render.renderer_version()[:120], pdf=pdf,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf), note=note,
        supersedes_id=previous.id if previous else None, published_by_id=getattr(user, "id", None),
        published_at=utcnow())
    db.session.add(revision)
    db.session.flush()
    city = report.city.slug if report.city is not None else "network"
    record("report.publish", "report_revision", revision.id, actor=user,
           summary=f"{report.kind} report of {city}, {cycle.name} ({report.locale}), revision {revision.number}",
           after={"report": report.id, "number": revision.number, "pdf_sha256": revision.pdf_sha256,
                  "snapshot_hash": revision.snapshot_hash, "supersedes": revision.supersedes_id,
                  "note": note[:200]})
    return revision


def revision_or_none(revision_id: int) -> ReportRevision | None:
    return db.session.get(ReportRevision, revision_id)


def data(report: Report) -> dict:
    rev = latest(report)
    return {"id": report.id, "kind": report.kind, "cycle_id": report.cycle_id, "city": report.city.slug
            if report.city is not None else None, "locale": report.locale, "revisions": len(report.revisions),
            "latest_revision": revision_data(rev) if rev is not None else None}


def revision_data(rev: ReportRevision) -> dict:
    return {"id": rev.id, "report_id": rev.report_id, "number": rev.number, "snapshot_hash": rev.snapshot_hash,
            "rubric_hash": rev.rubric_hash, "method_hash": rev.method_hash,
            "renderer_version": rev.renderer_version, "pdf_sha256": rev.pdf_sha256, "size": rev.size,
            "note": rev.note, "supersedes_id": rev.supersedes_id,
            "published_at": rev.published_at.isoformat() if rev.published_at else None}


def visible_subjects(user) -> list[tuple]:
    """(cycle, city) pairs whose peer review report the user may read: cities' members see their own cities'
    cycles; facilitators and the secretariat every city of every cycle that has released reviews or an
    assessment."""
    from ..access import is_facilitator, is_staff, member_city_ids
    from ..cycles.models import Cycle
    cycles = db.session.execute(db.select(Cycle).filter(Cycle.rubric_version_id.is_not(None))
                                .order_by(Cycle.starts_on.desc())).scalars().all()
    everyone = is_staff(user) or is_facilitator(user)
    mine = member_city_ids(user)
    return [(cycle, city) for cycle in cycles for city in cycle.cities if everyone or city.id in mine]
