"""Open data releases: the secretariat publishes a cycle's indicator values; each release freezes the rows it
serves (never recomputed), so a stable address keeps giving the same file and nothing unpublished leaks."""
from __future__ import annotations

from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..utils import utcnow


class OpenDataRelease(db.Model):
    __tablename__ = "open_data_releases"
    __table_args__ = (db.UniqueConstraint("cycle_id", "number", name="uq_open_data_releases_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(db.ForeignKey("cycles.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int] = mapped_column()
    rows: Mapped[list] = mapped_column(db.JSON)  # the published values, as served
    dictionary: Mapped[list] = mapped_column(db.JSON)  # one entry per column and per indicator
    licence: Mapped[str] = mapped_column(db.String(40))
    sha256: Mapped[str] = mapped_column(db.String(64))  # of the canonical JSON of rows
    note: Mapped[str] = mapped_column(db.Text, default="", server_default="")
    withdrawn_at: Mapped[object | None] = mapped_column(db.DateTime)
    published_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)

    cycle = relationship("Cycle")
    published_by = relationship("User")
