"""Reading a stored rubric version: its sections and criteria, a core version and its local extension merged.

The content is the rubric file as data (see rubrics/README.md for the format). Every text is a dict by language
(``{"en": ..., "es": ..., "fr": ...}``); ``text()`` picks the reader's language with English as the fallback.
"""
from __future__ import annotations

import copy


def text(value, locale: str = "en") -> str:
    if isinstance(value, dict):
        return value.get(locale) or value.get("en") or next(iter(value.values()), "")
    return value or ""


# A stored version never changes under its hash (a changed file is a new version), so the merge of a chain of
# versions is made once per process and shared: callers read it and never change it.
_MERGED: dict[tuple[str, ...], list[dict]] = {}


def _chain_key(version) -> tuple[str, ...] | None:
    key = []
    while version is not None:
        if not getattr(version, "content_hash", None):
            return None  # not stored yet: merge without keeping it
        key.append(version.content_hash)
        version = version.extends
    return tuple(key)


def sections(version) -> list[dict]:
    """The sections in order, each with its criteria in order. A version that ``extends`` another adds its
    criteria to the base's sections (a section id it shares) or as new sections after them. Read-only."""
    if version is None:
        return []
    key = _chain_key(version)
    if key is not None and key in _MERGED:
        return _MERGED[key]
    merged = _merge(version)
    if key is not None:
        _MERGED[key] = merged
    return merged


def _merge(version) -> list[dict]:
    merged = copy.deepcopy(sections(version.extends)) if version.extends is not None else []
    by_id = {s["id"]: s for s in merged}
    for section in (version.content or {}).get("sections", []):
        if section["id"] in by_id:
            by_id[section["id"]].setdefault("criteria", []).extend(copy.deepcopy(section.get("criteria", [])))
        else:
            merged.append(copy.deepcopy(section))
            by_id[section["id"]] = merged[-1]
    return merged


def criteria(version) -> list[dict]:
    """Every criterion in order, each with the id of its section under ``section``."""
    return [dict(c, section=s["id"]) for s in sections(version) for c in s.get("criteria", [])]


def scale(version) -> list[dict]:
    """The maturity scale's levels (level number and name), from the version or the one it extends."""
    while version is not None:
        if (version.content or {}).get("scale"):
            return version.content["scale"]
        version = version.extends
    return []
