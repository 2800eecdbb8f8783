"""A reviewer city's review of one city in a cycle (per-criterion answers, strengths, recommendations), and the
reviewed city's response to the recommendations it received. Every row that people edit carries a version, so
two people of one city editing the same thing conflict (409) instead of overwriting each other."""
from __future__ import annotations

from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..utils import utcnow

DRAFT, SUBMITTED = "draft", "submitted"
AGREEMENTS = (
    ("agree", _l("Agree")),
    ("partly", _l("Partly agree")),
    ("disagree", _l("Disagree")),
)
PRIORITIES = (
    ("high", _l("High")),
    ("medium", _l("Medium")),
    ("low", _l("Low")),
)
DECISIONS = (
    ("accept", _l("Accept")),
    ("partial", _l("Accept in part")),
    ("decline", _l("Decline")),
)
PROGRESS = (
    ("not_started", _l("Not started")),
    ("in_progress", _l("In progress")),
    ("done", _l("Done")),
    ("dropped", _l("Dropped")),
)


class Review(db.Model):
    """One per assignment: the reviewer city's members write it together; it is theirs alone until submitted,
    and the reviewed city reads it only once the secretariat releases it."""

    __tablename__ = "reviews"
    __table_args__ = (
        db.CheckConstraint("state in ('draft', 'submitted')", name="valid_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(db.ForeignKey("review_assignments.id", ondelete="RESTRICT"),
                                               unique=True)
    cycle_id: Mapped[int] = mapped_column(db.ForeignKey("cycles.id", ondelete="RESTRICT"), index=True)
    reviewer_city_id: Mapped[int] = mapped_column(db.ForeignKey("cities.id", ondelete="RESTRICT"), index=True)
    reviewed_city_id: Mapped[int] = mapped_column(db.ForeignKey("cities.id", ondelete="RESTRICT"), index=True)
    assessment_id: Mapped[int] = mapped_column(db.ForeignKey("assessments.id", ondelete="RESTRICT"), index=True)
    state: Mapped[str] = mapped_column(db.String(12), default=DRAFT, server_default=DRAFT)
    submitted_at: Mapped[object | None] = mapped_column(db.DateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))
    released_at: Mapped[object | None] = mapped_column(db.DateTime)
    released_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow, onupdate=utcnow)

    assignment = relationship("Assignment", lazy="joined")
    cycle = relationship("Cycle", lazy="joined")
    reviewer_city = relationship("City", foreign_keys=[reviewer_city_id], lazy="joined")
    reviewed_city = relationship("City", foreign_keys=[reviewed_city_id], lazy="joined")
    assessment = relationship("Assessment")
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    answers = relationship("ReviewAnswer", back_populates="review", cascade="all, delete-orphan",
                           order_by="ReviewAnswer.id")
    strengths = relationship("Strength", back_populates="review", cascade="all, delete-orphan",
                             order_by="Strength.position, Strength.id")
    recommendations = relationship("Recommendation", back_populates="review", cascade="all, delete-orphan",
                                   order_by="Recommendation.position, Recommendation.id")

    @property
    def locked(self) -> bool:
        return self.state == SUBMITTED

    @property
    def released(self) -> bool:
        return self.released_at is not None

    def snapshot(self) -> dict:
        return {"cycle": self.cycle.name, "reviewer": self.reviewer_city.slug, "reviewed": self.reviewed_city.slug,
                "state": self.state, "released": self.released}


class ReviewAnswer(db.Model):
    """The reviewers' view of one criterion: their own level, how far they agree with the city's self-score,
    and a comment (Markdown, shown sanitised)."""

    __tablename__ = "review_answers"
    __table_args__ = (
        db.UniqueConstraint("review_id", "criterion_id", name="uq_review_answers_review_criterion"),
        db.CheckConstraint("level IS NULL OR (level >= 0 AND level <= 10)", name="valid_level"),
        db.CheckConstraint("agreement IS NULL OR agreement in ('agree', 'partly', 'disagree')",
                           name="valid_agreement"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(db.ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[str] = mapped_column(db.String(80))
    level: Mapped[int | None] = mapped_column()
    agreement: Mapped[str | None] = mapped_column(db.String(10))
    comment: Mapped[str] = mapped_column(db.Text, default="", server_default="")
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    updated_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))

    __mapper_args__ = {"version_id_col": version}

    review = relationship("Review", back_populates="answers")
    updated_by = relationship("User")
    revisions = relationship("ReviewAnswerRevision", back_populates="answer", cascade="all, delete-orphan",
                             order_by="ReviewAnswerRevision.id")

    @property
    def answered(self) -> bool:
        return self.level is not None and self.agreement is not None


class ReviewAnswerRevision(db.Model):
    """Every saved state of a review answer, in order."""

    __tablename__ = "review_answer_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(db.ForeignKey("review_answers.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column()
    level: Mapped[int | None] = mapped_column()
    agreement: Mapped[str | None] = mapped_column(db.String(10))
    comment: Mapped[str] = mapped_column(db.Text, default="")
    saved_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)
    saved_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(db.String(20), default="form")

    answer = relationship("ReviewAnswer", back_populates="revisions")


