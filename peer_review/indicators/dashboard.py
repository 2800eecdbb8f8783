"""What a city's indicator dashboard shows, assembled as plain data (the view renders it, the API returns it):
indicators with intervals by family, self versus peer scores by section, voice coverage, numeric indicators,
trends across cycles with method breaks, last cycle's recommendations and their follow-up, and the city's place
within its peer group as a distribution. Cities are never ordered by a value here: other cities appear only as
unnamed points of a distribution."""
from __future__ import annotations

from ..extensions import db
from ..reviews.models import Recommendation, RecommendationResponse, Review
from . import compute, coverage, evidence_data, methods, scores
from . import definitions as defs

FAMILY_ORDER = ("process", "culture", "context", "quantitative")


def _value_dict(row) -> dict | None:
    if row is None:
        return None
    return {"value": row.value, "low": row.low, "high": row.high, "n": row.n, "hits": row.hits,
            "status": row.status, "kind": row.kind, "method_hash": row.method_hash}


def trends(city, cycles, key_list, by_cycle=None) -> dict[str, list[dict]]:
    """{indicator: [{cycle, cycle_id, value, low, high, status, method_hash, method_break}]} oldest first; a
    break is marked where the method hash differs from the cycle before."""
    series = {k: [] for k in key_list}
    by_cycle = compute.refresh_city(cycles, city.id) if by_cycle is None else by_cycle
    for cycle in cycles:
        values = by_cycle.get(cycle.id, {})
        for key in key_list:
            row = values.get(key)
            previous = next((p for p in reversed(series[key]) if p["method_hash"]), None)
            point = {"cycle": cycle.name, "cycle_id": cycle.id, **(_value_dict(row) or {
                "value": None, "low": None, "high": None, "n": 0, "hits": 0, "status": "missing", "kind": None,
                "method_hash": None})}
            point["method_break"] = bool(previous and point["method_hash"]
                                         and previous["method_hash"] != point["method_hash"])
            series[key].append(point)
    return series


def previous_cycle(cycles, cycle):
    earlier = [c for c in cycles if (c.starts_on, c.id) < (cycle.starts_on, cycle.id)]
    return earlier[-1] if earlier else None


def recommendations_followup(city, cycle) -> list[dict]:
    """The released recommendations the city received in ``cycle`` with its response and the action's progress."""
    if cycle is None:
        return []
    rows = db.session.execute(
        db.select(Recommendation, Review).join(Review, Review.id == Recommendation.review_id)
        .filter(Review.cycle_id == cycle.id, Review.reviewed_city_id == city.id, Review.released_at.is_not(None))
        .order_by(Review.id, Recommendation.position, Recommendation.id)).all()
    responses = {r.recommendation_id: r for r in db.session.execute(
        db.select(RecommendationResponse).filter(RecommendationResponse.recommendation_id.in_(
            [rec.id for rec, _ in rows]))).scalars()} if rows else {}
    return [{"id": rec.id, "text": rec.text, "priority": rec.priority, "reviewer": review.reviewer_city.name,
             "criteria": list(rec.criterion_ids or []), "response": responses.get(rec.id)} for rec, review in rows]


def peer_distribution(cycle, city, indicator_keys, own_values=None) -> dict | None:
    """The city's peer group in the cycle and, per indicator, the group's five-number summary and the city's own
    value; None when no grouping has been run or the city is not in a group. The city's own value is fresh; the
    other members' are their stored values (recomputing a whole group on every view cost seconds), which each
    member's own pages, the network page and ``flask indicators refresh`` keep current."""
    try:
        from .peergroup_service import group_of
    except ImportError:  # pragma: no cover
        return None
    found = group_of(cycle, city.id)
    if not found:
        return None
    label, name, member_ids = found
    if own_values is None:
        own_values = compute.refresh(cycle, [city.id]).get(city.id, {})
    others = [m for m in member_ids if m != city.id]
    stored = compute.stored_values(cycle, others, indicator_keys)
    out = {}
    for key in indicator_keys:
        own = own_values.get(key)
        own_value = own.value if own is not None and own.status == "ok" else None
        present = stored.get(key, []) + ([own_value] if own_value is not None else [])
        out[key] = {"summary": methods.quartiles(present), "own": own_value, "values": sorted(present),
                    "own_low": own.low if own_value is not None and own.kind == "evidence" else None,
                    "own_high": own.high if own_value is not None and own.kind == "evidence" else None,
                    "own_proxy": bool(own is not None and own.kind == "numeric" and own.hits)}
    return {"label": label, "name": name, "size": len(member_ids), "indicators": out,
            "computed": 1 + len(compute.cities_with_values(cycle, others))}


