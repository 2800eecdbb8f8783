"""Computed indicator values, stored per city and cycle with their method hash, and kept fresh.

``refresh(cycle, city_ids)`` returns every whole-city value of the cities asked. A stored value is used while the
data it was computed from is unchanged: each city's *data stamp* (a hash of counts, highest ids and last update
times of its items, counted codings, assessment, released reviews, numeric entries, local indicators and the
codebook, read in a handful of grouped queries for all cities at once) is compared with the stamp stored beside
its values, and only cities whose stamp or method hash changed are recomputed. So caching never hides a newly
accepted coding: the coding changes the stamp, and the next page shows it.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from ..assessments.models import Answer, Assessment
from ..coding.models import Code, Coding
from ..evidence.models import EvidenceItem
from ..extensions import db
from ..reviews.models import Review
from ..utils import utcnow
from . import definitions as defs
from . import evidence_data, scores
from .models import IndicatorValue, LocalIndicator, NumericEntry


def kind_of(definition: dict) -> str:
    if definition.get("codes"):
        return "evidence"
    if definition.get("numeric"):
        return "numeric"
    return "criteria"


def _grouped(stmt) -> dict:
    return {row[0]: tuple(str(x) for x in row[1:]) for row in db.session.execute(stmt)}


def stamps(cycle, city_ids) -> dict[int, str]:
    """{city: data stamp} for the cycle."""
    found = stamps_many([cycle], city_ids)
    return {city: found[(cycle.id, city)] for city in city_ids}


def stamps_many(cycles, city_ids) -> dict[tuple[int, int], str]:
    """{(cycle id, city id): data stamp} for several cycles at once: the same grouped queries, by cycle too."""
    ids, cycle_ids = list(city_ids), [c.id for c in cycles]

    def by_pair(stmt) -> dict:
        return {(row[0], row[1]): tuple(str(x) for x in row[2:]) for row in db.session.execute(stmt)}

    items = by_pair(db.select(EvidenceItem.cycle_id, EvidenceItem.city_id, func.count(EvidenceItem.id),
                              func.max(EvidenceItem.updated_at), func.sum(EvidenceItem.version))
                    .filter(EvidenceItem.cycle_id.in_(cycle_ids), EvidenceItem.city_id.in_(ids))
                    .group_by(EvidenceItem.cycle_id, EvidenceItem.city_id))
    codings = by_pair(db.select(EvidenceItem.cycle_id, EvidenceItem.city_id, func.count(Coding.id), func.max(Coding.id),
                                func.sum(Coding.code_id))
                      .join(Coding, Coding.item_id == EvidenceItem.id)
                      .filter(EvidenceItem.cycle_id.in_(cycle_ids), EvidenceItem.city_id.in_(ids),
                              func.coalesce(Coding.sample_id, 0) == 0)
                      .group_by(EvidenceItem.cycle_id, EvidenceItem.city_id))
    answers = by_pair(db.select(Assessment.cycle_id, Assessment.city_id, Assessment.state, func.count(Answer.id),
                                func.max(Answer.updated_at), func.sum(Answer.version))
                      .join(Answer, Answer.assessment_id == Assessment.id, isouter=True)
                      .filter(Assessment.cycle_id.in_(cycle_ids), Assessment.city_id.in_(ids))
                      .group_by(Assessment.cycle_id, Assessment.city_id, Assessment.state))
    reviews = by_pair(db.select(Review.cycle_id, Review.reviewed_city_id, func.count(Review.id),
                                func.max(Review.released_at), func.max(Review.updated_at))
                      .filter(Review.cycle_id.in_(cycle_ids), Review.reviewed_city_id.in_(ids),
                              Review.released_at.is_not(None))
                      .group_by(Review.cycle_id, Review.reviewed_city_id))
    numbers = _grouped(db.select(NumericEntry.city_id, func.count(NumericEntry.id), func.max(NumericEntry.updated_at),
                                 func.sum(NumericEntry.version))
                       .filter(NumericEntry.city_id.in_(ids)).group_by(NumericEntry.city_id))
    local = _grouped(db.select(LocalIndicator.city_id, func.count(LocalIndicator.id), func.max(LocalIndicator.updated_at))
                     .filter(LocalIndicator.city_id.in_(ids)).group_by(LocalIndicator.city_id))
    codebook = db.session.execute(db.select(func.count(Code.id), func.max(Code.id),
                                            func.sum(func.coalesce(Code.parent_id, 0)))).one()
    out = {}
    for cycle in cycles:
        common = f"{cycle.rubric_version_id}|{tuple(codebook)}"
        for city in ids:
            pair = (cycle.id, city)
            raw = "|".join(str(part.get(pair)) for part in (items, codings, answers, reviews)) + "|" + \
                "|".join(str(part.get(city)) for part in (numbers, local))
            out[pair] = hashlib.sha256(f"{common}|{raw}".encode()).hexdigest()[:32]
    return out


def numeric_values(cycle, city_ids) -> dict:
    try:
        from .numeric import values_for_cycle
    except ImportError:  # pragma: no cover - the numeric entries module is part of the package
        return {}
    return values_for_cycle(cycle, city_ids)


def compute_city(cycle, version, indicator_set, city_id: int, evidence, own_levels: dict, numeric: dict,
                 method: dict) -> list[dict]:
    """Every whole-city value of one city: dicts with the IndicatorValue columns."""
    out = []
    rubric_hash = getattr(version, "content_hash", None)
    for definition in defs.definitions_for(indicator_set, city_id):
        kind = kind_of(definition)
        extra = {"rubric": rubric_hash} if kind == "criteria" else {}
        if kind == "evidence":
            result = evidence_data.evidence_value(definition, evidence, method)
        elif kind == "numeric":
            entry = numeric.get((city_id, definition["id"]))
            # For a reported number, "hits" says whether the figure is a proxy (1) or the indicator itself (0),
            # so that every place showing the value can mark a proxy as such.
            result = {"value": entry.value if entry else None, "low": None, "high": None, "n": 1 if entry else 0,
                      "hits": 1 if entry is not None and entry.is_proxy else 0, "status": "ok" if entry else "missing"}
        else:
            result = scores.criteria_value(definition, version, own_levels) if version is not None else \
                {"value": None, "low": None, "high": None, "n": 0, "hits": 0, "status": "missing"}
        out.append({"indicator_key": definition["id"], "kind": kind, "value": result["value"],
                    "low": result["low"], "high": result["high"], "n": result["n"], "hits": result["hits"],
                    "status": result["status"], "method_hash": defs.method_hash(definition, method, extra)})
    return out


def refresh(cycle, city_ids=None) -> dict[int, dict[str, IndicatorValue]]:
    """{city: {indicator key: IndicatorValue}} for the cycle's cities (or those given), recomputing stale ones."""
    ids = sorted(set(city_ids) if city_ids is not None else cycle.city_ids)
    if not ids:
        return {}
    pinning = cycle.indicator_set_id is None
    indicator_set = defs.set_for_cycle(cycle)
    if pinning and indicator_set is not None:
        db.session.commit()
    method = defs.method_settings(indicator_set)
    current = stamps(cycle, ids)
    stored: dict[int, dict[str, IndicatorValue]] = defaultdict(dict)
    for row in db.session.execute(db.select(IndicatorValue).filter(
            IndicatorValue.cycle_id == cycle.id, IndicatorValue.city_id.in_(ids),
            IndicatorValue.breakdown == "")).scalars():
        stored[row.city_id][row.indicator_key] = row
    stale = [c for c in ids if not stored.get(c) or any(r.data_stamp != current[c] for r in stored[c].values())]
    if stale:
        _recompute(cycle, indicator_set, method, stale, current, stored)
    return {c: stored.get(c, {}) for c in ids}


