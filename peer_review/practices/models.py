"""Practices a city enters itself for the network's good-practice library (reviewers' tagged strengths join them
in the library without being copied: they stay in their review)."""
from __future__ import annotations

from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..utils import utcnow

VISIBILITIES = ("network", "city")


class Practice(db.Model):
    __tablename__ = "practices"
    __table_args__ = (db.CheckConstraint("visibility in ('network', 'city')", name="valid_visibility"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(db.ForeignKey("cities.id", ondelete="CASCADE"), index=True)
    cycle_id: Mapped[int | None] = mapped_column(db.ForeignKey("cycles.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(db.String(200))
    summary: Mapped[str] = mapped_column(db.Text)  # Markdown, always shown sanitised
    language: Mapped[str] = mapped_column(db.String(8), default="en")
    criterion_ids: Mapped[list] = mapped_column(db.JSON, default=list)
    evidence_ids: Mapped[list] = mapped_column(db.JSON, default=list)
    visibility: Mapped[str] = mapped_column(db.String(10), default="network")
    contact: Mapped[str] = mapped_column(db.String(200), default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    city = relationship("City")
    cycle = relationship("Cycle")
    created_by = relationship("User")
