"""Conflicts of interest between cities, and who reviews whom in a cycle."""
from __future__ import annotations

from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..utils import utcnow

PROPOSED, PUBLISHED, REMOVED = "proposed", "published", "removed"
ASSIGNMENT_STATES = (
    (PROPOSED, _l("Proposed")),
    (PUBLISHED, _l("Published")),
    (REMOVED, _l("Removed")),
)
AUTO, MANUAL = "auto", "manual"


class Conflict(db.Model):
    """A declared conflict of interest between two cities (stored with the lower id first): never assigned to
    review each other, in either direction, in any cycle."""

    __tablename__ = "city_conflicts"
    __table_args__ = (
        db.UniqueConstraint("city_a_id", "city_b_id", name="uq_city_conflicts_pair"),
        db.CheckConstraint("city_a_id < city_b_id", name="ordered_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city_a_id: Mapped[int] = mapped_column(db.ForeignKey("cities.id", ondelete="CASCADE"), index=True)
    city_b_id: Mapped[int] = mapped_column(db.ForeignKey("cities.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(db.Text)
    # Declared by the secretariat (None) or on behalf of one of the two cities.
    declared_by_city_id: Mapped[int | None] = mapped_column(db.ForeignKey("cities.id", ondelete="SET NULL"))
    declared_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)

    city_a = relationship("City", foreign_keys=[city_a_id], lazy="joined")
    city_b = relationship("City", foreign_keys=[city_b_id], lazy="joined")
    declared_by_city = relationship("City", foreign_keys=[declared_by_city_id])
    declared_by = relationship("User")

    @property
    def city_ids(self) -> frozenset[int]:
        return frozenset((self.city_a_id, self.city_b_id))

    def other(self, city_id: int):
        return self.city_b if city_id == self.city_a_id else self.city_a

    def snapshot(self) -> dict:
        return {"cities": sorted([self.city_a.slug, self.city_b.slug]),
                "declared_by_city": self.declared_by_city.slug if self.declared_by_city else None,
                "reason_length": len(self.reason or "")}


class Assignment(db.Model):
    """One reviewer city reviewing one city in a cycle. A proposal until the secretariat publishes it; removing
    keeps the row (state "removed") so a re-run does not bring the pair back and a review written under it is
    not lost, but it gives no access."""

    __tablename__ = "review_assignments"
    __table_args__ = (
        db.UniqueConstraint("cycle_id", "reviewer_city_id", "reviewed_city_id", name="uq_assignments_pair"),
        db.CheckConstraint("reviewer_city_id <> reviewed_city_id", name="not_self"),
        db.CheckConstraint("state in ('proposed', 'published', 'removed')", name="valid_state"),
        db.CheckConstraint("source in ('auto', 'manual')", name="valid_source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(db.ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    reviewer_city_id: Mapped[int] = mapped_column(db.ForeignKey("cities.id", ondelete="RESTRICT"), index=True)
    reviewed_city_id: Mapped[int] = mapped_column(db.ForeignKey("cities.id", ondelete="RESTRICT"), index=True)
    state: Mapped[str] = mapped_column(db.String(12), default=PROPOSED)
    # auto: proposed by the optimiser; manual: added (or removed) by the secretariat by hand, kept on re-runs.
    source: Mapped[str] = mapped_column(db.String(8), default=AUTO)
    costs: Mapped[dict] = mapped_column(db.JSON, default=dict)        # the cost terms that made the choice
    alternates: Mapped[list] = mapped_column(db.JSON, default=list)   # [{reviewer_city_id, costs, reason}]
    note: Mapped[str] = mapped_column(db.Text, default="", server_default="")
    created_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[object | None] = mapped_column(db.DateTime)
    removed_at: Mapped[object | None] = mapped_column(db.DateTime)

    cycle = relationship("Cycle")
    reviewer_city = relationship("City", foreign_keys=[reviewer_city_id], lazy="joined")
    reviewed_city = relationship("City", foreign_keys=[reviewed_city_id], lazy="joined")

    @property
    def active(self) -> bool:
        return self.state == PUBLISHED

    def snapshot(self) -> dict:
        return {"cycle": self.cycle.name if self.cycle else self.cycle_id, "reviewer": self.reviewer_city.slug,
                "reviewed": self.reviewed_city.slug, "state": self.state, "source": self.source}
