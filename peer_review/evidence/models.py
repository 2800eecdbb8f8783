"""Qualitative evidence: items of a city in a cycle, and their attachments."""
from __future__ import annotations

from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..utils import utcnow


class EvidenceItem(db.Model):
    __tablename__ = "evidence_items"
    __table_args__ = (
        db.CheckConstraint("visibility in ('network', 'city', 'restricted')", name="valid_visibility"),
        db.Index("ix_evidence_items_city_cycle", "city_id", "cycle_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(db.ForeignKey("cities.id", ondelete="RESTRICT"))
    cycle_id: Mapped[int] = mapped_column(db.ForeignKey("cycles.id", ondelete="RESTRICT"), index=True)
    type: Mapped[str] = mapped_column(db.String(20))
    title: Mapped[str] = mapped_column(db.String(200))
    # The stored text is what coding offsets refer to; it is Markdown, always rendered sanitised.
    text: Mapped[str] = mapped_column(db.Text)
    date: Mapped[object | None] = mapped_column(db.Date)
    language: Mapped[str] = mapped_column(db.String(8))
    area: Mapped[str] = mapped_column(db.String(120), default="")
    source: Mapped[str] = mapped_column(db.String(300), default="")
    gender: Mapped[str] = mapped_column(db.String(20), default="unspecified")
    age_group: Mapped[str] = mapped_column(db.String(20), default="unspecified")
    vulnerable_groups: Mapped[str] = mapped_column(db.String(200), default="")  # ";"-separated values
    consent: Mapped[str] = mapped_column(db.String(20))
    visibility: Mapped[str] = mapped_column(db.String(20), default="city")
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow, onupdate=utcnow)
    redactions: Mapped[int] = mapped_column(default=0)  # how many times a redaction was applied, never what
    # Optimistic concurrency: every UPDATE checks and bumps it, so an edit based on a stale copy (a form
    # opened before a redaction) fails instead of silently bringing removed text back.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    city = relationship("City", lazy="joined")
    cycle = relationship("Cycle", lazy="joined")
    created_by = relationship("User")
    attachments = relationship("Attachment", back_populates="item", cascade="all, delete-orphan",
                               order_by="Attachment.id")

    @property
    def group_list(self) -> list[str]:
        return [g for g in (self.vulnerable_groups or "").split(";") if g]

    def snapshot(self) -> dict:
        """Audited state. The text itself is never copied into the audit log (it may hold personal details)."""
        return {
            "city": self.city.slug if self.city else None, "cycle": self.cycle.name if self.cycle else None,
            "type": self.type, "title": self.title, "date": self.date.isoformat() if self.date else None,
            "language": self.language, "area": self.area, "source": self.source, "gender": self.gender,
            "age_group": self.age_group, "vulnerable_groups": self.group_list, "consent": self.consent,
            "visibility": self.visibility, "text_length": len(self.text or ""),
        }


class Attachment(db.Model):
    __tablename__ = "evidence_attachments"
    __table_args__ = (
        db.CheckConstraint("text_status in ('none', 'pending', 'ready', 'failed')", name="valid_text_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(db.ForeignKey("evidence_items.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(db.String(200))
    stored_name: Mapped[str] = mapped_column(db.String(80), unique=True)
    kind: Mapped[str] = mapped_column(db.String(10))
    mime: Mapped[str] = mapped_column(db.String(100))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(db.String(64))
    extracted_text: Mapped[str] = mapped_column(db.Text, default="")
    # Reading text out of a file runs in a background job: none (not a text format), pending, ready, failed.
    text_status: Mapped[str] = mapped_column(db.String(10), default="none", server_default="none")
    text_error: Mapped[str] = mapped_column(db.String(300), default="", server_default="")
    # After a redaction, a file whose content cannot be rewritten is withheld (its bytes deleted) until replaced.
    withheld: Mapped[bool] = mapped_column(default=False, server_default=db.false())
    uploaded_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)

    item = relationship("EvidenceItem", back_populates="attachments")
