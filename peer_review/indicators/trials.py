"""Field trials: in each cycle every city rates every network indicator (1 poor to 5 good) on ease of collection,
universality, relevance and credibility; the secretariat reads the ratings per indicator and region and moves
indicators between the core and the second tier, which makes a new version of the definitions.

The summary is per indicator, never per city: cities are never ordered by their ratings (comments are listed in
the order of the cities' names). No Flask here beyond the database session.
"""
from __future__ import annotations

from ..audit.operations import record
from ..cities.models import REGIONS, City
from ..errors import ValidationFailed
from ..extensions import db
from ..i18n import lazy_gettext as _l
from . import definitions
from .models import RATING_CRITERIA, FieldTrialRating, IndicatorSet

CRITERIA_LABELS = {
    "ease": _l("Ease of collection"),
    "universality": _l("Universality"),
    "relevance": _l("Relevance"),
    "credibility": _l("Credibility"),
}
MAX_COMMENT = 2000


def cycle_set(cycle, pin: bool = False) -> IndicatorSet | None:
    """The definitions a cycle's field trial rates: the cycle's pinned set (else the newest, pinned when ``pin``)."""
    return definitions.set_for_cycle(cycle, pin=pin)


def network_indicators(cycle) -> list[dict]:
    indicator_set = cycle_set(cycle)
    return list(indicator_set.indicators) if indicator_set is not None else []


def _rating_value(value, key: str, criterion: str, problems: dict) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    else:
        number = None
    if number is None or not 1 <= number <= 5:
        problems.setdefault(f"{key}__{criterion}", []).append(_l("Choose a rating from 1 to 5, or leave it blank"))
        return None
    return number


def clean_ratings(cycle, ratings) -> dict[str, dict]:
    """Check ``{indicator key: {criterion: 1..5 or blank, "comment": text}}``; raise ValidationFailed with one
    entry per field (``<key>__<criterion>``) that is wrong."""
    if not isinstance(ratings, dict):
        raise ValidationFailed({"ratings": [_l("Give the ratings as a mapping of indicator to ratings")]})
    known = {ind["id"] for ind in network_indicators(cycle)}
    problems: dict[str, list] = {}
    cleaned = {}
    for key, cell in ratings.items():
        if key not in known:
            problems.setdefault(str(key)[:60], []).append(_l("Not an indicator of this cycle"))
            continue
        if not isinstance(cell, dict):
            problems.setdefault(key, []).append(_l("Give the ratings of an indicator as a mapping"))
            continue
        unknown = set(cell) - set(RATING_CRITERIA) - {"comment"}
        for name in sorted(unknown):
            problems.setdefault(f"{key}__{str(name)[:40]}", []).append(_l("Not a field-trial criterion"))
        out = {c: _rating_value(cell.get(c), key, c, problems) for c in RATING_CRITERIA}
        comment = cell.get("comment") or ""
        if not isinstance(comment, str):
            problems.setdefault(f"{key}__comment", []).append(_l("A comment is text"))
            comment = ""
        elif len(comment) > MAX_COMMENT:
            problems.setdefault(f"{key}__comment", []).append(_l("Must be 2,000 characters or fewer"))
        out["comment"] = comment.strip()
        cleaned[key] = out
    if problems:
        raise ValidationFailed(problems)
    return cleaned


def _state(row: FieldTrialRating | None) -> dict:
    if row is None:
        return {c: None for c in RATING_CRITERIA} | {"comment": ""}
    return {c: getattr(row, c) for c in RATING_CRITERIA} | {"comment": row.comment or ""}


def _rows(cycle_id: int, city_id: int | None = None) -> list[FieldTrialRating]:
    stmt = db.select(FieldTrialRating).filter_by(cycle_id=cycle_id)
    if city_id is not None:
        stmt = stmt.filter_by(city_id=city_id)
    return list(db.session.execute(stmt).scalars())


def ratings_of(cycle, city) -> dict[str, dict]:
    """A city's ratings in a cycle: ``{indicator key: {criterion: value or None, "comment": text}}``."""
    return {r.indicator_key: _state(r) for r in _rows(cycle.id, city.id)}


def save_ratings(cycle, city, ratings, user=None) -> int:
    """Save a city's ratings (each indicator's cell created or replaced; a blank clears a value). Pins the cycle
    to its definitions. Returns how many cells changed; one audit entry records them."""
    cleaned = clean_ratings(cycle, ratings)
    cycle_set(cycle, pin=True)
    existing = {r.indicator_key: r for r in _rows(cycle.id, city.id)}
    before, after = {}, {}
    for key, cell in cleaned.items():
        row = existing.get(key)
        old = _state(row)
        if old == cell:
            continue
        if row is None:
            row = FieldTrialRating(cycle_id=cycle.id, city_id=city.id, indicator_key=key)
            db.session.add(row)
        for name, value in cell.items():
            setattr(row, name, value)
        row.rated_by_id = getattr(user, "id", None)
        before[key], after[key] = old, cell
    if after:
        db.session.flush()
        record("trial.rate", "city", city.id, actor=user, before=before, after=after,
               summary=f"Field-trial ratings of {city.name} in {cycle.name}: {len(after)} indicator(s)")
    return len(after)


# --- The summary ---------------------------------------------------------------------------------------------

def _stats(values: list[int]) -> dict:
    dist = {str(n): values.count(n) for n in range(1, 6)}
    return {"n": len(values), "mean": round(sum(values) / len(values), 2) if values else None,
            "distribution": dist}


