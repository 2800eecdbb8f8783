"""Loads the demo network idempotently: running it twice changes nothing the second time."""
from __future__ import annotations

import datetime as dt

from ..cities.models import City
from ..cycles.models import Cycle
from ..extensions import db
from ..users.models import Membership, NetworkRole, User
from . import cities as data

# Later issues append loaders for their own demo content (evidence, codings, assessments...).
EXTRA_LOADERS: list = []


def load_demo() -> dict:
    counts = {"cities": 0, "people": 0, "cycles": 0}
    by_slug = {c.slug: c for c in db.session.execute(db.select(City)).scalars()}
    for slug, name, country, region, band, langs, tz in data.CITIES:
        if slug not in by_slug:
            city = City(slug=slug, name=name, country=country, region=region, population_band=band,
                        languages=",".join(langs), timezone=tz, fictional=True)
            db.session.add(city)
            by_slug[slug] = city
            counts["cities"] += 1
    db.session.flush()
    for email, name, locale, roles, memberships in data.PEOPLE:
        user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none()
        if user is None:
            user = User(email=email, name=name, locale=locale)
            user.set_password(data.DEMO_PASSWORD)
            user.network_roles = [NetworkRole(role=r) for r in roles]
            user.memberships = [Membership(city=by_slug[s], role=r) for s, r in memberships]
            db.session.add(user)
            counts["people"] += 1
    for name, starts, ends, state, slugs in data.CYCLES:
        if db.session.execute(db.select(Cycle).filter_by(name=name)).scalar_one_or_none() is None:
            cities = list(by_slug.values()) if slugs is None else [by_slug[s] for s in slugs]
            db.session.add(Cycle(name=name, starts_on=dt.date.fromisoformat(starts),
                                 ends_on=dt.date.fromisoformat(ends), state=state, cities=cities))
            counts["cycles"] += 1
    db.session.flush()
    counts.update(_pin_core_rubric())
    from .assessments import seed_assessments
    from .evidence_loader import load_demo_evidence
    from .indicators import seed_indicators
    from .reports import seed_reports
    from .reviews import seed_reviews
    for loader in [load_demo_evidence, *EXTRA_LOADERS, seed_assessments, seed_reviews, seed_indicators,
                   seed_reports]:
        counts.update(loader())
    db.session.commit()
    return counts


def _pin_core_rubric() -> dict:
    """The demo network assesses itself with the core rubric: load it (and the network's local criteria, shown on
    the rubric pages) and pin the demo cycles that have none yet."""
    import os

    from .. import ROOT
    from ..rubrics.operations import get_version, load_version
    for path in ("rubrics/core/1.0.yaml", "rubrics/network-local/1.0.yaml"):
        load_version(os.path.join(ROOT, path))
    core = get_version("core", "1.0")
    pinned = 0
    for name, *_rest in data.CYCLES:
        cycle = db.session.execute(db.select(Cycle).filter_by(name=name)).scalar_one_or_none()
        if cycle is not None and cycle.rubric_version_id is None:
            cycle.rubric_version = core
            pinned += 1
    db.session.flush()
    return {"cycles pinned to the core rubric": pinned}
