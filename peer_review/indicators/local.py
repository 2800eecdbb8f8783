"""A city's own indicators (tier "local"): the same shape as a network definition, seen only by the city (and the
network's staff and facilitators), checked with ``definitions.check_indicator(..., local=True)``.

Spanish and French texts are optional: a missing one is filled with the English text before the check (the
pages say so), since every definition carries all three languages.
"""
from __future__ import annotations

from ..audit.operations import record
from ..errors import ValidationFailed
from ..extensions import db
from ..i18n import lazy_gettext as _l
from . import definitions
from .definitions import DIRECTIONS, FAMILIES, LANGS, UNITS
from .models import IndicatorSet, LocalIndicator

FIELDS = ("id", "name", "definition", "family", "direction", "codes", "numeric", "unit", "goalposts", "weight")


def network_keys() -> set[str]:
    """Every id the network's definitions use, in any stored version (a local id must never clash with one)."""
    keys = set()
    for content in db.session.execute(db.select(IndicatorSet.content)).scalars():
        keys |= {i.get("id") for i in (content or {}).get("indicators", []) if isinstance(i, dict)}
    if not keys:
        current = definitions.ensure_loaded()
        keys = {i["id"] for i in current.indicators} if current is not None else set()
    return keys


def _texts(value) -> dict:
    value = value if isinstance(value, dict) else {}
    english = (value.get("en") or "").strip() if isinstance(value.get("en"), str) else ""
    out = {"en": english}
    for lang in LANGS[1:]:
        given = value.get(lang)
        out[lang] = given.strip() if isinstance(given, str) and given.strip() else english
    return out


def _number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    try:
        return float(str(value).strip()) if value is not None and str(value).strip() else None
    except ValueError:
        return None


def build(data: dict, key: str) -> dict:
    """The stored definition from what was given (missing Spanish and French filled with the English)."""
    goal = data.get("goalposts") if isinstance(data.get("goalposts"), dict) else {}
    codes = data.get("codes") or []
    content = {
        "id": key, "name": _texts(data.get("name")), "definition": _texts(data.get("definition")),
        "family": data.get("family"), "direction": data.get("direction"), "tier": "local",
        "codes": [str(c) for c in codes] if isinstance(codes, list) else codes,
        "unit": data.get("unit"),
        "goalposts": {"low": _number(goal.get("low")), "high": _number(goal.get("high"))},
        "weight": 1 if data.get("weight") in (None, "") else _number(data.get("weight")),
    }
    if data.get("numeric"):
        content["numeric"] = True
    return content


def validate(content: dict, city_id: int, own_id: int | None = None) -> dict[str, list]:
    """Problems per form field (translated), then anything else ``check_indicator`` finds."""
    problems: dict[str, list] = {}
    key = content.get("id")
    if not isinstance(key, str) or not key or len(key) > 60 or \
            not all(c.islower() or c.isdigit() or c == "_" for c in key) or not key[0].isalpha():
        problems["id"] = [_l("Use lower-case letters, digits and underscores, starting with a letter "
                             "(60 characters at most)")]
    elif key in network_keys():
        problems["id"] = [_l("The network already has an indicator %(key)s: choose another id", key=key)]
    else:
        clash = db.session.execute(db.select(LocalIndicator.id).filter_by(city_id=city_id, key=key)).scalar()
        if clash is not None and clash != own_id:
            problems["id"] = [_l("Your city already has an indicator %(key)s", key=key)]
    for field, label in (("name", _l("Enter the name in English")),
                         ("definition", _l("Enter the definition in English"))):
        if not content[field]["en"]:
            problems[f"{field}_en"] = [label]
        for lang in LANGS:
            if len(content[field][lang]) > (200 if field == "name" else 3000):
                problems.setdefault(f"{field}_{lang}", []).append(_l("This text is too long"))
    for field, allowed, message in (("family", FAMILIES, _l("Choose the family")),
                                    ("direction", DIRECTIONS, _l("Choose which way is better")),
                                    ("unit", UNITS, _l("Choose the unit"))):
        if content.get(field) not in allowed:
            problems[field] = [message]
    known = definitions.known_code_keys()
    codes = content.get("codes")
    if not isinstance(codes, list):
        problems["codes"] = [_l("Choose codes from the codebook")]
    else:
        unknown = [c.lstrip("-") for c in codes if c.lstrip("-") not in known]
        if unknown:
            problems["codes"] = [_l("Not in the codebook: %(codes)s", codes=", ".join(unknown)[:200])]
        elif not content.get("numeric") and not any(not c.startswith("-") for c in codes):
            problems["codes"] = [_l("Choose at least one code that counts for it, or say it is reported as a "
                                    "number")]
    low, high = content["goalposts"]["low"], content["goalposts"]["high"]
    if low is None:
        problems["goal_low"] = [_l("Enter the low goalpost as a number")]
    if high is None:
        problems["goal_high"] = [_l("Enter the high goalpost as a number")]
    if low is not None and high is not None and high <= low:
        problems["goal_high"] = [_l("The high goalpost must be above the low one")]
    weight = content.get("weight")
    if weight is None or weight < 0:
        problems["weight"] = [_l("Enter a weight of zero or more")]
    if not problems:
        rest = definitions.check_indicator(content, "indicator", known, local=True)
        if rest:
            problems["form"] = rest
    return problems


