"""Review cycles: their state and phase, the dates of each phase, and the settings of peer assignment.

A cycle is a draft, then open (in one of its five phases, which the secretariat moves forward one at a time),
then closed (read-only everywhere)."""
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

# The phases of an open cycle, in order. A cycle is in exactly one of them while it is open.
SELF_ASSESSMENT, PEER_REVIEW, CITY_RESPONSE, EVIDENCE_CODING, REPORTING = (
    "self_assessment", "peer_review", "city_response", "evidence_coding", "reporting")
PHASES = (
    (SELF_ASSESSMENT, _l("Self-assessment")),
    (PEER_REVIEW, _l("Peer review")),
    (CITY_RESPONSE, _l("City response")),
    (EVIDENCE_CODING, _l("Evidence coding")),
    (REPORTING, _l("Reporting")),
)
PHASE_KEYS = tuple(key for key, _label in PHASES)
PREFERENCES = (
    ("other_region", _l("Prefer reviewers from another region")),
    ("same_peer_group", _l("Prefer reviewers from the same peer group")),
    ("none", _l("No preference")),
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
        db.CheckConstraint("reviewers_per_city >= 0 AND reviewers_per_city <= 10", name="valid_reviewers"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(db.String(120), unique=True)
    starts_on: Mapped[object] = mapped_column(db.Date)
    ends_on: Mapped[object] = mapped_column(db.Date)
    state: Mapped[str] = mapped_column(db.String(20), default=DRAFT)
    # The rubric version the cycle's self-assessments are filled in with; frozen once the cycle uses it.
    rubric_version_id: Mapped[int | None] = mapped_column(db.ForeignKey("rubric_versions.id", ondelete="RESTRICT"))
    # The indicator definitions its values are computed with; pinned when first computed.
    indicator_set_id: Mapped[int | None] = mapped_column(db.ForeignKey("indicator_sets.id", ondelete="RESTRICT"))
    # While open: which phase (PHASE_KEYS); None for drafts and closed cycles.
    phase: Mapped[str | None] = mapped_column(db.String(20))
    # Peer assignment settings (the solver's switches); load_overrides maps a city id (as text) to the most
    # cities it reviews in this cycle.
    reviewers_per_city: Mapped[int] = mapped_column(default=2, server_default="2")
    even_load: Mapped[bool] = mapped_column(default=True, server_default=db.true())
    no_swaps: Mapped[bool] = mapped_column(default=True, server_default=db.true())
    avoid_repeats: Mapped[bool] = mapped_column(default=True, server_default=db.true())
    preference: Mapped[str] = mapped_column(db.String(20), default="other_region", server_default="other_region")
    load_overrides: Mapped[dict] = mapped_column(db.JSON, default=dict)
    assignment_seed: Mapped[int] = mapped_column(default=0, server_default="0")
    # The last automatic proposal: status, seconds, seed and which soft rules gave way for whom.
    assignment_run: Mapped[dict | None] = mapped_column(db.JSON)
    assignments_published_at: Mapped[object | None] = mapped_column(db.DateTime)
    created_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)

    phases = relationship("CyclePhase", back_populates="cycle", cascade="all, delete-orphan",
                          order_by="CyclePhase.position", lazy="selectin")
    cities = relationship("City", secondary=cycle_cities, lazy="selectin", order_by="City.name")
    # Loaded when asked (once per session): joined onto every row, it decoded the whole rubric JSON per row.
    rubric_version = relationship("RubricVersion", lazy="select")
    indicator_set = relationship("IndicatorSet", lazy="select")

    @property
    def closed(self) -> bool:
        return self.state == CLOSED

    @property
    def is_open(self) -> bool:
        return self.state == OPEN

    def phase_dates(self, key: str):
        return next((p for p in self.phases if p.phase == key), None)

    @property
    def current_phase(self):
        return self.phase_dates(self.phase) if self.phase else None

    @property
    def city_ids(self) -> set[int]:
        return {c.id for c in self.cities}

    def snapshot(self) -> dict:
        return {
            "name": self.name, "starts_on": self.starts_on.isoformat(), "ends_on": self.ends_on.isoformat(),
            "state": self.state, "cities": sorted(c.slug for c in self.cities),
            "rubric_version": (f"{self.rubric_version.rubric_id}@{self.rubric_version.version}"
                               if self.rubric_version is not None else None),
            "phase": self.phase,
            "phases": {p.phase: [p.starts_on.isoformat() if p.starts_on else None,
                                 p.due_on.isoformat() if p.due_on else None] for p in self.phases},
            "settings": {"reviewers_per_city": self.reviewers_per_city, "even_load": self.even_load,
                         "no_swaps": self.no_swaps, "avoid_repeats": self.avoid_repeats,
                         "preference": self.preference, "load_overrides": dict(self.load_overrides or {})},
        }


class CyclePhase(db.Model):
    """The dates of one phase of a cycle: when it starts and when its work is due."""

    __tablename__ = "cycle_phases"
    __table_args__ = (
        db.UniqueConstraint("cycle_id", "phase", name="uq_cycle_phases_cycle_phase"),
        db.CheckConstraint("due_on >= starts_on", name="phase_dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(db.ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    phase: Mapped[str] = mapped_column(db.String(20))
    position: Mapped[int] = mapped_column()
    starts_on: Mapped[object | None] = mapped_column(db.Date)
    due_on: Mapped[object | None] = mapped_column(db.Date)

    cycle = relationship("Cycle", back_populates="phases")
