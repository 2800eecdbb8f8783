"""A notification for one person (assigned, submission received, reviews released, due soon, late), marked read
when they have seen it; and the log that keeps a reminder from going twice on one day."""
from __future__ import annotations

from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..utils import utcnow


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (db.Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(db.String(30))    # assigned | submitted | released | due_soon | late | ...
    cycle_id: Mapped[int | None] = mapped_column(db.ForeignKey("cycles.id", ondelete="CASCADE"))
    # Names and numbers the message is built from in the reader's language (never the text of evidence).
    params: Mapped[dict] = mapped_column(db.JSON, default=dict)
    link: Mapped[str] = mapped_column(db.String(300), default="", server_default="")
    created_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow, index=True)
    read_at: Mapped[object | None] = mapped_column(db.DateTime)

    user = relationship("User")
    cycle = relationship("Cycle")


class ReminderLog(db.Model):
    """One reminder sent: to whom, about what, on which day (so the daily command never repeats itself)."""

    __tablename__ = "reminder_log"
    __table_args__ = (
        db.UniqueConstraint("cycle_id", "user_id", "kind", "subject_key", "sent_on", name="uq_reminder_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(db.ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(db.String(30))
    subject_key: Mapped[str] = mapped_column(db.String(80))  # e.g. "assessment:12" or "review:7"
    sent_on: Mapped[object] = mapped_column(db.Date)
    created_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)