def _block(rows: list[FieldTrialRating]) -> dict:
    rated = [r for r in rows if any(getattr(r, c) is not None for c in RATING_CRITERIA)]
    criteria = {c: _stats([getattr(r, c) for r in rows if getattr(r, c) is not None]) for c in RATING_CRITERIA}
    every = [getattr(r, c) for r in rows for c in RATING_CRITERIA if getattr(r, c) is not None]
    return {"cities": len({r.city_id for r in rated}), "criteria": criteria,
            "overall": {"n": len(every), "mean": round(sum(every) / len(every), 2) if every else None}}


def summary(cycle, by_region: bool = True, region: str | None = None) -> dict:
    """Per indicator of the cycle's set: how many cities rated it, and per criterion the mean and the counts of
    1..5, for the whole network (or one ``region``) and per region; the comments, by city name."""
    indicator_set = cycle_set(cycle)
    indicators = indicator_set.indicators if indicator_set is not None else []
    stmt = (db.select(FieldTrialRating, City).join(City, City.id == FieldTrialRating.city_id)
            .filter(FieldTrialRating.cycle_id == cycle.id))
    if region:
        stmt = stmt.filter(City.region == region)
    pairs = db.session.execute(stmt).all()
    by_key: dict[str, list] = {}
    for row, city in pairs:
        by_key.setdefault(row.indicator_key, []).append((row, city))
    regions = [k for k, _label in REGIONS]
    newest = newest_in_line(indicator_set)
    out = []
    for ind in indicators:
        cell = by_key.get(ind["id"], [])
        entry = {"id": ind["id"], "name": ind.get("name", {}), "definition": ind.get("definition", {}),
                 "family": ind.get("family"), "tier": ind.get("tier"),
                 "tier_now": (newest.get(ind["id"]) or {}).get("tier") if newest is not None else ind.get("tier")}
        entry.update(_block([r for r, _c in cell]))
        if by_region:
            entry["regions"] = {k: _block([r for r, c in cell if c.region == k]) for k in regions
                                if any(c.region == k for _r, c in cell)}
        entry["comments"] = [{"city": c.name, "region": c.region, "text": r.comment}
                             for r, c in sorted(cell, key=lambda rc: rc[1].name.casefold()) if r.comment]
        out.append(entry)
    return {"cycle": cycle.id, "set": indicator_set.version if indicator_set is not None else None,
            "newest": newest.version if newest is not None else None, "region": region or None,
            "cities_in_cycle": sum(1 for c in cycle.cities if not region or c.region == region), "criteria": list(RATING_CRITERIA), "indicators": out}


# --- Tier decisions -------------------------------------------------------------------------------------------

def newest_in_line(indicator_set: IndicatorSet | None) -> IndicatorSet | None:
    """The newest set derived (by tier decisions, one after another) from ``indicator_set``, or itself."""
    if indicator_set is None:
        return None
    rows = db.session.execute(db.select(IndicatorSet)).scalars().all()
    children: dict[int, list] = {}
    for row in rows:
        if row.supersedes_id is not None and row.note.startswith("Field trial"):
            children.setdefault(row.supersedes_id, []).append(row)
    current = indicator_set
    while children.get(current.id):
        current = max(children[current.id], key=lambda r: (r.loaded_at, r.id))
    return current


def decide_tiers(cycle, changes, reason: str, user=None) -> IndicatorSet:
    """Move indicators between the core and the second tier after the cycle's field trial: a new version of the
    definitions, derived from the newest decision on the cycle's set (so decisions add up). Cycles already
    pinned keep their set; the new version applies to cycles not yet pinned."""
    problems: dict[str, list] = {}
    reason = (reason or "").strip()
    if not reason:
        problems["reason"] = [_l("Say why the indicators move")]
    elif len(reason) > MAX_COMMENT:
        problems["reason"] = [_l("Must be 2,000 characters or fewer")]
    base = newest_in_line(cycle_set(cycle, pin=True))
    if base is None:
        raise ValidationFailed({"changes": [_l("No indicator definitions are loaded")]})
    if not isinstance(changes, dict):
        changes = {}
    moves = {}
    for key, tier in changes.items():
        current = base.get(key)
        if current is None:
            problems.setdefault("changes", []).append(_l("%(key)s is not a network indicator", key=str(key)[:60]))
        elif tier not in ("core", "second"):
            problems.setdefault("changes", []).append(_l("%(key)s: core or second tier", key=key))
        elif current.get("tier") != tier:
            moves[key] = tier
    if not moves and "changes" not in problems:
        problems["changes"] = [_l("Choose at least one indicator to move to the other tier")]
    if problems:
        raise ValidationFailed(problems)
    note = f"Field trial of {cycle.name}: " + ", ".join(
        f"{definitions.text(base.get(k).get('name'), 'en') or k} → {'core' if t == 'core' else 'second tier'}"
        for k, t in sorted(moves.items())) + f". {reason}"
    new = definitions.derive_with_tiers(base, moves, note[:2000], user)
    record("indicator.tiers", "indicator_set", new.id, actor=user,
           before={k: base.get(k)["tier"] for k in moves}, after=dict(moves),
           summary=f"Indicator tiers moved after the field trial of {cycle.name}: version {new.version}")
    return new


def decisions(cycle) -> list[IndicatorSet]:
    """The versions tier decisions made from the cycle's set, oldest first."""
    indicator_set = cycle_set(cycle)
    out = []
    current = indicator_set
    while current is not None:
        nxt = newest_in_line_step(current)
        if nxt is None:
            break
        out.append(nxt)
        current = nxt
    return out


def newest_in_line_step(indicator_set: IndicatorSet) -> IndicatorSet | None:
    rows = db.session.execute(db.select(IndicatorSet).filter_by(supersedes_id=indicator_set.id)).scalars().all()
    rows = [r for r in rows if r.note.startswith("Field trial")]
    return max(rows, key=lambda r: (r.loaded_at, r.id)) if rows else None
