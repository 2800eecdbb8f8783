"""The parts of a pinned rubric version a self-assessment shows: levels with their descriptors, per criterion.

Rubric files give the scale once (level numbers and names) and each criterion's descriptors per level; both a
list of ``{"level": n, "descriptor": {...}}`` and a mapping ``{"0": {...}}`` are read, so the page does not
depend on which of the two the rubric loader settles on.
"""
from __future__ import annotations

from ..rubrics import content


def levels(version) -> list[int]:
    return [int(step["level"]) for step in content.scale(version)]


def level_name(version, level: int | None, locale: str = "en") -> str:
    for step in content.scale(version):
        if int(step["level"]) == level:
            return content.text(step.get("name") or step.get("label"), locale)
    return "" if level is None else str(level)


def descriptors(criterion: dict, version, locale: str = "en") -> list[dict]:
    """Every level of the scale with its name and this criterion's descriptor, in scale order."""
    raw = criterion.get("levels") or criterion.get("descriptors") or {}
    by_level: dict[int, object] = {}
    if isinstance(raw, dict):
        by_level = {int(k): v for k, v in raw.items()}
    else:
        for entry in raw:
            by_level[int(entry["level"])] = entry.get("descriptor", entry.get("text"))
    out = []
    for step in content.scale(version):
        n = int(step["level"])
        out.append({"level": n, "name": content.text(step.get("name") or step.get("label"), locale),
                    "descriptor": content.text(by_level.get(n), locale)})
    return out


def as_list(value, locale: str = "en") -> list[str]:
    """Evidence expected and proxies: a list of texts, or one text."""
    if not value:
        return []
    if isinstance(value, list):
        return [content.text(v, locale) for v in value]
    return [content.text(value, locale)]


def section(version, section_id: str) -> dict | None:
    return next((s for s in content.sections(version) if s["id"] == section_id), None)


def criterion_ids(version) -> list[str]:
    return [c["id"] for c in content.criteria(version)]
