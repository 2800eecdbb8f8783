"""Review cycles: minimal but real. Later issues add rubric version, phases, deadlines and assignments."""
from __future__ import annotations

from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..utils import utcnow

DRAFT, OPEN, CLOSED = "draft", "open", "closed"
CYCLE_STATES = (
    (DRAFT, _l("Draft")),
    (OPEN, _l("In progress")),
    (CLOSED, _l("Closed")),
)

cycle_cities = db.Table(
    "cycle_cities",
    db.Column("cycle_id", db.ForeignKey("cycles.id", ondelete="CASCADE"), primary_key=True),
    db.Column("city_id", db.ForeignKey("cities.id", ondelete="CASCADE"), primary_key=True),
)


class Cycle(db.Model):
    __tablename__ = "cycles"
    __table_args__ = (
        db.CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
        db.CheckConstraint("state in ('draft', 'open', 'closed')", name="valid_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(db.String(120), unique=True)
    starts_on: Mapped[object] = mapped_column(db.Date)
    ends_on: Mapped[object] = mapped_column(db.Date)
    state: Mapped[str] = mapped_column(db.String(20), default=DRAFT)
    # The rubric version the cycle's self-assessments are filled in with; frozen once the cycle uses it.
    rubric_version_id: Mapped[int | None] = mapped_column(db.ForeignKey("rubric_versions.id", ondelete="RESTRICT"))
    created_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)

    cities = relationship("City", secondary=cycle_cities, lazy="selectin", order_by="City.name")
    rubric_version = relationship("RubricVersion", lazy="joined")

    @property
    def city_ids(self) -> set[int]:
        return {c.id for c in self.cities}

    def snapshot(self) -> dict:
        return {
            "name": self.name, "starts_on": self.starts_on.isoformat(), "ends_on": self.ends_on.isoformat(),
            "state": self.state, "cities": sorted(c.slug for c in self.cities),
            "rubric_version": (f"{self.rubric_version.rubric_id}@{self.rubric_version.version}"
                               if self.rubric_version is not None else None),
        }
