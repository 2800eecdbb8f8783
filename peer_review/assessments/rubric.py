"""The parts of a pinned rubric version a self-assessment shows: levels with their descriptors, per criterion.

Rubric files give the scale once (level numbers and names) and each criterion's descriptors as a list of
``{"level": n, "descriptor": {...}}`` (the schema in peer_review/rubrics/schema.json checks it).
"""
from __future__ import annotations

from ..rubrics import content


def levels(version) -> list[int]:
    return [int(step["level"]) for step in content.scale(version)]


def level_name(version, level: int | None, locale: str = "en") -> str:
    for step in content.scale(version):
        if int(step["level"]) == level:
            return content.text(step["name"], locale)
    return "" if level is None else str(level)


def descriptors(criterion: dict, version, locale: str = "en") -> list[dict]:
    """Every level of the scale with its name and this criterion's descriptor, in scale order."""
    by_level = {int(entry["level"]): entry["descriptor"] for entry in criterion.get("levels", [])}
    return [{"level": int(step["level"]), "name": content.text(step["name"], locale),
             "descriptor": content.text(by_level.get(int(step["level"])), locale)}
            for step in content.scale(version)]


def as_list(value, locale: str = "en") -> list[str]:
    """Evidence expected and proxies, as the list the page shows (empty when the criterion has none)."""
    return [content.text(value, locale)] if value else []


def section(version, section_id: str) -> dict | None:
    return next((s for s in content.sections(version) if s["id"] == section_id), None)


def criterion_ids(version) -> list[str]:
    return [c["id"] for c in content.criteria(version)]