def _save(row: LocalIndicator, content: dict) -> None:
    problems = validate(content, row.city_id, row.id)
    if problems:
        raise ValidationFailed(problems)
    row.content = content


def create_local(city, data: dict, user=None) -> LocalIndicator:
    content = build(data, (data.get("id") or "").strip() if isinstance(data.get("id"), str) else "")
    problems = validate(content, city.id)
    if problems:
        raise ValidationFailed(problems)
    row = LocalIndicator(city_id=city.id, key=content["id"], content=content, created_by_id=getattr(user, "id", None))
    db.session.add(row)
    db.session.flush()
    record("indicator.local_create", "local_indicator", row.id, actor=user, after=content,
           summary=f"Local indicator {content['id']} added for {city.name}")
    return row


def as_data(row: LocalIndicator) -> dict:
    """What ``build`` takes, from a stored indicator (for an edit that changes only some fields)."""
    content = dict(row.content)
    return {k: content.get(k) for k in FIELDS if k != "id"}


def update_local(row: LocalIndicator, data: dict, user=None) -> LocalIndicator:
    """Change a local indicator (its id stays: values already computed refer to it)."""
    if row.retired:
        raise ValidationFailed({"form": [_l("This indicator is retired")]})
    merged = as_data(row)
    merged.update({k: v for k, v in data.items() if k in FIELDS and k != "id"})
    if isinstance(data.get("id"), str) and data["id"] != row.key:
        raise ValidationFailed({"id": [_l("The id of an indicator cannot change")]})
    before = dict(row.content)
    _save(row, build(merged, row.key))
    db.session.flush()
    record("indicator.local_update", "local_indicator", row.id, actor=user, before=before, after=row.content,
           summary=f"Local indicator {row.key} of {row.city.name} changed")
    return row


def retire_local(row: LocalIndicator, user=None) -> LocalIndicator:
    """Retire a local indicator: no longer computed or shown among the city's indicators; kept for the record."""
    if not row.retired:
        row.retired = True
        db.session.flush()
        record("indicator.local_retire", "local_indicator", row.id, actor=user,
               summary=f"Local indicator {row.key} of {row.city.name} retired")
    return row


def of_city(city, include_retired: bool = True) -> list[LocalIndicator]:
    stmt = db.select(LocalIndicator).filter_by(city_id=city.id).order_by(LocalIndicator.retired, LocalIndicator.key)
    if not include_retired:
        stmt = stmt.filter_by(retired=False)
    return list(db.session.execute(stmt).scalars())


def out(row: LocalIndicator) -> dict:
    return {"id": row.id, "key": row.key, "city": row.city.slug, "retired": row.retired,
            "definition": dict(row.content), "created_at": row.created_at.isoformat() if row.created_at else None,
            "updated_at": row.updated_at.isoformat() if row.updated_at else None}