def refresh_city(cycles, city_id: int) -> dict[int, dict[str, IndicatorValue]]:
    """{cycle id: {indicator key: IndicatorValue}} of one city over several cycles (its trend), with the stamps
    and the stored values read in one pass for all of them; only stale cycles are recomputed."""
    cycles = list(cycles)
    if not cycles:
        return {}
    for cycle in cycles:
        if cycle.indicator_set_id is None:
            defs.set_for_cycle(cycle)
            db.session.commit()
    current = stamps_many(cycles, [city_id])
    stored: dict[int, dict[str, IndicatorValue]] = defaultdict(dict)
    for row in db.session.execute(db.select(IndicatorValue).filter(
            IndicatorValue.cycle_id.in_([c.id for c in cycles]), IndicatorValue.city_id == city_id,
            IndicatorValue.breakdown == "")).scalars():
        stored[row.cycle_id][row.indicator_key] = row
    for cycle in cycles:
        rows = stored.get(cycle.id)
        stamp = current[(cycle.id, city_id)]
        if not rows or any(r.data_stamp != stamp for r in rows.values()):
            indicator_set = defs.set_for_cycle(cycle)
            by_city = {city_id: dict(rows or {})}
            _recompute(cycle, indicator_set, defs.method_settings(indicator_set), [city_id], {city_id: stamp},
                       by_city)
            stored[cycle.id] = by_city[city_id]
    return {c.id: stored.get(c.id, {}) for c in cycles}


