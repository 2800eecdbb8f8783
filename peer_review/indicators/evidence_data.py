"""What the evidence-derived indicators read: a cycle's evidence items and the codes their counted codings carry
(sub-codes count for their parents), loaded in two queries for any number of cities, and the evidence value of one
indicator over a set of items.

Counted codings are those outside double-coding samples (single-coder codings and agreed ones), as everywhere
downstream. Items whose consent was withdrawn are left out of every figure.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func

from ..coding.models import Code, Coding
from ..evidence.models import EvidenceItem
from ..extensions import db
from . import methods


@dataclass(frozen=True)
class Item:
    id: int
    city_id: int
    type: str
    area: str
    gender: str
    age_group: str
    groups: tuple[str, ...]
    visibility: str
    title: str = ""


@dataclass
class CityEvidence:
    items: list[Item] = field(default_factory=list)
    codes: dict[int, frozenset[str]] = field(default_factory=dict)  # item id -> code keys (with ancestors)

    @property
    def coded(self) -> list[Item]:
        return [i for i in self.items if self.codes.get(i.id)]


def code_keys_with_ancestors() -> dict[int, frozenset[str]]:
    rows = db.session.execute(db.select(Code.id, Code.key, Code.parent_id)).all()
    key_of = {r.id: r.key for r in rows}
    parent_of = {r.id: r.parent_id for r in rows}
    out = {}
    for code_id in key_of:
        keys, seen, current = set(), set(), code_id
        while current is not None and current not in seen:
            seen.add(current)
            keys.add(key_of[current])
            current = parent_of.get(current)
        out[code_id] = frozenset(keys)
    return out


def load(cycle_id: int, city_ids=None) -> dict[int, CityEvidence]:
    """{city_id: CityEvidence} for the cycle (every city with items when ``city_ids`` is None)."""
    stmt = db.select(EvidenceItem.id, EvidenceItem.city_id, EvidenceItem.type, EvidenceItem.area,
                     EvidenceItem.gender, EvidenceItem.age_group, EvidenceItem.vulnerable_groups,
                     EvidenceItem.visibility, EvidenceItem.title) \
        .filter(EvidenceItem.cycle_id == cycle_id, EvidenceItem.consent != "withdrawn")
    coding_stmt = db.select(Coding.item_id, Coding.code_id).join(EvidenceItem, EvidenceItem.id == Coding.item_id) \
        .filter(EvidenceItem.cycle_id == cycle_id, EvidenceItem.consent != "withdrawn",
                # Written so that SQLite starts from the items' index, not a scan of every coding without a sample.
                func.coalesce(Coding.sample_id, 0) == 0)
    if city_ids is not None:
        city_ids = list(city_ids)
        stmt = stmt.filter(EvidenceItem.city_id.in_(city_ids))
        coding_stmt = coding_stmt.filter(EvidenceItem.city_id.in_(city_ids))
    out: dict[int, CityEvidence] = {c: CityEvidence() for c in (city_ids or [])}
    city_of = {}
    for r in db.session.execute(stmt.order_by(EvidenceItem.id)):
        groups = tuple(g for g in (r.vulnerable_groups or "").split(";") if g)
        out.setdefault(r.city_id, CityEvidence()).items.append(
            Item(r.id, r.city_id, r.type, (r.area or "").strip(), r.gender, r.age_group, groups, r.visibility,
                 r.title))
        city_of[r.id] = r.city_id
    ancestry = code_keys_with_ancestors()
    gathered: dict[int, set[str]] = {}
    for item_id, code_id in db.session.execute(coding_stmt):
        gathered.setdefault(item_id, set()).update(ancestry.get(code_id, ()))
    for item_id, keys in gathered.items():
        city = city_of.get(item_id)
        if city is not None:
            out[city].codes[item_id] = frozenset(keys)
    return out


def coded_counts(cycle_id: int, city_ids) -> dict[int, int]:
    """{city: how many of its items in the cycle carry a counted coding}, counted in the database."""
    rows = db.session.execute(
        db.select(EvidenceItem.city_id, func.count(func.distinct(EvidenceItem.id)))
        .join(Coding, Coding.item_id == EvidenceItem.id)
        .filter(EvidenceItem.cycle_id == cycle_id, EvidenceItem.city_id.in_(list(city_ids)),
                EvidenceItem.consent != "withdrawn", func.coalesce(Coding.sample_id, 0) == 0)
        .group_by(EvidenceItem.city_id))
    return dict(rows.all())


def split_codes(definition: dict) -> tuple[set[str], set[str]]:
    codes = definition.get("codes") or []
    support = {c for c in codes if not c.startswith("-")}
    against = {c[1:] for c in codes if c.startswith("-")}
    return support, against


def classify(definition: dict, evidence: CityEvidence, items=None) -> dict[str, list[Item]]:
    """The coded items of ``items`` (default: all of the city's) sorted for one indicator: "hits" carry one of its
    codes and none counting against it; "against" carry one of its codes *and* one counting against it (so they do
    not count for it); "other" the rest of the coded items (the denominator's remainder)."""
    support, against = split_codes(definition)
    out = {"hits": [], "against": [], "other": []}
    for item in (evidence.items if items is None else items):
        keys = evidence.codes.get(item.id)
        if not keys:
            continue
        if keys & support:
            out["against" if keys & against else "hits"].append(item)
        else:
            out["other"].append(item)
    return out


def evidence_value(definition: dict, evidence: CityEvidence, method: dict, items=None) -> dict:
    """The share of coded items supporting the indicator, with interval and the minimum-evidence rule."""
    sorted_items = classify(definition, evidence, items)
    n = sum(len(v) for v in sorted_items.values())
    return methods.share(len(sorted_items["hits"]), n, int(method["min_items"]), method["interval"],
                         float(method["confidence"]))


def breakdown_keys(evidence: CityEvidence) -> dict[str, list[str]]:
    """The breakdowns the city's coded evidence allows: by type, area and the groups it speaks for."""
    coded = evidence.coded
    return {
        "type": sorted({i.type for i in coded}),
        "area": sorted({i.area for i in coded if i.area}),
        "gender": sorted({i.gender for i in coded if i.gender not in ("unspecified", "")}),
        "age_group": sorted({i.age_group for i in coded if i.age_group not in ("unspecified", "")}),
        "group": sorted({g for i in coded for g in i.groups if g != "none"}),
    }


def in_breakdown(item: Item, kind: str, value: str) -> bool:
    if kind == "group":
        return value in item.groups
    return getattr(item, kind, None) == value


def items_in(evidence: CityEvidence, breakdown: str | None) -> list[Item]:
    """The city's items within a breakdown written "kind:value" (all of them for None or "")."""
    if not breakdown:
        return list(evidence.items)
    kind, _, value = breakdown.partition(":")
    if kind not in ("type", "area", "gender", "age_group", "group"):
        raise ValueError(f"unknown breakdown {kind!r}")
    return [i for i in evidence.items if in_breakdown(i, kind, value)]
