"""What the NLP layer proposes: code suggestions to accept or reject, and discovered topics."""
from __future__ import annotations

from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..utils import utcnow

PENDING, ACCEPTED, REJECTED = "pending", "accepted", "rejected"


class Suggestion(db.Model):
    """A machine-proposed code for a passage (or the whole item); a facilitator decides.

    Rejections are kept so that the same code is not proposed again for the same passage.
    """

    __tablename__ = "suggestions"
    __table_args__ = (
        db.CheckConstraint("state in ('pending', 'accepted', 'rejected')", name="valid_state"),
        db.Index("ix_suggestions_item_state", "item_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(db.ForeignKey("evidence_items.id", ondelete="CASCADE"))
    code_id: Mapped[int] = mapped_column(db.ForeignKey("codes.id", ondelete="CASCADE"), index=True)
    start_offset: Mapped[int | None] = mapped_column()
    end_offset: Mapped[int | None] = mapped_column()
    score: Mapped[float] = mapped_column()
    why: Mapped[list] = mapped_column(db.JSON, default=list)
    polarity: Mapped[str] = mapped_column(db.String(10), default="present")
    source: Mapped[str] = mapped_column(db.String(20), default="lexicon")  # lexicon | model | topic
    state: Mapped[str] = mapped_column(db.String(10), default=PENDING)
    job_id: Mapped[int | None] = mapped_column(db.ForeignKey("jobs.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[object | None] = mapped_column(db.DateTime)
    created_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)

    item = relationship("EvidenceItem")
    code = relationship("Code", lazy="joined")

    def passage(self) -> str:
        text = self.item.text
        return text if self.start_offset is None else text[self.start_offset:self.end_offset]

    def sentences(self) -> list[tuple[int, int]]:
        """The item's sentences and clauses, the steps by which a facilitator widens or narrows the passage."""
        if self.start_offset is None:
            return []
        from .nlp_adapter import sentences
        return sentences(self.item.text, self.item.language)


class TopicRun(db.Model):
    __tablename__ = "topic_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(db.ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[int | None] = mapped_column(db.ForeignKey("jobs.id", ondelete="SET NULL"))
    seed: Mapped[int] = mapped_column(default=42)
    created_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)
    result: Mapped[dict] = mapped_column(db.JSON, default=dict)  # per-group, over-time, related, params

    cycle = relationship("Cycle")
    topics = relationship("Topic", back_populates="run", cascade="all, delete-orphan", order_by="Topic.number")


class Topic(db.Model):
    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(db.ForeignKey("topic_runs.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    label: Mapped[str] = mapped_column(db.String(120))
    words: Mapped[list] = mapped_column(db.JSON, default=list)
    member_ids: Mapped[list] = mapped_column(db.JSON, default=list)
    representative_ids: Mapped[list] = mapped_column(db.JSON, default=list)
    languages: Mapped[dict] = mapped_column(db.JSON, default=dict)
    likely_codes: Mapped[list] = mapped_column(db.JSON, default=list)
    mapped_code_id: Mapped[int | None] = mapped_column(db.ForeignKey("codes.id", ondelete="SET NULL"))
    merged_into_id: Mapped[int | None] = mapped_column(db.ForeignKey("topics.id", ondelete="SET NULL"))

    run = relationship("TopicRun", back_populates="topics")
    mapped_code = relationship("Code")

    @property
    def size(self) -> int:
        return len(self.member_ids or [])
