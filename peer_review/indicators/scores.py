"""Quantitative scores from rubric levels: per section and overall, the city's own (submitted self-assessment) and
its peers' (released reviews, averaged over reviewer cities), side by side with the gap; and the criterion-based
indicator values (mean self-assessed level on the criteria an indicator reads).

A score is the mean level of the answered criteria over the scale's top level, × 100; "not applicable" and
unanswered criteria are left out and counted, never read as zero.
"""
from __future__ import annotations

from collections import defaultdict

from ..assessments.models import SUBMITTED, Answer, Assessment
from ..extensions import db
from ..reviews.models import Review, ReviewAnswer
from ..rubrics import content


def top_level(version) -> int:
    levels = [int(s["level"]) for s in content.scale(version)] or [4]
    return max(levels)


def self_levels(cycle_id: int, city_ids) -> dict[int, dict[str, int]]:
    """{city: {criterion: level}} from submitted self-assessments."""
    rows = db.session.execute(
        db.select(Assessment.city_id, Answer.criterion_id, Answer.level).join(Answer, Answer.assessment_id == Assessment.id)
        .filter(Assessment.cycle_id == cycle_id, Assessment.city_id.in_(list(city_ids)), Assessment.state == SUBMITTED,
                Answer.level.is_not(None), Answer.not_applicable.is_(False)))
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for city_id, criterion, level in rows:
        out[city_id][criterion] = int(level)
    return out


def peer_levels(cycle_id: int, city_ids) -> dict[int, dict[str, float]]:
    """{city: {criterion: mean level}} over the released reviews of the city (each reviewer city counts once)."""
    rows = db.session.execute(
        db.select(Review.reviewed_city_id, ReviewAnswer.criterion_id, ReviewAnswer.level)
        .join(ReviewAnswer, ReviewAnswer.review_id == Review.id)
        .filter(Review.cycle_id == cycle_id, Review.reviewed_city_id.in_(list(city_ids)),
                Review.released_at.is_not(None), ReviewAnswer.level.is_not(None)))
    gathered: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for city_id, criterion, level in rows:
        gathered[city_id][criterion].append(int(level))
    return {city: {c: sum(v) / len(v) for c, v in crits.items()} for city, crits in gathered.items()}


def _score(levels: list[float], top: int) -> float | None:
    return None if not levels else sum(levels) / len(levels) / top * 100


def section_scores(version, own: dict[str, float], peer: dict[str, float]) -> list[dict]:
    """One row per section (rubric order) and an "overall" row: self and peer score (0–100), gap (peer − self),
    and how many criteria each rests on."""
    top = top_level(version)
    rows = []
    all_self, all_peer, total = [], [], 0
    for section in content.sections(version):
        ids = [c["id"] for c in section.get("criteria", [])]
        s = [own[c] for c in ids if c in own]
        p = [peer[c] for c in ids if c in peer]
        all_self += s
        all_peer += p
        total += len(ids)
        rows.append(_row(section["id"], section.get("title"), s, p, len(ids), top))
    rows.append(_row("overall", None, all_self, all_peer, total, top))
    return rows


def _row(key, title, s, p, total, top) -> dict:
    self_score, peer_score = _score(s, top), _score(p, top)
    return {"section": key, "title": title, "self": self_score, "peer": peer_score,
            "gap": None if self_score is None or peer_score is None else peer_score - self_score,
            "self_n": len(s), "peer_n": len(p), "criteria": total}


def criteria_for(definition: dict, version) -> list[str]:
    """The criteria an indicator reads: those it lists and those whose ``indicator`` names it."""
    listed = list(definition.get("criteria") or [])
    named = [c["id"] for c in content.criteria(version) if c.get("indicator") == definition["id"]]
    return listed + [c for c in named if c not in listed]


def criteria_value(definition: dict, version, own: dict[str, float]) -> dict:
    """Mean self-assessed level on the indicator's criteria (value on the rubric's scale)."""
    ids = criteria_for(definition, version)
    levels = [own[c] for c in ids if c in own]
    if not levels:
        return {"value": None, "low": None, "high": None, "n": 0, "hits": 0, "status": "missing", "criteria": ids}
    return {"value": sum(levels) / len(levels), "low": min(levels), "high": max(levels), "n": len(levels),
            "hits": 0, "status": "ok", "criteria": ids}
