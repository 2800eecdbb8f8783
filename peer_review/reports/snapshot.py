"""Everything a report shows, gathered into one plain, JSON-serialisable dict.

Publishing stores this dict with the revision; rendering reads only it (never the database), so the same
snapshot always renders to the same bytes. Rubric texts are resolved in the report's language here; words of the
template itself (headings, labels) come from the translations when rendering. No "now" anywhere: the report's
date is the latest date in its data.
"""
from __future__ import annotations

import hashlib
import json

from ..assessments import rubric as arubric
from ..assessments.models import Assessment
from ..extensions import db
from ..reviews import responses as rops
from ..rubrics import content
from . import network, safety

SCHEMA = 1


def canonical(snapshot: dict) -> bytes:
    return json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def snapshot_hash(snapshot: dict) -> str:
    return hashlib.sha256(canonical(snapshot)).hexdigest()


def _date(value) -> str | None:
    return value.date().isoformat() if hasattr(value, "date") else (value.isoformat() if value else None)


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(sum(values) / len(values), 2) if values else None


def _self_answer(answer, version, locale) -> dict:
    if answer is None:
        return {"level": None, "level_name": "", "not_applicable": False, "na_reason": "", "justification": ""}
    return {"level": answer.level, "level_name": arubric.level_name(version, answer.level, locale)
            if answer.level is not None else "", "not_applicable": bool(answer.not_applicable),
            "na_reason": answer.na_reason or "", "justification": answer.justification or ""}


def _response_item(item) -> dict | None:
    if item is None:
        return None
    return {"decision": item.decision, "comment": item.comment or "", "action": item.action or "",
            "owner": item.action_owner or "", "due": _date(item.action_due), "progress": item.progress,
            "progress_note": item.progress_note or ""}


def peer_review(cycle, city, locale: str = "en") -> dict:
    """The peer review report of ``city`` in ``cycle``: self and peer levels per criterion, the released
    reviews' strengths and recommendations, and the city's response to each."""
    version = cycle.rubric_version
    assessment = db.session.execute(db.select(Assessment).filter_by(city_id=city.id, cycle_id=cycle.id)
                                    ).scalar_one_or_none()
    if assessment is not None and assessment.rubric_version is not None:
        version = assessment.rubric_version
    own = {a.criterion_id: a for a in (assessment.answers if assessment is not None else [])}
    reviews = rops.released_reviews(cycle, city)
    peer_answers = [(r, {a.criterion_id: a for a in r.answers}) for r in reviews]
    response = rops.find(cycle, city)
    items = {i.recommendation_id: i for i in (response.items if response is not None else [])}

    titles = {}
    sections = []
    for section in content.sections(version):
        criteria = []
        for criterion in section.get("criteria", []):
            cid = criterion["id"]
            titles[cid] = content.text(criterion.get("title"), locale)
            peers = []
            for review, answers in peer_answers:
                a = answers.get(cid)
                if a is None:
                    continue
                peers.append({"reviewer": review.reviewer_city.name, "level": a.level,
                              "level_name": arubric.level_name(version, a.level, locale) if a.level is not None
                              else "", "agreement": a.agreement, "comment": a.comment or ""})
            mine = _self_answer(own.get(cid), version, locale)
            criteria.append({"id": cid, "title": titles[cid], "self": mine, "peers": peers,
                             "peer_mean": _mean(p["level"] for p in peers)})
        sections.append({"id": section["id"], "title": content.text(section.get("title"), locale),
                         "criteria": criteria,
                         "self_mean": _mean(c["self"]["level"] for c in criteria if not c["self"]["not_applicable"]),
                         "peer_mean": _mean(p["level"] for c in criteria for p in c["peers"])})

    review_rows = []
    dates = [assessment.submitted_at if assessment is not None else None]
    for review in reviews:
        dates.append(review.released_at)
        review_rows.append({
            "reviewer": review.reviewer_city.name, "released_on": _date(review.released_at),
            "strengths": [{"text": s.text, "good_practice": bool(s.good_practice),
                           "criteria": [c for c in (s.criterion_ids or []) if c in titles]}
                          for s in review.strengths],
            "recommendations": [{"id": r.id, "text": r.text, "priority": r.priority,
                                 "criteria": [c for c in (r.criterion_ids or []) if c in titles],
                                 "response": _response_item(items.get(r.id))}
                                for r in review.recommendations],
        })
    if response is not None and response.submitted_at is not None:
        dates.append(response.submitted_at)
    as_of = max((d for d in dates if d is not None), default=None)
    return {
        "schema": SCHEMA, "kind": "peer_review", "locale": locale,
        "as_of": _date(as_of) or _date(cycle.starts_on),
        "city": {"name": city.name, "slug": city.slug, "country": city.country},
        "cycle": {"id": cycle.id, "name": cycle.name, "starts_on": _date(cycle.starts_on),
                  "ends_on": _date(cycle.ends_on)},
        "rubric": {"label": f"{version.rubric_id} {version.version}" if version is not None else "",
                   "title": content.text(version.title, locale) if version is not None else "",
                   "hash": version.content_hash if version is not None else None},
        "scale": [{"level": int(s["level"]), "name": content.text(s["name"], locale)}
                  for s in content.scale(version)],
        "assessment": {"state": assessment.state if assessment is not None else None,
                       "submitted_on": _date(assessment.submitted_at) if assessment is not None else None},
        "titles": titles,
        "sections": sections,
        "reviews": review_rows,
        "response": None if response is None else {"state": response.state,
                                                   "submitted_on": _date(response.submitted_at)},
    }


