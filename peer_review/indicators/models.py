"""Indicators: versioned definitions, a city's local indicators, computed values (each with the hash of the method
and definitions behind it), numeric entries a city reports, field-trial ratings and peer groupings."""
from __future__ import annotations

from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..utils import utcnow


class IndicatorSet(db.Model):
    """One version of the network's indicator definitions, as loaded from ``rubrics/indicators/<version>.yaml``
    (or derived from the version before by a secretariat tier decision). ``content`` is the validated file;
    ``content_hash`` the SHA-256 of its canonical JSON. A stored version never changes."""

    __tablename__ = "indicator_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(db.String(40), unique=True)
    content: Mapped[dict] = mapped_column(db.JSON)
    content_hash: Mapped[str] = mapped_column(db.String(64), index=True)
    source_path: Mapped[str] = mapped_column(db.String(300), default="")
    note: Mapped[str] = mapped_column(db.Text, default="")  # e.g. which tier decisions made it
    supersedes_id: Mapped[int | None] = mapped_column(db.ForeignKey("indicator_sets.id", ondelete="SET NULL"))
    loaded_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))
    loaded_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)

    supersedes = relationship("IndicatorSet", remote_side=[id])

    @property
    def indicators(self) -> list[dict]:
        return list((self.content or {}).get("indicators", []))

    def get(self, key: str) -> dict | None:
        return next((i for i in self.indicators if i["id"] == key), None)


