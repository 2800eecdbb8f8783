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


class ReportStory(db.Model):
    """An evidence item chosen for a city's "State of Safety" report. Only items whose consent allows publication
    and which are not restricted can be chosen; the snapshot checks again when it is built."""
    __tablename__ = "report_stories"
    __table_args__ = (db.UniqueConstraint("cycle_id", "city_id", "item_id", name="uq_report_stories_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(db.ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    city_id: Mapped[int] = mapped_column(db.ForeignKey("cities.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(db.ForeignKey("evidence_items.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    chosen_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))
    chosen_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)

    item = relationship("EvidenceItem")


class ReportRender(db.Model):
    """A draft PDF rendered by a background job, kept by its snapshot's hash and the renderer's version so the
    page that waited for it can download it (and a second download does not render again)."""
    __tablename__ = "report_renders"
    __table_args__ = (db.UniqueConstraint("snapshot_hash", "renderer_version", name="uq_report_renders_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_hash: Mapped[str] = mapped_column(db.String(64))
    renderer_version: Mapped[str] = mapped_column(db.String(120))
    pdf: Mapped[bytes] = mapped_column(db.LargeBinary)
    seconds: Mapped[float] = mapped_column(default=0.0)
    created_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow, index=True)
