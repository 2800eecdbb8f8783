"""Background jobs: long NLP work runs outside requests, with progress, and never loses a result."""
from __future__ import annotations

from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..utils import utcnow

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


class Job(db.Model):
    __tablename__ = "jobs"
    __table_args__ = (db.CheckConstraint("state in ('queued', 'running', 'done', 'failed')", name="valid_state"),
                      db.Index("ix_jobs_state_created", "state", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(db.String(30))
    cycle_id: Mapped[int | None] = mapped_column(db.ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    params: Mapped[dict] = mapped_column(db.JSON, default=dict)
    state: Mapped[str] = mapped_column(db.String(10), default=QUEUED)
    progress: Mapped[int] = mapped_column(default=0)  # percent
    message: Mapped[str] = mapped_column(db.String(300), default="")
    result: Mapped[dict | None] = mapped_column(db.JSON)
    error: Mapped[str | None] = mapped_column(db.Text)
    attempts: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)
    started_at: Mapped[object | None] = mapped_column(db.DateTime)
    finished_at: Mapped[object | None] = mapped_column(db.DateTime)

    cycle = relationship("Cycle")
    created_by = relationship("User")

    @property
    def finished(self) -> bool:
        return self.state in (DONE, FAILED)