def _recompute(cycle, indicator_set, method, stale, current, stored) -> None:
    """Compute the stale cities' values and store them: changed rows in one executemany UPDATE, new rows in one
    INSERT (row by row through the ORM, a 500-city cycle made 12,000 statements)."""
    version = cycle.rubric_version
    evidence = evidence_data.load(cycle.id, stale)
    own = scores.self_levels(cycle.id, stale) if version is not None else {}
    numeric = numeric_values(cycle, stale)
    now = utcnow()
    updates, inserts, removed = [], [], []
    for city_id in stale:
        values = compute_city(cycle, version, indicator_set, city_id, evidence.get(city_id) or
                              evidence_data.CityEvidence(), own.get(city_id, {}), numeric, method)
        rows = stored.setdefault(city_id, {})
        wanted = {v["indicator_key"] for v in values}
        removed += [rows.pop(k).id for k in [k for k in rows if k not in wanted]]
        for value in values:
            cells = dict(value, data_stamp=current[city_id], computed_at=now)
            row = rows.get(value["indicator_key"])
            if row is None:
                inserts.append(dict(cells, cycle_id=cycle.id, city_id=city_id, breakdown=""))
            else:
                for name, v in cells.items():
                    set_committed_value(row, name, v)  # the row object shows what the UPDATE below stores
                updates.append(dict(cells, id=row.id))
    try:
        with db.session.begin_nested():
            if removed:
                db.session.execute(db.delete(IndicatorValue).where(IndicatorValue.id.in_(removed)))
            if updates:
                db.session.execute(db.update(IndicatorValue), updates)
            if inserts:
                db.session.execute(db.insert(IndicatorValue), inserts)
    except IntegrityError:
        # Another request stored the same cells a moment ago: theirs are as fresh as ours.
        db.session.rollback()
        return
    if inserts:
        fresh = {(i["city_id"], i["indicator_key"]) for i in inserts}
        for row in db.session.execute(db.select(IndicatorValue).filter(
                IndicatorValue.cycle_id == cycle.id, IndicatorValue.city_id.in_({c for c, _k in fresh}),
                IndicatorValue.breakdown == "")).scalars():
            if (row.city_id, row.indicator_key) in fresh:
                stored[row.city_id][row.indicator_key] = row
    _commit_keeping_objects()


def _commit_keeping_objects() -> None:
    """Commit the stored values without expiring what the session holds: the page goes on to read the rows just
    written, and expired objects would be reloaded one query each."""
    session = db.session()
    previous = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = previous


def cycles_of_city(city) -> list:
    """The cycles a city takes part in, oldest first."""
    from sqlalchemy.orm import lazyload

    from ..cycles.models import Cycle, cycle_cities
    # Not the cities of each cycle (selectin by default: 500 cities per cycle on a large network).
    return list(db.session.execute(
        db.select(Cycle).join(cycle_cities, cycle_cities.c.cycle_id == Cycle.id).options(lazyload(Cycle.cities))
        .filter(cycle_cities.c.city_id == city.id).order_by(Cycle.starts_on, Cycle.id)).scalars())


def latest_started(cycles):
    """The most recent of ``cycles`` (oldest first) that is under way or closed, else the most recent; None if none."""
    started = [c for c in cycles if c.state != "draft"]
    return (started or list(cycles) or [None])[-1]


def takes_part(cycle, city) -> bool:
    """Whether the city takes part in the cycle, without loading the cycle's cities."""
    from ..cycles.models import cycle_cities
    return db.session.execute(db.select(cycle_cities.c.city_id).filter(
        cycle_cities.c.cycle_id == cycle.id, cycle_cities.c.city_id == city.id)).first() is not None


def stored_values(cycle, city_ids, keys) -> dict[str, list[float]]:
    """{indicator: [value]} of the stored whole-city "ok" values of some cities, read as plain rows (no
    recomputation, no ORM objects): the other members of a peer group on a city's dashboard."""
    out: dict[str, list[float]] = defaultdict(list)
    if not city_ids:
        return out
    for key, value in db.session.execute(db.select(IndicatorValue.indicator_key, IndicatorValue.value).filter(
            IndicatorValue.cycle_id == cycle.id, IndicatorValue.city_id.in_(list(city_ids)),
            IndicatorValue.breakdown == "", IndicatorValue.status == "ok", IndicatorValue.value.is_not(None),
            IndicatorValue.indicator_key.in_(list(keys)))):
        out[key].append(value)
    return out


def cities_with_values(cycle, city_ids) -> set[int]:
    if not city_ids:
        return set()
    return set(db.session.execute(db.select(IndicatorValue.city_id).filter(
        IndicatorValue.cycle_id == cycle.id, IndicatorValue.city_id.in_(list(city_ids)),
        IndicatorValue.breakdown == "").distinct()).scalars())
