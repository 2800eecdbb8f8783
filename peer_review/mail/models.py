"""Outgoing mail. Everything is written to the outbox; SMTP delivery happens only when configured."""
from __future__ import annotations

from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..utils import utcnow


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow, index=True)
    recipient: Mapped[str] = mapped_column(db.String(254), index=True)
    subject: Mapped[str] = mapped_column(db.String(200))
    body: Mapped[str] = mapped_column(db.Text)
    status: Mapped[str] = mapped_column(db.String(20), default="queued")  # queued | sent | logged | failed
    sent_at: Mapped[object | None] = mapped_column(db.DateTime)
    error: Mapped[str | None] = mapped_column(db.String(500))
