"""The audit log: who changed what, when, with the state before and after."""
from __future__ import annotations

from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..utils import utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[object] = mapped_column(db.DateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(db.String(60), index=True)
    object_type: Mapped[str] = mapped_column(db.String(40), index=True)
    object_id: Mapped[str | None] = mapped_column(db.String(80))
    summary: Mapped[str] = mapped_column(db.String(300), default="")
    before: Mapped[dict | None] = mapped_column(db.JSON)
    after: Mapped[dict | None] = mapped_column(db.JSON)
    ip: Mapped[str | None] = mapped_column(db.String(64))

    actor = relationship("User", lazy="joined")

    def changes(self) -> list[tuple[str, object, object]]:
        """Fields whose value differs between before and after."""
        before, after = self.before or {}, self.after or {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]
