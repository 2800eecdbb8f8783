"""Cities of the network."""
from __future__ import annotations

from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..utils import utcnow

REGIONS = (
    ("africa", _l("Africa")),
    ("asia", _l("Asia")),
    ("europe", _l("Europe")),
    ("latin_america", _l("Latin America and the Caribbean")),
    ("north_america", _l("North America")),
    ("oceania", _l("Oceania")),
    ("middle_east", _l("Middle East and North Africa")),
)
POPULATION_BANDS = (
    ("lt_100k", _l("Under 100,000")),
    ("100k_500k", _l("100,000 to 500,000")),
    ("500k_1m", _l("500,000 to 1 million")),
    ("1m_5m", _l("1 to 5 million")),
    ("gt_5m", _l("Over 5 million")),
)


class City(db.Model):
    __tablename__ = "cities"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(db.String(120))
    slug: Mapped[str] = mapped_column(db.String(80), unique=True, index=True)
    country: Mapped[str] = mapped_column(db.String(80))
    region: Mapped[str] = mapped_column(db.String(20))
    population_band: Mapped[str] = mapped_column(db.String(20))
    languages: Mapped[str] = mapped_column(db.String(40), default="en")  # comma-separated codes
    timezone: Mapped[str] = mapped_column(db.String(64), default="UTC")
    # The peer group of statistically similar cities it is compared within (a label; the indicators work
    # computes groups); peer assignment may prefer reviewers of the same group.
    peer_group: Mapped[str | None] = mapped_column(db.String(40))
    active: Mapped[bool] = mapped_column(default=True)
    fictional: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow, onupdate=utcnow)

    memberships = relationship("Membership", back_populates="city", cascade="all, delete-orphan")

    @property
    def language_list(self) -> list[str]:
        return [code for code in (self.languages or "").split(",") if code]

    def snapshot(self) -> dict:
        """The audited state of a city."""
        return {
            "name": self.name, "slug": self.slug, "country": self.country, "region": self.region,
            "population_band": self.population_band, "languages": self.language_list,
            "timezone": self.timezone, "active": self.active, "peer_group": self.peer_group,
        }

    def __repr__(self) -> str:
        return f"<City {self.slug}>"
