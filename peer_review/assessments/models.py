"""Self-assessments: one per city and cycle, one answer per criterion, every saved change kept."""
from __future__ import annotations

from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..utils import utcnow

DRAFT, SUBMITTED = "draft", "submitted"


class Assessment(db.Model):
    __tablename__ = "assessments"
    __table_args__ = (
        db.UniqueConstraint("city_id", "cycle_id", name="uq_assessments_city_cycle"),
        db.CheckConstraint("state in ('draft', 'submitted')", name="valid_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(db.ForeignKey("cities.id", ondelete="RESTRICT"), index=True)
    cycle_id: Mapped[int] = mapped_column(db.ForeignKey("cycles.id", ondelete="RESTRICT"), index=True)
    # Pinned when the assessment starts: it always renders with the version it was filled in with.
    rubric_version_id: Mapped[int] = mapped_column(db.ForeignKey("rubric_versions.id", ondelete="RESTRICT"))
    state: Mapped[str] = mapped_column(db.String(12), default=DRAFT, server_default=DRAFT)
    submitted_at: Mapped[object | None] = mapped_column(db.DateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))
    reopened_at: Mapped[object | None] = mapped_column(db.DateTime)
    reopen_reason: Mapped[str] = mapped_column(db.Text, default="", server_default="")
    created_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow, onupdate=utcnow)

    city = relationship("City", lazy="joined")
    cycle = relationship("Cycle", lazy="joined")
    # Loaded when asked (once per session): joined onto every row, it decoded the whole rubric JSON per row.
    rubric_version = relationship("RubricVersion", lazy="select")
    submitted_by = relationship("User")
    answers = relationship("Answer", back_populates="assessment", cascade="all, delete-orphan",
                           order_by="Answer.id")

    @property
    def locked(self) -> bool:
        return self.state == SUBMITTED


answer_evidence = db.Table(
    "answer_evidence",
    db.Column("answer_id", db.ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True),
    db.Column("item_id", db.ForeignKey("evidence_items.id", ondelete="CASCADE"), primary_key=True),
)


class Answer(db.Model):
    """A city's answer on one criterion. ``level`` None with ``not_applicable`` False is "not answered yet";
    level 0 is an answer ("not started"). ``version`` makes two members editing one criterion conflict (409)
    instead of overwriting each other."""

    __tablename__ = "answers"
    __table_args__ = (
        db.UniqueConstraint("assessment_id", "criterion_id", name="uq_answers_assessment_criterion"),
        db.CheckConstraint("level IS NULL OR (level >= 0 AND level <= 10)", name="valid_level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(db.ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[str] = mapped_column(db.String(80))
    level: Mapped[int | None] = mapped_column()
    not_applicable: Mapped[bool] = mapped_column(default=False, server_default=db.false())
    na_reason: Mapped[str] = mapped_column(db.Text, default="", server_default="")
    justification: Mapped[str] = mapped_column(db.Text, default="", server_default="")  # Markdown, shown sanitised
    proxy_used: Mapped[bool] = mapped_column(default=False, server_default=db.false())
    proxy_note: Mapped[str] = mapped_column(db.Text, default="", server_default="")
    attachment_ids: Mapped[list] = mapped_column(db.JSON, default=list)  # attachments of the linked items
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    updated_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))

    __mapper_args__ = {"version_id_col": version}

    assessment = relationship("Assessment", back_populates="answers")
    evidence = relationship("EvidenceItem", secondary=answer_evidence, order_by="EvidenceItem.id")
    updated_by = relationship("User")
    revisions = relationship("AnswerRevision", back_populates="answer", cascade="all, delete-orphan",
                             order_by="AnswerRevision.id")

    @property
    def answered(self) -> bool:
        return self.level is not None or (self.not_applicable and bool((self.na_reason or "").strip()))


class AnswerRevision(db.Model):
    """Every saved state of an answer, in order: nothing a city typed is lost."""

    __tablename__ = "answer_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(db.ForeignKey("answers.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column()
    level: Mapped[int | None] = mapped_column()
    not_applicable: Mapped[bool] = mapped_column(default=False)
    na_reason: Mapped[str] = mapped_column(db.Text, default="")
    justification: Mapped[str] = mapped_column(db.Text, default="")
    proxy_used: Mapped[bool] = mapped_column(default=False)
    proxy_note: Mapped[str] = mapped_column(db.Text, default="")
    evidence_ids: Mapped[list] = mapped_column(db.JSON, default=list)
    saved_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)
    saved_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(db.String(20), default="form")  # form | autosave | api | workbook

    answer = relationship("Answer", back_populates="revisions")
    saved_by = relationship("User")