def cycle_report(cycle, locale: str = "en") -> dict:
    """The network's cycle report: taking part, mean levels by section across the cities (no city's own
    scores), recommendations by priority and the cities' decisions, and the good practices reviewers saw."""
    per_city = [peer_review(cycle, city, locale) for city in cycle.cities]
    sections = []
    by_id = [{s["id"]: s for s in c["sections"]} for c in per_city]
    for section in per_city[0]["sections"] if per_city else []:
        found = [c[section["id"]] for c in by_id if section["id"] in c]
        selfs = [s["self_mean"] for s in found if s["self_mean"] is not None]
        peers = [s["peer_mean"] for s in found if s["peer_mean"] is not None]
        sections.append({"id": section["id"], "title": section["title"], "self_mean": _mean(selfs),
                         "peer_mean": _mean(peers), "cities": len(selfs)})
    priorities, decisions, practices = {}, {}, []
    for city, data in zip(cycle.cities, per_city):
        for review in data["reviews"]:
            for rec in review["recommendations"]:
                priorities[rec["priority"]] = priorities.get(rec["priority"], 0) + 1
                decision = (rec["response"] or {}).get("decision") or "none"
                decisions[decision] = decisions.get(decision, 0) + 1
            practices += [{"city": city.name, "text": s["text"]} for s in review["strengths"] if s["good_practice"]]
    dates = [d["as_of"] for d in per_city if d["as_of"]]
    return {
        "schema": SCHEMA, "kind": "cycle", "locale": locale, "as_of": max(dates, default=_date(cycle.starts_on)),
        "cycle": {"id": cycle.id, "name": cycle.name, "starts_on": _date(cycle.starts_on),
                  "ends_on": _date(cycle.ends_on)},
        "rubric": per_city[0]["rubric"] if per_city else {"label": "", "title": "", "hash": None},
        "cities": [{"name": c.name, "country": c.country, "submitted": d["assessment"]["state"] == "submitted",
                    "reviews": len(d["reviews"])} for c, d in zip(cycle.cities, per_city)],
        "sections": sections, "priorities": priorities, "decisions": decisions, "good_practices": practices,
        "timeliness": network.timeliness(cycle), "peer_groups": network.peer_groups(cycle, locale),
        "indicators": network.indicator_spread(cycle, locale), "themes": network.themes(cycle, locale),
    }


def build(report) -> dict:
    if report.kind == "peer_review":
        return peer_review(report.cycle, report.city, report.locale)
    if report.kind == "cycle":
        return cycle_report(report.cycle, report.locale)
    if report.kind == "state_of_safety":
        return safety.state_of_safety(report.cycle, report.city, report.locale)
    raise ValueError(f"unknown report kind {report.kind!r}")