class Strength(db.Model):
    """An overall strength the reviewers saw; tagged as a good practice, it is offered to the network's library."""

    __tablename__ = "review_strengths"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(db.ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(db.Text)
    good_practice: Mapped[bool] = mapped_column(default=False, server_default=db.false())
    criterion_ids: Mapped[list] = mapped_column(db.JSON, default=list)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    updated_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))

    __mapper_args__ = {"version_id_col": version}

    review = relationship("Review", back_populates="strengths")


class Recommendation(db.Model):
    """A structured recommendation: what to do, how urgent, and which criteria it concerns."""

    __tablename__ = "review_recommendations"
    __table_args__ = (
        db.CheckConstraint("priority in ('high', 'medium', 'low')", name="valid_priority"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(db.ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(db.Text)
    priority: Mapped[str] = mapped_column(db.String(8), default="medium")
    criterion_ids: Mapped[list] = mapped_column(db.JSON, default=list)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    updated_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))

    __mapper_args__ = {"version_id_col": version}

    review = relationship("Review", back_populates="recommendations")
    response = relationship("RecommendationResponse", back_populates="recommendation", uselist=False)


class CityResponse(db.Model):
    """A reviewed city's answer to the recommendations it received in a cycle; submitted once, as a whole."""

    __tablename__ = "city_responses"
    __table_args__ = (
        db.UniqueConstraint("cycle_id", "city_id", name="uq_city_responses_cycle_city"),
        db.CheckConstraint("state in ('draft', 'submitted')", name="valid_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(db.ForeignKey("cycles.id", ondelete="RESTRICT"), index=True)
    city_id: Mapped[int] = mapped_column(db.ForeignKey("cities.id", ondelete="RESTRICT"), index=True)
    state: Mapped[str] = mapped_column(db.String(12), default=DRAFT, server_default=DRAFT)
    submitted_at: Mapped[object | None] = mapped_column(db.DateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow, onupdate=utcnow)

    cycle = relationship("Cycle", lazy="joined")
    city = relationship("City", lazy="joined")
    items = relationship("RecommendationResponse", back_populates="city_response", cascade="all, delete-orphan",
                         order_by="RecommendationResponse.id")

    @property
    def locked(self) -> bool:
        return self.state == SUBMITTED

    def snapshot(self) -> dict:
        return {"cycle": self.cycle.name, "city": self.city.slug, "state": self.state}


class RecommendationResponse(db.Model):
    """The city's decision on one recommendation, with the action it takes; ``progress`` follows the action
    into later cycles, where the city and its new reviewers see what became of it."""

    __tablename__ = "recommendation_responses"
    __table_args__ = (
        db.CheckConstraint("decision IS NULL OR decision in ('accept', 'partial', 'decline')",
                           name="valid_decision"),
        db.CheckConstraint("progress in ('not_started', 'in_progress', 'done', 'dropped')", name="valid_progress"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city_response_id: Mapped[int] = mapped_column(db.ForeignKey("city_responses.id", ondelete="CASCADE"),
                                                  index=True)
    recommendation_id: Mapped[int] = mapped_column(db.ForeignKey("review_recommendations.id", ondelete="CASCADE"),
                                                   unique=True)
    decision: Mapped[str | None] = mapped_column(db.String(8))
    comment: Mapped[str] = mapped_column(db.Text, default="", server_default="")
    action: Mapped[str] = mapped_column(db.Text, default="", server_default="")
    action_owner: Mapped[str] = mapped_column(db.String(200), default="", server_default="")
    action_due: Mapped[object | None] = mapped_column(db.Date)
    progress: Mapped[str] = mapped_column(db.String(12), default="not_started", server_default="not_started")
    progress_note: Mapped[str] = mapped_column(db.Text, default="", server_default="")
    progress_updated_at: Mapped[object | None] = mapped_column(db.DateTime)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    updated_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))

    __mapper_args__ = {"version_id_col": version}

    city_response = relationship("CityResponse", back_populates="items")
    recommendation = relationship("Recommendation", back_populates="response")
