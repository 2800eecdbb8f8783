"""What the cycle report adds about the network as a whole: timeliness against the cycle's due dates, the peer
groups (names and sizes, never one city's values), each indicator's spread across the cities (unnamed values)
and the common themes topic discovery found. Plain data for the snapshot."""
from __future__ import annotations

from ..assessments.models import Assessment
from ..coding.models import Code
from ..coding.nlp_models import Topic, TopicRun
from ..extensions import db
from ..indicators import compute, methods, network
from ..indicators import definitions as defs
from ..reviews.models import CityResponse, Review

MAX_THEMES = 8


def _on_time(times, due) -> dict:
    done = [t for t in times if t is not None]
    late = sum(1 for t in done if due is not None and t.date() > due)
    return {"expected": len(times), "done": len(done), "late": late, "due": due.isoformat() if due else None}


def _due(cycle, key: str):
    phase = cycle.phase_dates(key)
    return phase.due_on if phase is not None else None


def timeliness(cycle) -> list[dict]:
    """Per phase with work to hand in: how many were expected, handed in, and handed in after the due date."""
    city_ids = [c.id for c in cycle.cities]
    assessments = {a.city_id: a.submitted_at for a in db.session.execute(
        db.select(Assessment).filter(Assessment.cycle_id == cycle.id)).scalars()}
    reviews = db.session.execute(db.select(Review.submitted_at).filter(Review.cycle_id == cycle.id)).scalars().all()
    responses = {r.city_id: r.submitted_at for r in db.session.execute(
        db.select(CityResponse).filter(CityResponse.cycle_id == cycle.id)).scalars()}
    return [
        {"phase": "self_assessment", **_on_time([assessments.get(c) for c in city_ids],
                                                _due(cycle, "self_assessment"))},
        {"phase": "peer_review", **_on_time(list(reviews), _due(cycle, "peer_review"))},
        {"phase": "city_response", **_on_time([responses.get(c) for c in city_ids],
                                              _due(cycle, "city_response"))},
    ]


def peer_groups(cycle, locale: str) -> list[dict]:
    """The latest grouping's groups, named in the report's language (the names are composed from words)."""
    from flask_babel import force_locale

    from ..indicators import peergroup_service as service
    row = service.latest(cycle)
    if row is None:
        return []
    with force_locale(locale):
        labels = service.feature_labels(cycle, locale)
        return [{"label": g["label"], "name": g["name"], "size": len(g["members"])}
                for g in service.groups_of(row, labels)]


def indicator_spread(cycle, locale: str) -> list[dict]:
    """The network's comparable indicators with every city's value, unnamed and sorted, and their quartiles."""
    indicator_set = defs.set_for_cycle(cycle)
    if indicator_set is None:
        return []
    definitions = network.comparable_definitions(indicator_set)
    values = network.raw_values(compute.refresh(cycle), definitions)
    out = []
    for key, definition in definitions.items():
        present = sorted(round(v[key], 4) for v in values.values() if v.get(key) is not None)
        out.append({"id": key, "name": defs.text(definition.get("name"), locale), "kind": compute.kind_of(definition),
                    "unit": definition.get("unit") or "", "values": present,
                    "summary": methods.quartiles(present) if present else None})
    return out


def themes(cycle, locale: str) -> list[dict]:
    """The largest topics of the cycle's latest topic discovery run, with the code a facilitator mapped."""
    run = db.session.execute(db.select(TopicRun).filter_by(cycle_id=cycle.id)
                             .order_by(TopicRun.created_at.desc(), TopicRun.id.desc())).scalars().first()
    if run is None:
        return []
    topics = db.session.execute(db.select(Topic).filter(Topic.run_id == run.id, Topic.merged_into_id.is_(None))
                                ).scalars().all()
    topics.sort(key=lambda t: (-len(t.member_ids or []), t.number))
    names = {c.id: c for c in db.session.execute(db.select(Code)).scalars()}
    rows = []
    for topic in topics[:MAX_THEMES]:
        code = names.get(topic.mapped_code_id)
        rows.append({"label": topic.label, "size": len(topic.member_ids or []),
                     "words": [w[0] if isinstance(w, (list, tuple)) else w for w in (topic.words or [])][:6],
                     "languages": sorted((topic.languages or {}).keys()),
                     "code": ((code.labels or {}).get(locale) or (code.labels or {}).get("en") or code.key)
                     if code is not None else None})
    return rows
