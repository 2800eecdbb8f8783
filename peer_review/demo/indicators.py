"""Demo indicators: the numbers each demo city reports, a local indicator, field-trial ratings and the 2026 peer
groups, so that the dashboards have something to show.

The magnitudes follow the published regional picture (UNODC homicide statistics; Gallup's "safe walking alone at
night" question): far higher homicide rates in the Latin American and Southern African cities than in the
European ones, and fewer residents feeling safe after dark where violence is higher. The cities are fictional.
"""
from __future__ import annotations

import datetime as dt

from ..cities.models import City
from ..cycles.models import Cycle
from ..extensions import db
from ..indicators import compute
from ..indicators import definitions as defs
from ..indicators.models import FieldTrialRating, LocalIndicator, NumericEntry

# slug: (homicides per 100,000 in 2024 and 2025, % feeling safe after dark 2024 and 2025, victimisation %,
#        women feeling safe on transport %, street lighting %; None where the city has no figure)
NUMBERS = {
    "amanzi-bay": ((41.8, 39.6), (31, 34), 28.0, 22, 71),
    "kisaru": ((6.1, 5.8), (47, 49), 31.5, None, 38),
    "nouvelle-sahel": ((2.3, 2.1), (58, 61), None, 44, 42),
    "san-aurelio": ((24.7, 21.9), (38, 43), 26.4, 29, 64),
    "villa-esperanza": ((28.3, 29.1), (35, 33), 30.2, 21, None),
    "puerto-claro": ((4.6, 4.9), (49, 47), 22.8, 40, 88),
    "eastmere": ((1.1, 1.0), (71, 72), 14.9, 63, 97),
    "valmont-sur-loire": ((1.3, 1.4), (68, 66), 16.2, 58, 95),
    "castellar": ((0.7, 0.6), (77, 79), 12.1, 69, 96),
    "port-mirasol": ((5.9, 5.2), (62, 64), None, 37, 57),
    "tanjung-harapan": ((0.5, 0.5), (70, 71), 11.4, 48, 61),
    "maple-falls": ((1.9, 2.0), (74, 73), 17.6, 66, 93),
}
SOURCES = {
    "homicide_rate": "Municipal observatory, from police and forensic medicine records",
    "feel_safe_after_dark": "City perception survey",
    "victimisation_rate": "City victimisation survey",
    "women_safe_transport": "Transport operator's passenger survey",
    "street_lighting": "Public works lighting inventory",
}
# Cities whose figure is a stand-in the definition accepts, marked as such wherever it shows.
PROXIES = {("kisaru", "homicide_rate"): "Deaths by assault in the county referral hospital's records",
           ("villa-esperanza", "women_safe_transport"): "Share of women in the general survey who use buses "
                                                        "at night"}


def _entry(city, key, value, year, cycle_id):
    unit = {"homicide_rate": "per_100k"}.get(key, "percent")
    proxy = PROXIES.get((city.slug, key))
    return NumericEntry(city_id=city.id, cycle_id=cycle_id, indicator_key=key, value=float(value), unit=unit,
                        period_start=dt.date(year, 1, 1), period_end=dt.date(year, 12, 31), source=SOURCES[key],
                        is_proxy=proxy is not None, proxy_note=proxy or "", entered_via="form")


def seed_indicators() -> dict:
    indicator_set = defs.ensure_loaded()
    if indicator_set is None or db.session.execute(db.select(NumericEntry.id).limit(1)).first():
        return {}
    cycles = {c.name: c for c in db.session.execute(db.select(Cycle)).scalars()}
    closed, current = cycles.get("2025 round"), cycles.get("2026 round")
    cities = {c.slug: c for c in db.session.execute(db.select(City)).scalars()}
    entries = 0
    for slug, (homicide, safe, victims, women, lighting) in NUMBERS.items():
        city = cities.get(slug)
        if city is None:
            continue
        for index, (year, cycle) in enumerate(((2024, closed), (2025, current))):
            cycle_id = cycle.id if cycle is not None else None
            rows = [_entry(city, "homicide_rate", homicide[index], year, cycle_id),
                    _entry(city, "feel_safe_after_dark", safe[index], year, cycle_id)]
            if index == 1:
                rows += [_entry(city, k, v, year, cycle_id) for k, v in (
                    ("victimisation_rate", victims), ("women_safe_transport", women), ("street_lighting", lighting))
                    if v is not None]
            db.session.add_all(rows)
            entries += len(rows)
    city = cities.get("san-aurelio")
    if city is not None:
        db.session.add(LocalIndicator(city_id=city.id, key="stairway_lighting", content={
            "id": "stairway_lighting", "tier": "local", "family": "quantitative", "direction": "more",
            "numeric": True, "unit": "percent", "range": {"min": 0, "max": 100},
            "goalposts": {"low": 0, "high": 100}, "weight": 1, "dimension": "quantitative",
            "name": {"en": "Lit public stairways", "es": "Escaleras públicas iluminadas",
                     "fr": "Escaliers publics éclairés"},
            "definition": {"en": "Share of the hillside's public stairways whose lights all work at night.",
                           "es": "Proporción de las escaleras públicas de la ladera con todas sus luminarias "
                                 "funcionando de noche.",
                           "fr": "Part des escaliers publics de la colline dont tout l'éclairage fonctionne la nuit."}}))
        if current is not None:
            db.session.add(NumericEntry(city_id=city.id, cycle_id=current.id, indicator_key="stairway_lighting",
                                        value=40.0, unit="percent", period_start=dt.date(2025, 1, 1),
                                        period_end=dt.date(2025, 12, 31), source="Walk audit by the women's "
                                        "network, 15 stairways counted"))
    ratings = 0
    if current is not None:
        defs.set_for_cycle(current)
        # Six cities rated the indicators in the 2026 field trial; harder-to-collect numbers rate lower on ease.
        for n, slug in enumerate(("san-aurelio", "kisaru", "eastmere", "castellar", "port-mirasol", "maple-falls")):
            city = cities.get(slug)
            if city is None:
                continue
            for ind in indicator_set.indicators:
                numeric = bool(ind.get("numeric"))
                ease = 2 + (n % 2) if numeric else 4 - (n % 3 == 0)
                universality = 3 if ind.get("tier") == "second" else 4 + (n % 2 == 0)
                db.session.add(FieldTrialRating(
                    cycle_id=current.id, city_id=city.id, indicator_key=ind["id"], ease=ease,
                    universality=min(universality, 5), relevance=4 + (ind["family"] == "culture" and n % 2 == 0),
                    credibility=3 + (not numeric) - (ind["id"] == "optimism_vibrancy"),
                    comment="Hard to get the figure every year" if numeric and n == 1 else ""))
                ratings += 1
    db.session.flush()
    groups = 0
    for cycle in (closed, current):
        if cycle is not None:
            compute.refresh(cycle)
    if current is not None:
        from ..indicators.peergroup_service import run
        run(current, seed=2026)
        groups = 1
    return {"numeric entries": entries, "field-trial ratings": ratings, "peer-group runs": groups}
