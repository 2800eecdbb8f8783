"""Numeric indicators a city reports: validation, saving with history, the values a cycle counts, and import from
a spreadsheet. Plain functions the pages, the API and the tests call directly (no request needed).

- ``validate_entry`` checks one entry (indicator numeric and known, unit as defined, value finite and in range,
  period ordered, not in the future and at most five years long, source, disaggregation, proxy note, duplicates)
  and returns ``(clean, errors)``; nothing is saved.
- ``create_entry`` / ``update_entry`` / ``withdraw_entry`` save, each with a ``NumericEntryRevision`` and an audit
  entry. An update or withdrawal names the version it was based on: a stale one is a ``StaleVersion`` (never a
  silent overwrite). Entries linked to a closed cycle are read-only (``EntryLocked``).
- ``values_for_cycle`` is the whole-city value of each indicator that counts for a cycle, for many cities in one
  query; ``disaggregation`` the breakdown rows behind it.
- ``read_rows`` / ``check_rows`` / ``save_rows`` read a CSV or XLSX file, report every problem by row, and save
  the valid rows.
"""
from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import func, or_
from sqlalchemy.orm.exc import StaleDataError

from ..audit.operations import record
from ..errors import StaleVersion, ValidationFailed
from ..evidence import vocab
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..utils import strip_control
from .models import ENTRY_SOURCES, SEXES, NumericEntry, NumericEntryRevision

AGE_GROUPS = ("all",) + tuple(v for v, _label in vocab.AGE_GROUPS if v not in ("mixed", "unspecified"))
SEX_LABELS = {"all": _l("All sexes"), "female": _l("Female"), "male": _l("Male"), "other": _l("Other")}
AGE_LABELS = {"all": _l("All ages"), **{v: lbl for v, lbl in vocab.AGE_GROUPS}}
UNIT_LABELS = {"per_100k": _l("per 100,000 inhabitants"), "percent": _l("percent (%)"), "count": _l("count"),
               "ratio": _l("ratio"), "level": _l("level (0 to 4)"), "share_of_items": _l("share of evidence items")}
UNIT_ALIASES = {"%": "percent", "pct": "percent", "per 100k": "per_100k", "per 100000": "per_100k",
                "per 100 000": "per_100k", "per 100,000": "per_100k", "per_100000": "per_100k"}
MAX_YEARS = 5
WINDOW_DAYS = 365  # an entry counts for a cycle when its period ends at most this long before the cycle starts
MAX_SOURCE, MAX_AREA, MAX_NOTE = 300, 120, 2000
FIELDS = ("indicator", "value", "unit", "period_start", "period_end", "source", "area", "sex", "age_group",
          "is_proxy", "proxy_note", "cycle_id")


class EntryLocked(Exception):
    """The entry belongs to a closed cycle: it can be read, not changed."""


def numeric_definitions(definitions: list[dict]) -> dict[str, dict]:
    return {d["id"]: d for d in definitions if d.get("numeric")}


UNIT_SHORT = {"per_100k": _l("per 100,000"), "percent": _l("%"), "count": "", "ratio": "",
              "level": _l("(level)"), "share_of_items": _l("(share of items)")}


def unit_label(unit: str) -> str:
    return str(UNIT_LABELS.get(unit, unit))


def unit_short(unit: str) -> str:
    """The unit as it follows a value in a table ("7.4 per 100,000", "41 %")."""
    return str(UNIT_SHORT.get(unit, unit))


# --- Reading values -------------------------------------------------------------------------------------------

def _text(value, limit: int) -> str:
    text = strip_control(str(value if value is not None else "")) or ""
    return " ".join(text.split())[:limit + 1] if limit < 1000 else text.strip()[:limit + 1]


