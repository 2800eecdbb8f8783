"""A rubric version as loaded from its file: the parsed content, its hash, and what it extends or supersedes."""
from __future__ import annotations

from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..utils import utcnow


class RubricVersion(db.Model):
    """One version of one rubric. ``content`` is the validated file as data (sections, criteria, levels, in three
    languages); ``content_hash`` is the SHA-256 of its canonical JSON. A version a cycle uses is frozen: loading
    different content under the same id and version is refused, a change is a new version (``supersedes``).
    A network's local criteria are a rubric of their own that ``extends`` a core version without forking it."""

    __tablename__ = "rubric_versions"
    __table_args__ = (db.UniqueConstraint("rubric_id", "version", name="uq_rubric_versions_id_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[str] = mapped_column(db.String(60), index=True)  # e.g. "core"
    version: Mapped[str] = mapped_column(db.String(20))  # e.g. "1.0"
    title: Mapped[dict] = mapped_column(db.JSON, default=dict)  # {"en": ..., "es": ..., "fr": ...}
    content: Mapped[dict] = mapped_column(db.JSON)
    content_hash: Mapped[str] = mapped_column(db.String(64))
    source_path: Mapped[str] = mapped_column(db.String(300), default="")
    extends_id: Mapped[int | None] = mapped_column(db.ForeignKey("rubric_versions.id", ondelete="RESTRICT"))
    supersedes_id: Mapped[int | None] = mapped_column(db.ForeignKey("rubric_versions.id", ondelete="SET NULL"))
    loaded_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))
    loaded_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)

    extends = relationship("RubricVersion", remote_side=[id], foreign_keys=[extends_id])
    supersedes = relationship("RubricVersion", remote_side=[id], foreign_keys=[supersedes_id])

    @property
    def label(self) -> str:
        return f"{self.rubric_id} {self.version}"

    def title_in(self, locale: str = "en") -> str:
        return (self.title or {}).get(locale) or (self.title or {}).get("en") or self.label
