"""Reports: one per kind, subject and language; publishing freezes a revision (the data snapshot, the hashes of
the rubric and indicator method it used, the renderer's version and the PDF bytes with their SHA-256). A published
revision is never rendered again; a correction is a new revision saying what it supersedes."""
from __future__ import annotations

from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..utils import utcnow

KINDS = ("peer_review", "state_of_safety", "cycle")


class Report(db.Model):
    __tablename__ = "reports"
    __table_args__ = (
        db.CheckConstraint("kind in ('peer_review', 'state_of_safety', 'cycle')", name="valid_kind"),
        db.Index("uq_reports_subject", "kind", "cycle_id", db.func.coalesce(db.column("city_id"), 0), "locale",
                 unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(db.String(20))
    cycle_id: Mapped[int] = mapped_column(db.ForeignKey("cycles.id", ondelete="RESTRICT"), index=True)
    city_id: Mapped[int | None] = mapped_column(db.ForeignKey("cities.id", ondelete="RESTRICT"), index=True)
    locale: Mapped[str] = mapped_column(db.String(8), default="en")
    created_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)

    cycle = relationship("Cycle")
    city = relationship("City")
    revisions = relationship("ReportRevision", back_populates="report", order_by="ReportRevision.number",
                             cascade="all, delete-orphan")


class ReportRevision(db.Model):
    __tablename__ = "report_revisions"
    __table_args__ = (db.UniqueConstraint("report_id", "number", name="uq_report_revisions_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(db.ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    snapshot: Mapped[dict] = mapped_column(db.JSON)  # every figure and text the report shows, as rendered
    snapshot_hash: Mapped[str] = mapped_column(db.String(64))
    rubric_hash: Mapped[str | None] = mapped_column(db.String(64))
    method_hash: Mapped[str | None] = mapped_column(db.String(64))
    renderer_version: Mapped[str] = mapped_column(db.String(120))
    pdf: Mapped[bytes] = mapped_column(db.LargeBinary)
    pdf_sha256: Mapped[str] = mapped_column(db.String(64))
    size: Mapped[int] = mapped_column()
    note: Mapped[str] = mapped_column(db.Text, default="", server_default="")  # what a correction changes
    supersedes_id: Mapped[int | None] = mapped_column(db.ForeignKey("report_revisions.id", ondelete="SET NULL"))
    published_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)

    report = relationship("Report", back_populates="revisions")
    supersedes = relationship("ReportRevision", remote_side=[id])
    published_by = relationship("User")