def parse_number(raw):
    """A finite float from a number or a text ("12.5", "12,5", " 3 "); None when it is not one."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        number = float(raw)
    else:
        text = str(raw or "").strip().replace("\u00a0", "").replace(" ", "")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        if not text or len(text) > 40:
            return None
        try:
            number = float(text)
        except ValueError:
            return None
    return number if math.isfinite(number) else None


def parse_date(raw):
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = str(raw or "").strip()[:10]
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def parse_bool(raw) -> bool | None:
    if isinstance(raw, bool):
        return raw
    text = str(raw if raw is not None else "").strip().casefold()
    if text in ("", "no", "n", "false", "0", "non", "falso"):
        return False
    if text in ("yes", "y", "true", "1", "x", "proxy", "sí", "si", "oui"):
        return True
    return None


def _years_later(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# --- Validation -----------------------------------------------------------------------------------------------

def find_duplicate(city_id: int, clean: dict, exclude_id: int | None = None) -> NumericEntry | None:
    stmt = db.select(NumericEntry).filter(
        NumericEntry.city_id == city_id, NumericEntry.indicator_key == clean["indicator"],
        NumericEntry.period_start == clean["period_start"], NumericEntry.period_end == clean["period_end"],
        func.lower(NumericEntry.area) == clean["area"].lower(), NumericEntry.sex == clean["sex"],
        NumericEntry.age_group == clean["age_group"], NumericEntry.withdrawn.is_(False))
    if exclude_id is not None:
        stmt = stmt.filter(NumericEntry.id != exclude_id)
    return db.session.execute(stmt.order_by(NumericEntry.id).limit(1)).scalar()


def duplicate_key(clean: dict) -> tuple:
    return (clean["indicator"], clean["period_start"], clean["period_end"], clean["area"].lower(), clean["sex"],
            clean["age_group"])


def validate_entry(data: dict, city, definitions: list[dict], *, exclude_id: int | None = None,
                   today: dt.date | None = None, check_duplicates: bool = True) -> tuple[dict, dict]:
    """Check one entry for ``city``. ``data`` holds FIELDS (texts or typed values); returns ``(clean, errors)``
    with errors as {field: [message]}. A duplicate is reported under "duplicate" and ``clean["duplicate_of"]``."""
    today = today or dt.date.today()
    errors: dict[str, list] = {}
    clean: dict = {}

    def fail(field, message):
        errors.setdefault(field, []).append(message)

    known = numeric_definitions(definitions)
    key = _text(data.get("indicator"), 60)
    definition = known.get(key)
    if not key:
        fail("indicator", _l("Choose the indicator"))
    elif definition is None:
        fail("indicator", _l("%(key)s is not an indicator reported as a number", key=key[:60]))
    clean["indicator"] = key

    raw_unit = _text(data.get("unit"), 40).casefold()
    unit = UNIT_ALIASES.get(raw_unit, raw_unit.replace(" ", "_"))
    clean["unit"] = unit
    if definition is not None:
        expected = definition.get("unit")
        if not unit:
            clean["unit"] = unit = expected  # the definition's unit when none is given
        elif unit != expected:
            fail("unit", _l("This indicator's unit is %(expected)s (write %(code)s), not %(given)s",
                            expected=unit_label(expected), code=expected, given=raw_unit[:40]))

    value = parse_number(data.get("value"))
    if value is None:
        fail("value", _l("Enter the value as a number, for example 12.5") if str(data.get("value") or "").strip()
             else _l("Enter the value"))
    elif definition is not None and isinstance(definition.get("range"), dict):
        low, high = definition["range"].get("min"), definition["range"].get("max")
        if (low is not None and value < low) or (high is not None and value > high):
            fail("value", _l("The value must be between %(low)s and %(high)s", low=low, high=high))
    clean["value"] = value

    start, end = parse_date(data.get("period_start")), parse_date(data.get("period_end"))
    if start is None:
        fail("period_start", _l("Enter the first day of the period as a real date"))
    if end is None:
        fail("period_end", _l("Enter the last day of the period as a real date"))
    if start and end:
        if end < start:
            fail("period_end", _l("The period must end on or after the day it starts"))
        elif end > _years_later(start, MAX_YEARS):
            fail("period_end", _l("A period is at most %(n)s years long", n=MAX_YEARS))
    if end and end > today:
        fail("period_end", _l("The period cannot end in the future"))
    clean["period_start"], clean["period_end"] = start, end

    source = _text(data.get("source"), MAX_SOURCE)
    if not source:
        fail("source", _l("Say where the number comes from, for example \"Police annual report 2025\""))
    elif len(source) > MAX_SOURCE:
        fail("source", _l("The source must be %(n)s characters or fewer", n=MAX_SOURCE))
    clean["source"] = source
    area = _text(data.get("area"), MAX_AREA)
    if len(area) > MAX_AREA:
        fail("area", _l("The area must be %(n)s characters or fewer", n=MAX_AREA))
    clean["area"] = area

    sex = _text(data.get("sex"), 10).casefold() or "all"
    if sex not in SEXES:
        fail("sex", _l("Sex is one of %(values)s", values=", ".join(SEXES)))
    age = _text(data.get("age_group"), 20).casefold().replace(" ", "_") or "all"
    if age not in AGE_GROUPS:
        fail("age_group", _l("The age group is one of %(values)s", values=", ".join(AGE_GROUPS)))
    clean["sex"], clean["age_group"] = sex, age

    proxy = parse_bool(data.get("is_proxy"))
    note = _text(data.get("proxy_note"), MAX_NOTE)
    if proxy is None:
        fail("is_proxy", _l("Say yes or no: is the value from a proxy?"))
    elif proxy and not note:
        fail("proxy_note", _l("Say which proxy the value comes from, and why"))
    if len(note) > MAX_NOTE:
        fail("proxy_note", _l("The note must be %(n)s characters or fewer", n=MAX_NOTE))
    clean["is_proxy"], clean["proxy_note"] = bool(proxy), note if proxy else ""

    clean["cycle_id"] = None
    cycle_id = data.get("cycle_id")
    if cycle_id not in (None, "", 0):
        from ..cycles.models import Cycle
        cycle = db.session.get(Cycle, cycle_id) if isinstance(cycle_id, int) else None
        if cycle is None or city.id not in {c.id for c in cycle.cities}:
            fail("cycle_id", _l("Choose a cycle the city takes part in"))
        elif cycle.state == "closed":
            fail("cycle_id", _l("The cycle %(name)s is closed: its numbers can no longer change", name=cycle.name))
        else:
            clean["cycle_id"] = cycle.id

    if check_duplicates and not errors:
        existing = find_duplicate(city.id, clean, exclude_id)
        if existing is not None:
            clean["duplicate_of"] = existing.id
            fail("duplicate", _l("Entry #%(id)s already gives this indicator for the same period, area, sex and age "
                                 "group; change that entry instead", id=existing.id))
    return clean, errors


# --- Saving ---------------------------------------------------------------------------------------------------

def is_locked(entry: NumericEntry) -> bool:
    return entry.cycle is not None and entry.cycle.state == "closed"


def _revision(entry: NumericEntry, actor, source: str) -> None:
    if source not in ENTRY_SOURCES:
        raise ValueError(f"source {source!r}")
    db.session.add(NumericEntryRevision(entry=entry, version=entry.version, state=entry.snapshot(),
                                        saved_by_id=getattr(actor, "id", None), source=source))


def _summary(entry: NumericEntry) -> str:
    return f"{entry.city.name if entry.city else entry.city_id}: {entry.indicator_key} = {entry.value:g} " \
           f"{entry.unit} ({entry.period_start.isoformat()} to {entry.period_end.isoformat()})"


def _apply(entry: NumericEntry, clean: dict) -> None:
    entry.indicator_key = clean["indicator"]
    for name in ("value", "unit", "period_start", "period_end", "source", "area", "sex", "age_group", "is_proxy",
                 "proxy_note", "cycle_id"):
        setattr(entry, name, clean[name])


def create_entry(city, data: dict, definitions: list[dict], *, actor=None, source: str = "form",
                 clean: dict | None = None) -> NumericEntry:
    if clean is None:
        clean, errors = validate_entry(data, city, definitions)
        if errors:
            raise ValidationFailed(errors)
    entry = NumericEntry(city=city, entered_via=source, created_by_id=getattr(actor, "id", None))
    _apply(entry, clean)
    db.session.add(entry)
    db.session.flush()
    _revision(entry, actor, source)
    record("numeric.create", "numeric_entry", entry.id, summary=_summary(entry), after=entry.snapshot(),
           actor=actor)
    return entry


def _check_version(entry: NumericEntry, version) -> None:
    if is_locked(entry):
        raise EntryLocked(entry.id)
    if version is None or int(version) != entry.version:
        raise StaleVersion(entry.version)


def update_entry(entry: NumericEntry, data: dict, definitions: list[dict], version, *, actor=None,
                 source: str = "form") -> NumericEntry:
    """Change an entry from ``data`` (fields not given keep their value). Refused when ``version`` is not the
    entry's current version (``StaleVersion``), when the entry is withdrawn or locked."""
    _check_version(entry, version)
    if entry.withdrawn:
        raise ValidationFailed({"withdrawn": [_l("This entry was withdrawn; add a new one instead")]})
    current = current_values(entry)
    merged = {**current, **{k: v for k, v in data.items() if k in FIELDS}}
    clean, errors = validate_entry(merged, entry.city, definitions, exclude_id=entry.id)
    if errors:
        raise ValidationFailed(errors)
    before = entry.snapshot()
    _apply(entry, clean)
    if entry.snapshot() == before and entry.cycle_id == current["cycle_id"]:
        return entry  # nothing changed: no new version
    return _save_change(entry, before, "numeric.update", actor, source)