class LocalIndicator(db.Model):
    """An indicator one city adds for itself (tier "local"): same shape as a definition in the file."""

    __tablename__ = "local_indicators"
    __table_args__ = (db.UniqueConstraint("city_id", "key", name="uq_local_indicators_city_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(db.ForeignKey("cities.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(db.String(60))
    content: Mapped[dict] = mapped_column(db.JSON)
    retired: Mapped[bool] = mapped_column(default=False, server_default=db.false())
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow, onupdate=utcnow)

    city = relationship("City")


class IndicatorValue(db.Model):
    """A computed value of one indicator for one city in one cycle. ``status`` is "ok", "not_enough_evidence" or
    "missing" (value None: never zero). ``method_hash`` identifies the method and definitions that produced it;
    ``data_stamp`` the state of the evidence it was computed from, so a new accepted coding recomputes at once."""

    __tablename__ = "indicator_values"
    __table_args__ = (
        db.UniqueConstraint("cycle_id", "city_id", "indicator_key", "breakdown", name="uq_indicator_values_cell"),
        db.Index("ix_indicator_values_cycle_key", "cycle_id", "indicator_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(db.ForeignKey("cycles.id", ondelete="CASCADE"))
    city_id: Mapped[int] = mapped_column(db.ForeignKey("cities.id", ondelete="CASCADE"), index=True)
    indicator_key: Mapped[str] = mapped_column(db.String(60))
    breakdown: Mapped[str] = mapped_column(db.String(160), default="", server_default="")  # "" = the whole city
    kind: Mapped[str] = mapped_column(db.String(20))  # evidence | criteria | numeric
    value: Mapped[float | None] = mapped_column(db.Float)
    low: Mapped[float | None] = mapped_column(db.Float)
    high: Mapped[float | None] = mapped_column(db.Float)
    n: Mapped[int] = mapped_column(default=0)  # evidence items (or answers, or entries) it rests on
    hits: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(db.String(24))
    method_hash: Mapped[str] = mapped_column(db.String(64))
    data_stamp: Mapped[str] = mapped_column(db.String(64), default="")
    computed_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)


SEXES = ("all", "female", "male", "other")
ENTRY_SOURCES = ("form", "spreadsheet", "api")


class NumericEntry(db.Model):
    """A numeric indicator a city reports: value, unit, period, source, area and disaggregation. Edits keep every
    earlier state (``NumericEntryRevision``); deleting marks it withdrawn, never removes it."""

    __tablename__ = "numeric_entries"
    __table_args__ = (
        db.CheckConstraint("period_end >= period_start", name="period_ordered"),
        db.Index("ix_numeric_entries_city_key", "city_id", "indicator_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(db.ForeignKey("cities.id", ondelete="RESTRICT"))
    cycle_id: Mapped[int | None] = mapped_column(db.ForeignKey("cycles.id", ondelete="SET NULL"), index=True)
    indicator_key: Mapped[str] = mapped_column(db.String(60))
    value: Mapped[float] = mapped_column(db.Float)
    unit: Mapped[str] = mapped_column(db.String(40))
    period_start: Mapped[object] = mapped_column(db.Date)
    period_end: Mapped[object] = mapped_column(db.Date)
    source: Mapped[str] = mapped_column(db.String(300))
    area: Mapped[str] = mapped_column(db.String(120), default="", server_default="")  # "" = the whole city
    sex: Mapped[str] = mapped_column(db.String(10), default="all", server_default="all")
    age_group: Mapped[str] = mapped_column(db.String(20), default="all", server_default="all")
    is_proxy: Mapped[bool] = mapped_column(default=False, server_default=db.false())
    proxy_note: Mapped[str] = mapped_column(db.Text, default="", server_default="")
    withdrawn: Mapped[bool] = mapped_column(default=False, server_default=db.false())
    entered_via: Mapped[str] = mapped_column(db.String(12), default="form", server_default="form")
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    city = relationship("City")
    cycle = relationship("Cycle")
    revisions = relationship("NumericEntryRevision", back_populates="entry", cascade="all, delete-orphan",
                             order_by="NumericEntryRevision.id")

    def snapshot(self) -> dict:
        return {"indicator": self.indicator_key, "value": self.value, "unit": self.unit,
                "period": [self.period_start.isoformat(), self.period_end.isoformat()], "source": self.source,
                "area": self.area, "sex": self.sex, "age_group": self.age_group, "is_proxy": self.is_proxy,
                "proxy_note": self.proxy_note, "withdrawn": self.withdrawn}


class NumericEntryRevision(db.Model):
    __tablename__ = "numeric_entry_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(db.ForeignKey("numeric_entries.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column()
    state: Mapped[dict] = mapped_column(db.JSON)  # the entry's snapshot() after the save
    saved_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)
    saved_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(db.String(12), default="form")  # form | spreadsheet | api

    entry = relationship("NumericEntry", back_populates="revisions")
    saved_by = relationship("User")


RATING_CRITERIA = ("ease", "universality", "relevance", "credibility")


class FieldTrialRating(db.Model):
    """A city's rating of one indicator in one cycle, 1 (poor) to 5 (good) on each field-trial criterion."""

    __tablename__ = "field_trial_ratings"
    __table_args__ = (
        db.UniqueConstraint("cycle_id", "city_id", "indicator_key", name="uq_field_trial_ratings_cell"),
        *(db.CheckConstraint(f"{c} IS NULL OR ({c} >= 1 AND {c} <= 5)", name=f"valid_{c}")
          for c in RATING_CRITERIA),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(db.ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    city_id: Mapped[int] = mapped_column(db.ForeignKey("cities.id", ondelete="CASCADE"), index=True)
    indicator_key: Mapped[str] = mapped_column(db.String(60))
    ease: Mapped[int | None] = mapped_column()
    universality: Mapped[int | None] = mapped_column()
    relevance: Mapped[int | None] = mapped_column()
    credibility: Mapped[int | None] = mapped_column()
    comment: Mapped[str] = mapped_column(db.Text, default="", server_default="")
    rated_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow, onupdate=utcnow)

    city = relationship("City")


class PeerGrouping(db.Model):
    """One run of the peer-group method for a cycle (standardise, PCA to ~80% variance, k-means with k chosen by
    silhouette). The latest run of a cycle is the one in use. ``groups`` maps a group label to its name,
    description and city ids; ``excluded`` lists cities with too many missing values."""

    __tablename__ = "peer_groupings"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(db.ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    seed: Mapped[int] = mapped_column(default=0)
    k: Mapped[int | None] = mapped_column()
    features: Mapped[list] = mapped_column(db.JSON, default=list)
    explained_variance: Mapped[list] = mapped_column(db.JSON, default=list)
    loadings: Mapped[dict] = mapped_column(db.JSON, default=dict)  # component -> {feature: loading}
    silhouettes: Mapped[dict] = mapped_column(db.JSON, default=dict)  # str(k) -> score
    coordinates: Mapped[dict] = mapped_column(db.JSON, default=dict)  # str(city_id) -> [pc1, pc2]
    groups: Mapped[dict] = mapped_column(db.JSON, default=dict)
    excluded: Mapped[list] = mapped_column(db.JSON, default=list)
    method_hash: Mapped[str] = mapped_column(db.String(64))
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)

    cycle = relationship("Cycle")