def city_dashboard(city, cycle, locale: str = "en", breakdown: str = "type") -> dict:
    indicator_set = defs.set_for_cycle(cycle)
    method = defs.method_settings(indicator_set)
    definitions = defs.definitions_for(indicator_set, city.id)
    by_key = {d["id"]: d for d in definitions}
    cycles = [c for c in compute.cycles_of_city(city) if c.state != "draft" or c.id == cycle.id]
    if cycle.id not in {c.id for c in cycles}:
        cycles.append(cycle)
    by_cycle = compute.refresh_city(cycles, city.id)
    values = by_cycle.get(cycle.id, {})
    evidence = evidence_data.load(cycle.id, [city.id]).get(city.id) or evidence_data.CityEvidence()
    version = cycle.rubric_version
    own_levels = scores.self_levels(cycle.id, [city.id]).get(city.id, {}) if version is not None else {}
    peer_levels = scores.peer_levels(cycle.id, [city.id]).get(city.id, {}) if version is not None else {}

    families = {f: [] for f in FAMILY_ORDER}
    for definition in definitions:
        row = values.get(definition["id"])
        entry = {"definition": definition, "value": _value_dict(row), "kind": compute.kind_of(definition)}
        if entry["kind"] == "evidence" and version is not None:
            rubric = scores.criteria_value(definition, version, own_levels)
            entry["rubric"] = rubric if rubric["criteria"] else None
        families.setdefault(definition.get("family", "context"), []).append(entry)

    numeric_rows = _numeric_rows(cycle, city, [d for d in definitions if compute.kind_of(d) == "numeric"], values)
    evidence_keys = [d["id"] for d in definitions if compute.kind_of(d) == "evidence"]
    return {
        "city": city, "cycle": cycle, "set": indicator_set, "method": method, "definitions": by_key,
        "families": families,
        "sections": scores.section_scores(version, own_levels, peer_levels) if version is not None else [],
        "coverage": coverage.voice(evidence.items, float(method["thin_voice_share"])),
        "coded_items": len(evidence.coded), "item_count": len(evidence.items),
        "breakdown": breakdown_table(definitions, evidence, method, breakdown),
        "numeric": numeric_rows,
        "cycles": cycles,
        "trends": trends(city, cycles, [d["id"] for d in definitions], by_cycle),
        "previous": previous_cycle(cycles, cycle),
        "recommendations": recommendations_followup(city, previous_cycle(cycles, cycle)),
        "peer": peer_distribution(cycle, city, evidence_keys + [d["id"] for d in definitions
                                                                 if compute.kind_of(d) == "numeric"], values),
    }


def _numeric_rows(cycle, city, numeric_definitions, values) -> list[dict]:
    entries = compute.numeric_values(cycle, [city.id])
    rows = []
    for definition in numeric_definitions:
        entry = entries.get((city.id, definition["id"]))
        rows.append({"definition": definition, "entry": entry, "value": _value_dict(values.get(definition["id"]))})
    return rows


BREAKDOWNS = ("type", "area", "gender", "age_group", "group")


def breakdown_table(definitions, evidence, method, kind: str) -> dict:
    """Evidence-derived indicators within each category of one breakdown (type, area, gender, age group or
    vulnerable group): {"kind", "categories": [...], "rows": [{"definition", "cells": {category: share}}]}."""
    if kind not in BREAKDOWNS:
        kind = "type"
    categories = evidence_data.breakdown_keys(evidence)[kind]
    rows = []
    subsets = {c: evidence_data.items_in(evidence, f"{kind}:{c}") for c in categories}
    for definition in definitions:
        if compute.kind_of(definition) != "evidence":
            continue
        rows.append({"definition": definition, "cells": {
            c: evidence_data.evidence_value(definition, evidence, method, subsets[c]) for c in categories}})
    return {"kind": kind, "categories": categories, "rows": rows}