def withdraw_entry(entry: NumericEntry, version, *, actor=None, source: str = "form") -> NumericEntry:
    _check_version(entry, version)
    if entry.withdrawn:
        return entry
    before = entry.snapshot()
    entry.withdrawn = True
    return _save_change(entry, before, "numeric.withdraw", actor, source)


def _save_change(entry: NumericEntry, before: dict, action: str, actor, source: str) -> NumericEntry:
    """Flush a changed entry (a concurrent change since its version was read is a StaleVersion), then keep the
    revision and the audit entry."""
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise StaleVersion(db.session.get(NumericEntry, entry.id).version) from None
    _revision(entry, actor, source)
    record(action, "numeric_entry", entry.id, summary=_summary(entry), before=before, after=entry.snapshot(),
           actor=actor)
    return entry


def current_values(entry: NumericEntry) -> dict:
    return {"indicator": entry.indicator_key, "value": entry.value, "unit": entry.unit,
            "period_start": entry.period_start, "period_end": entry.period_end, "source": entry.source,
            "area": entry.area, "sex": entry.sex, "age_group": entry.age_group, "is_proxy": entry.is_proxy,
            "proxy_note": entry.proxy_note, "cycle_id": entry.cycle_id}


def history(entry: NumericEntry) -> list[dict]:
    """Every saved state, newest first, each with what changed from the state before it."""
    out, previous = [], None
    for revision in entry.revisions:
        state = revision.state or {}
        changes = [] if previous is None else [(k, previous.get(k), state.get(k)) for k in state
                                                 if state.get(k) != previous.get(k)]
        out.append({"revision": revision, "state": state, "changes": changes, "first": previous is None})
        previous = state
    return list(reversed(out))


