"""Indicator definitions: read and check ``rubrics/indicators/<version>.yaml``, store each version frozen, pin one
to a cycle, add a city's local indicators, and hash the method and definition behind every computed value.

No Flask here beyond the database session: tests and the benchmark call these functions directly.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..extensions import db
from ..rubrics.files import canonical_json, load_yaml, version_key
from .models import IndicatorSet, LocalIndicator

#: Bumped whenever the computation in ``methods.py`` or ``compute.py`` changes meaning: it is part of every
#: value's method hash, so a trend shows a break where the method changed.
METHOD_VERSION = "2026.12-1"

LANGS = ("en", "es", "fr")
FAMILIES = ("process", "culture", "context", "quantitative")
DIRECTIONS = ("more", "less")
TIERS = ("core", "second", "local")
UNITS = ("share_of_items", "level", "per_100k", "percent", "count", "ratio")
DEFAULT_METHOD = {"min_items": 5, "interval": "wilson", "confidence": 0.95, "bootstrap_samples": 1000,
                  "thin_voice_share": 0.1}


def default_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "rubrics" / "indicators"


def _texts_problems(value, where: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where}: give a text for each of en, es, fr"]
    return [f"{where}.{lang}: missing or empty" for lang in LANGS
            if not isinstance(value.get(lang), str) or not value.get(lang).strip()]


def check_indicator(ind, where: str, known_codes: set[str] | None = None, local: bool = False) -> list[str]:
    """Problems with one indicator definition, each as "where: message"."""
    if not isinstance(ind, dict):
        return [f"{where}: an indicator is a mapping"]
    problems = []
    key = ind.get("id")
    if not isinstance(key, str) or not key or not all(c.islower() or c.isdigit() or c == "_" for c in key):
        problems.append(f"{where}.id: lower-case letters, digits and underscores")
    problems += _texts_problems(ind.get("name"), f"{where}.name")
    problems += _texts_problems(ind.get("definition"), f"{where}.definition")
    for field, allowed in (("family", FAMILIES), ("direction", DIRECTIONS), ("tier", TIERS), ("unit", UNITS)):
        if ind.get(field) not in allowed:
            problems.append(f"{where}.{field}: one of {', '.join(allowed)}")
    if local and ind.get("tier") != "local":
        problems.append(f"{where}.tier: a city's own indicator is local")
    if not local and ind.get("tier") == "local":
        problems.append(f"{where}.tier: local indicators belong to one city, not the network's file")
    codes = ind.get("codes") or []
    criteria = ind.get("criteria")
    if not isinstance(codes, list) or not all(isinstance(c, str) and c.strip("-") for c in codes):
        problems.append(f"{where}.codes: a list of code ids")
    elif known_codes is not None:
        problems += [f"{where}.codes: unknown code {c.lstrip('-')!r}" for c in codes
                     if c.lstrip("-") not in known_codes]
    if criteria is not None and (not isinstance(criteria, list) or not all(isinstance(c, str) for c in criteria)):
        problems.append(f"{where}.criteria: a list of criterion ids")
    if not codes and criteria is None and not ind.get("numeric"):
        problems.append(f"{where}: say what it draws on (codes, criteria or numeric: true)")
    if codes and all(c.startswith("-") for c in codes):
        problems.append(f"{where}.codes: at least one code must count for it")
    goal = ind.get("goalposts")
    if not isinstance(goal, dict) or not all(isinstance(goal.get(k), (int, float)) for k in ("low", "high")):
        problems.append(f"{where}.goalposts: numbers low and high")
    elif goal["high"] <= goal["low"]:
        problems.append(f"{where}.goalposts: high must be above low")
    rng = ind.get("range")
    if rng is not None and (not isinstance(rng, dict) or not all(isinstance(rng.get(k), (int, float))
                                                                 for k in ("min", "max")) or rng["max"] < rng["min"]):
        problems.append(f"{where}.range: numbers min ≤ max")
    weight = ind.get("weight", 1)
    if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight < 0:
        problems.append(f"{where}.weight: a number zero or above")
    if ind.get("proxies") is not None:
        problems += _texts_problems(ind.get("proxies"), f"{where}.proxies")
    return problems


def check_set(data, known_codes: set[str] | None = None, file: str = "(indicators)") -> list[str]:
    if not isinstance(data, dict):
        return [f"{file}: the file is a mapping with version, title, method and indicators"]
    problems = []
    if not isinstance(data.get("version"), str):
        problems.append(f"{file}: version: give it in quotes, as text")
    problems += _texts_problems(data.get("title"), f"{file}: title")
    method = data.get("method", {})
    if not isinstance(method, dict):
        problems.append(f"{file}: method: a mapping")
    else:
        if not isinstance(method.get("min_items", 5), int) or method.get("min_items", 5) < 1:
            problems.append(f"{file}: method.min_items: a whole number, at least 1")
        if method.get("interval", "wilson") not in ("wilson", "jeffreys"):
            problems.append(f"{file}: method.interval: wilson or jeffreys")
        if not 0.5 <= float(method.get("confidence", 0.95)) < 1:
            problems.append(f"{file}: method.confidence: between 0.5 and 1")
    indicators = data.get("indicators")
    if not isinstance(indicators, list) or not indicators:
        return problems + [f"{file}: indicators: a list of at least one"]
    seen = set()
    for n, ind in enumerate(indicators):
        problems += [f"{file}: {p}" for p in check_indicator(ind, f"indicators[{n}]", known_codes)]
        key = ind.get("id") if isinstance(ind, dict) else None
        if key in seen:
            problems.append(f"{file}: indicators[{n}].id: {key!r} appears twice")
        seen.add(key)
    return problems


def known_code_keys() -> set[str]:
    from ..coding.models import Code
    return set(db.session.execute(db.select(Code.key)).scalars())


def content_hash(data) -> str:
    return hashlib.sha256(canonical_json(data)).hexdigest()


def read_file(path) -> tuple[dict | None, list[str]]:
    data, problems = load_yaml(path)
    if problems:
        return None, [str(p) for p in problems]
    return data, []


def load_files(directory=None, user=None) -> tuple[list[IndicatorSet], list[str]]:
    """Check every ``<version>.yaml`` and store new versions (frozen: different content under a stored version is
    refused). Returns the stored sets, oldest first, and the problems (nothing is stored if there are any)."""
    directory = Path(directory or default_dir())
    files = sorted((p for p in directory.glob("*.yaml") if not p.name.startswith(("_", "part"))),
                   key=lambda p: version_key(p.stem))
    codes = known_code_keys() or None  # before the codebook is loaded, codes are not checked here
    parsed, problems = [], []
    for path in files:
        data, file_problems = read_file(path)
        if file_problems:
            problems += file_problems
            continue
        file_problems = check_set(data, codes, path.name)
        if not file_problems and data["version"] != path.stem:
            file_problems = [f"{path.name}: version {data['version']!r} does not match the file's name"]
        problems += file_problems
        parsed.append((path, data))
    if problems:
        return [], problems
    stored = []
    previous = None
    for path, data in parsed:
        digest = content_hash(data)
        existing = db.session.execute(db.select(IndicatorSet).filter_by(version=data["version"])).scalar()
        if existing is not None:
            if existing.content_hash != digest:
                return [], [f"{path.name}: version {data['version']} is stored with different content; "
                            "copy it to a new version number instead of editing it"]
            stored.append(existing)
            previous = existing
            continue
        row = IndicatorSet(version=data["version"], content=data, content_hash=digest, source_path=str(path.name),
                           supersedes=previous, loaded_by_id=getattr(user, "id", None))
        db.session.add(row)
        stored.append(row)
        previous = row
    db.session.flush()
    return stored, []


def set_order(version: str) -> tuple:
    """"1.0" < "1.0+t1" (a tier decision on 1.0) < "1.0+t2" < "1.1" < "1.10"."""
    root, _, derived = version.partition("+t")
    return version_key(root), int(derived) if derived.isdigit() else 0


def latest_set() -> IndicatorSet | None:
    """The newest version: the highest number, then the latest tier decision on it."""
    rows = db.session.execute(db.select(IndicatorSet)).scalars().all()
    return max(rows, key=lambda r: (set_order(r.version), r.id)) if rows else None


def ensure_loaded() -> IndicatorSet | None:
    """The newest stored set, loading the files first when none is stored yet."""
    current = latest_set()
    if current is None:
        load_files()
        current = latest_set()
    return current


def set_for_cycle(cycle, pin: bool = True) -> IndicatorSet | None:
    """The set a cycle is computed with: its pinned one, else the newest (pinned now unless ``pin`` is False)."""
    if cycle.indicator_set_id is not None:
        return cycle.indicator_set
    current = ensure_loaded()
    if current is not None and pin:
        cycle.indicator_set = current
        db.session.flush()
    return current


def method_settings(indicator_set: IndicatorSet | None) -> dict:
    method = dict(DEFAULT_METHOD)
    method.update((indicator_set.content or {}).get("method", {}) if indicator_set is not None else {})
    return method


def local_indicators(city_id: int) -> list[dict]:
    rows = db.session.execute(db.select(LocalIndicator).filter_by(city_id=city_id, retired=False)
                              .order_by(LocalIndicator.key)).scalars()
    return [dict(r.content, id=r.key, tier="local") for r in rows]


def definitions_for(indicator_set: IndicatorSet | None, city_id: int | None = None) -> list[dict]:
    """The network's indicators of a set, plus the city's own local ones (never shown for other cities)."""
    out = list(indicator_set.indicators) if indicator_set is not None else []
    if city_id is not None:
        known = {d["id"] for d in out}
        out += [d for d in local_indicators(city_id) if d["id"] not in known]
    return out


def method_hash(definition: dict, method: dict, extra: dict | None = None) -> str:
    """SHA-256 of the method version, the method's settings, the indicator's own definition (without its
    translatable texts: a corrected translation does not change a value) and anything else the value rests on
    (the rubric version for criterion-based indicators)."""
    core = {k: v for k, v in definition.items() if k not in ("name", "definition", "proxies")}
    payload = {"method_version": METHOD_VERSION, "method": method, "definition": core, "extra": extra or {}}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
                          .encode("utf-8")).hexdigest()


def text(value: dict | None, locale: str = "en") -> str:
    value = value or {}
    return value.get(locale) or value.get("en") or ""


def derive_with_tiers(base: IndicatorSet, changes: dict[str, str], note: str, user=None) -> IndicatorSet:
    """A new set version from ``base`` with some indicators moved between tiers (a field-trial decision).
    The new version is "<base>+t<n>"; cycles already pinned keep theirs."""
    content = json.loads(json.dumps(base.content))
    for ind in content["indicators"]:
        if ind["id"] in changes:
            if changes[ind["id"]] not in ("core", "second"):
                raise ValueError(f"tier {changes[ind['id']]!r}: core or second")
            ind["tier"] = changes[ind["id"]]
    root = base.version.split("+")[0]
    n = 1 + sum(1 for v in db.session.execute(db.select(IndicatorSet.version)).scalars()
                if v.startswith(root + "+t"))
    content["version"] = f"{root}+t{n}"
    row = IndicatorSet(version=content["version"], content=content, content_hash=content_hash(content),
                       source_path=base.source_path, note=note, supersedes=base, loaded_by_id=getattr(user, "id", None))
    db.session.add(row)
    db.session.flush()
    return row
