"""Creating and changing cities; every change is audited."""
from __future__ import annotations

import zoneinfo

from sqlalchemy import func, or_

from ..audit.operations import record
from ..errors import ValidationFailed
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..utils import slugify, strip_control
from .models import POPULATION_BANDS, REGIONS, City
from .vocab import CITY_LANGUAGES

FIELDS = ("name", "slug", "country", "region", "population_band", "languages", "timezone")


def _clean(data: dict, city: City | None) -> dict:
    errors: dict[str, list] = {}
    out: dict = {}
    for key in FIELDS:
        if key not in data:
            continue
        value = data[key]
        if key == "languages":
            values = value if isinstance(value, (list, tuple)) else []
            allowed = {c for c, _ in CITY_LANGUAGES}
            if not values or any(v not in allowed for v in values):
                errors[key] = [_l("Choose one or more of: %(codes)s", codes=", ".join(sorted(allowed)))]
            else:
                out[key] = ",".join(dict.fromkeys(values))
            continue
        value = strip_control(str(value).strip()) if value is not None else ""
        out[key] = value
    if "region" in out and out["region"] not in dict(REGIONS):
        errors["region"] = [_l("Choose a region from the list")]
    if "population_band" in out and out["population_band"] not in dict(POPULATION_BANDS):
        errors["population_band"] = [_l("Choose a population band from the list")]
    if "timezone" in out and out["timezone"] not in zoneinfo.available_timezones():
        errors["timezone"] = [_l("Enter a time zone from the IANA list, like Africa/Nairobi")]
    for key, limit in (("name", 120), ("country", 80), ("slug", 80)):
        if key in out and len(out[key]) > limit:
            errors[key] = [_l("Must be %(n)s characters or fewer", n=limit)]
    for key in ("name", "country"):
        if key in out and not out[key]:
            errors[key] = [_l("This field is required")]
    if city is None or "slug" in data:
        slug = out.get("slug") or slugify(out.get("name") or (city.name if city else ""))
        if not slug:
            errors.setdefault("slug", [_l("Give a short name made of letters and numbers")])
        else:
            clash = db.session.execute(db.select(City.id).filter(City.slug == slug)).scalar_one_or_none()
            if clash is not None and (city is None or clash != city.id):
                errors["slug"] = [_l("Another city already uses the short name %(slug)s", slug=slug)]
            out["slug"] = slug
    if errors:
        raise ValidationFailed(errors)
    return out


def create_city(data: dict, *, fictional: bool = False) -> City:
    missing = [k for k in ("name", "country", "region", "population_band", "languages") if not data.get(k)]
    if missing:
        raise ValidationFailed({k: [_l("This field is required")] for k in missing})
    values = _clean(data, None)
    city = City(fictional=fictional, **values)
    db.session.add(city)
    db.session.flush()
    record("city.create", "city", city.id, summary=city.name, after=city.snapshot())
    return city


def update_city(city: City, data: dict) -> City:
    before = city.snapshot()
    for key, value in _clean(data, city).items():
        setattr(city, key, value)
    db.session.flush()
    after = city.snapshot()
    if after != before:
        record("city.update", "city", city.id, summary=city.name, before=before, after=after)
    return city


def set_city_active(city: City, active: bool) -> None:
    if city.active == active:
        return
    before = city.snapshot()
    city.active = active
    record("city.reactivate" if active else "city.deactivate", "city", city.id, summary=city.name,
           before=before, after=city.snapshot())


def search_cities(q: str | None = None, *, include_inactive: bool = False, region: str | None = None):
    stmt = db.select(City).order_by(City.name)
    if not include_inactive:
        stmt = stmt.filter(City.active.is_(True))
    if region:
        stmt = stmt.filter(City.region == region)
    if q:
        like = f"%{q.strip().lower()[:100]}%"
        stmt = stmt.filter(or_(func.lower(City.name).like(like), func.lower(City.country).like(like),
                               City.slug.like(like)))
    return stmt


def get_city_or_404(slug: str) -> City:
    return db.first_or_404(db.select(City).filter_by(slug=slug))
