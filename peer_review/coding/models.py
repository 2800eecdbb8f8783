"""The codebook, codings of evidence passages, memos, and double-coding samples."""
from __future__ import annotations

from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..utils import utcnow

code_group_members = db.Table(
    "code_group_members",
    db.Column("group_id", db.ForeignKey("code_groups.id", ondelete="CASCADE"), primary_key=True),
    db.Column("code_id", db.ForeignKey("codes.id", ondelete="CASCADE"), primary_key=True),
)


class Code(db.Model):
    __tablename__ = "codes"
    __table_args__ = (
        db.CheckConstraint("direction in ('more', 'less')", name="valid_direction"),
        db.CheckConstraint("family in ('process', 'culture', 'context')", name="valid_family"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(db.String(60), unique=True, index=True)  # the fixed id, e.g. "trust"
    parent_id: Mapped[int | None] = mapped_column(db.ForeignKey("codes.id", ondelete="SET NULL"))
    direction: Mapped[str] = mapped_column(db.String(10), default="more")
    family: Mapped[str] = mapped_column(db.String(10), default="context")
    labels: Mapped[dict] = mapped_column(db.JSON, default=dict)
    definitions: Mapped[dict] = mapped_column(db.JSON, default=dict)
    color: Mapped[str | None] = mapped_column(db.String(7))
    guid: Mapped[str | None] = mapped_column(db.String(36), unique=True)  # REFI-QDA identity when imported
    retired: Mapped[bool] = mapped_column(default=False)
    merged_into_id: Mapped[int | None] = mapped_column(db.ForeignKey("codes.id", ondelete="SET NULL"))
    created_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)

    parent = relationship("Code", remote_side=[id], foreign_keys=[parent_id], backref="children")
    merged_into = relationship("Code", remote_side=[id], foreign_keys=[merged_into_id])
    groups = relationship("CodeGroup", secondary=code_group_members, back_populates="codes")

    def label(self, locale: str = "en") -> str:
        labels = self.labels or {}
        return labels.get(locale) or labels.get("en") or self.key

    def definition(self, locale: str = "en") -> str:
        definitions = self.definitions or {}
        return definitions.get(locale) or definitions.get("en") or ""

    def snapshot(self) -> dict:
        return {"key": self.key, "parent": self.parent.key if self.parent else None, "direction": self.direction,
                "family": self.family, "labels": dict(self.labels or {}),
                "definitions": dict(self.definitions or {}), "retired": self.retired,
                "merged_into": self.merged_into.key if self.merged_into else None}


class CodeGroup(db.Model):
    """A set of codes (REFI-QDA "Set", ATLAS.ti "code group")."""

    __tablename__ = "code_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(db.String(120), unique=True)
    description: Mapped[str] = mapped_column(db.Text, default="")
    guid: Mapped[str | None] = mapped_column(db.String(36), unique=True)
    codes = relationship("Code", secondary=code_group_members, back_populates="groups", order_by="Code.key")


class DoubleCodingSample(db.Model):
    """A random sample of a cycle's items that two coders code blind to each other."""

    __tablename__ = "coding_samples"
    __table_args__ = (db.CheckConstraint("coder_a_id <> coder_b_id", name="two_coders"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(db.ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(db.String(120))
    coder_a_id: Mapped[int] = mapped_column(db.ForeignKey("users.id", ondelete="RESTRICT"))
    coder_b_id: Mapped[int] = mapped_column(db.ForeignKey("users.id", ondelete="RESTRICT"))
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))
    seed: Mapped[int] = mapped_column()
    created_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)
    reconciled_at: Mapped[object | None] = mapped_column(db.DateTime)

    cycle = relationship("Cycle")
    coder_a = relationship("User", foreign_keys=[coder_a_id])
    coder_b = relationship("User", foreign_keys=[coder_b_id])
    items = relationship("SampleItem", back_populates="sample", cascade="all, delete-orphan")

    @property
    def item_ids(self) -> list[int]:
        return sorted(si.item_id for si in self.items)

    @property
    def open(self) -> bool:
        return self.reconciled_at is None


class SampleItem(db.Model):
    __tablename__ = "coding_sample_items"
    __table_args__ = (db.UniqueConstraint("sample_id", "item_id", name="uq_coding_sample_items_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(db.ForeignKey("coding_samples.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(db.ForeignKey("evidence_items.id", ondelete="CASCADE"), index=True)
    sample = relationship("DoubleCodingSample", back_populates="items")
    item = relationship("EvidenceItem")


class Coding(db.Model):
    """A code applied to a passage (start/end offsets into the item's stored text) or to the whole item.

    ``sample_id`` marks blind double-coding work: it never counts downstream. Codings that count are those
    with no sample: single-coder codings and the agreed codings a reconciliation produces.
    """

    __tablename__ = "codings"
    __table_args__ = (
        db.CheckConstraint("(start_offset IS NULL AND end_offset IS NULL) OR "
                           "(start_offset >= 0 AND end_offset > start_offset)", name="valid_span"),
        db.Index("ix_codings_item_code", "item_id", "code_id"),
        # One coder applies one code to one span once: a double submit (or twenty) finds the existing row.
        # NULLs (whole item, no sample, coder gone) are folded so that they compare equal.
        db.Index("uq_codings_identity", "item_id", "code_id", db.func.coalesce(db.column("start_offset"), -1),
                 db.func.coalesce(db.column("end_offset"), -1), db.func.coalesce(db.column("coder_id"), 0),
                 db.func.coalesce(db.column("sample_id"), 0), unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(db.ForeignKey("evidence_items.id", ondelete="CASCADE"))
    code_id: Mapped[int] = mapped_column(db.ForeignKey("codes.id", ondelete="RESTRICT"), index=True)
    start_offset: Mapped[int | None] = mapped_column()
    end_offset: Mapped[int | None] = mapped_column()
    coder_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # Who coded, as an imported REFI-QDA project names them, when that person has no account here.
    coder_name: Mapped[str | None] = mapped_column(db.String(120))
    sample_id: Mapped[int | None] = mapped_column(db.ForeignKey("coding_samples.id", ondelete="CASCADE"),
                                                  index=True)
    origin: Mapped[str] = mapped_column(db.String(20), default="manual")  # manual | agreed | suggestion
    created_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)

    item = relationship("EvidenceItem", lazy="joined")
    code = relationship("Code", lazy="joined")
    coder = relationship("User")

    @property
    def whole_item(self) -> bool:
        return self.start_offset is None

    def passage(self, text: str | None = None) -> str:
        text = self.item.text if text is None else text
        if self.whole_item:
            return text
        return text[self.start_offset:self.end_offset]


class Memo(db.Model):
    """A facilitator's note on an item, a coding or a code."""

    __tablename__ = "memos"
    __table_args__ = (db.CheckConstraint("target_type in ('item', 'coding', 'code')", name="valid_target"),
                      db.Index("ix_memos_target", "target_type", "target_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    target_type: Mapped[str] = mapped_column(db.String(10))
    target_id: Mapped[int] = mapped_column()
    author_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))
    # The author as an imported REFI-QDA project names them, when that person has no account here.
    author_name: Mapped[str | None] = mapped_column(db.String(120))
    text: Mapped[str] = mapped_column(db.Text)
    created_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)
    author = relationship("User")