# --- Reading ----------------------------------------------------------------------------------------------------

def entries_for_city(city, indicator_key: str | None = None, include_withdrawn: bool = False):
    """The city's entries as a query (newest period first) for ``pagination.paginate``."""
    stmt = db.select(NumericEntry).filter(NumericEntry.city_id == city.id)
    if indicator_key:
        stmt = stmt.filter(NumericEntry.indicator_key == indicator_key)
    if not include_withdrawn:
        stmt = stmt.filter(NumericEntry.withdrawn.is_(False))
    return stmt.order_by(NumericEntry.indicator_key, NumericEntry.period_end.desc(), NumericEntry.area,
                         NumericEntry.sex, NumericEntry.age_group, NumericEntry.id.desc())


def _counts_for_cycle(cycle):
    since = cycle.starts_on - dt.timedelta(days=WINDOW_DAYS)
    in_window = (NumericEntry.cycle_id.is_(None) & (NumericEntry.period_end >= since)
                 & (NumericEntry.period_end <= cycle.ends_on))
    return or_(NumericEntry.cycle_id == cycle.id, in_window)


def _best(entries, cycle) -> NumericEntry:
    return max(entries, key=lambda e: (e.cycle_id == cycle.id, e.period_end, e.id))


def values_for_cycle(cycle, city_ids) -> dict[tuple[int, str], NumericEntry]:
    """{(city_id, indicator_key): entry} of the whole-city, all-sexes, all-ages entry that counts for the cycle:
    one linked to the cycle, else one (linked to no cycle) whose period ends within a year before the cycle
    starts or during it; the latest period end wins, then the latest entry. One query for every city."""
    ids = list(city_ids)
    if not ids:
        return {}
    stmt = db.select(NumericEntry).filter(
        NumericEntry.city_id.in_(ids), NumericEntry.withdrawn.is_(False), NumericEntry.area == "",
        NumericEntry.sex == "all", NumericEntry.age_group == "all", _counts_for_cycle(cycle))
    groups: dict[tuple[int, str], list] = {}
    for entry in db.session.execute(stmt).scalars():
        groups.setdefault((entry.city_id, entry.indicator_key), []).append(entry)
    return {key: _best(rows, cycle) for key, rows in groups.items()}


def disaggregation(city, cycle, key: str) -> list[NumericEntry]:
    """The entries by area, sex or age group that count for the cycle (one per breakdown cell, chosen as in
    ``values_for_cycle``), ordered by area, sex and age group."""
    stmt = db.select(NumericEntry).filter(
        NumericEntry.city_id == city.id, NumericEntry.indicator_key == key, NumericEntry.withdrawn.is_(False),
        or_(NumericEntry.area != "", NumericEntry.sex != "all", NumericEntry.age_group != "all"),
        _counts_for_cycle(cycle))
    cells: dict[tuple, list] = {}
    for entry in db.session.execute(stmt).scalars():
        cells.setdefault((entry.area.lower(), entry.sex, entry.age_group), []).append(entry)
    order = {v: i for i, v in enumerate(SEXES)}, {v: i for i, v in enumerate(AGE_GROUPS)}
    return sorted((_best(rows, cycle) for rows in cells.values()),
                  key=lambda e: (e.area.lower(), order[0].get(e.sex, 9), order[1].get(e.age_group, 9)))


# The spreadsheet import lives beside (numeric_import.py); its names stay reachable from here for callers.
from .numeric_import import (  # noqa: E402,F401
    COLUMNS, EXTENSIONS, MAX_BYTES, MAX_ROWS, REQUIRED_COLUMNS, UploadRefused, check_rows, check_upload, read_rows,
    save_rows, template_csv)
