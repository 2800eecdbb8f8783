"""Open data: publishing a cycle's indicator values for anyone to read, with a data dictionary and a licence.

A release freezes the rows at the moment the secretariat publishes (values computed as the dashboards compute
them); the stable addresses serve the latest release of a cycle and each release keeps its own address. Only the
network's indicators (core and second tier) are published, never a city's local ones; values below the evidence
threshold are published as empty with their status, never as a number.
"""
from __future__ import annotations

import hashlib
import json

from ..extensions import db
from ..indicators import compute, network
from ..indicators import definitions as defs
from ..utils import utcnow
from .models import OpenDataRelease

LICENCE = "CC-BY-4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
COLUMNS = (
    ("cycle", "Name of the review cycle"),
    ("city", "Short name (slug) of the city"),
    ("city_name", "Name of the city"),
    ("country", "Country of the city"),
    ("region", "Region of the city (africa, asia, europe, latin_america, middle_east, north_america, oceania)"),
    ("indicator", "Identifier of the indicator (see the indicator entries below)"),
    ("kind", "evidence: share of coded evidence items; criteria: mean self-assessed level; numeric: a number "
             "the city reports"),
    ("status", "ok, not_enough_evidence or missing; value is empty unless status is ok"),
    ("value", "The value (a share between 0 and 1 for evidence indicators)"),
    ("low", "Lower bound of the 95% interval (evidence indicators)"),
    ("high", "Upper bound of the 95% interval (evidence indicators)"),
    ("n", "Number of coded evidence items the value rests on (evidence indicators)"),
    ("proxy", "true when a numeric value is an accepted proxy rather than the indicator itself"),
    ("method_hash", "SHA-256 of the method and definition the value was computed with"),
)


def _canonical(rows) -> bytes:
    return json.dumps(rows, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def build_rows(cycle) -> tuple[list[dict], list[dict]]:
    indicator_set = defs.set_for_cycle(cycle)
    if indicator_set is None:
        return [], []
    definitions = network.comparable_definitions(indicator_set)
    cities = sorted(cycle.cities, key=lambda c: c.slug)
    values = compute.refresh(cycle, [c.id for c in cities])
    rows = []
    for city in cities:
        for key in sorted(definitions):
            row = values.get(city.id, {}).get(key)
            ok = row is not None and row.status == "ok"
            rows.append({"cycle": cycle.name, "city": city.slug, "city_name": city.name, "country": city.country,
                         "region": city.region, "indicator": key,
                         "kind": row.kind if row is not None else compute.kind_of(definitions[key]),
                         "status": row.status if row is not None else "missing",
                         "value": row.value if ok else None, "low": row.low if ok else None,
                         "high": row.high if ok else None, "n": row.n if row is not None else 0,
                         "proxy": bool(ok and row.kind == "numeric" and row.hits),
                         "method_hash": row.method_hash if row is not None else None})
    dictionary = [{"name": name, "description": text} for name, text in COLUMNS]
    for key, d in sorted(definitions.items()):
        dictionary.append({"indicator": key, "name": d.get("name", {}), "definition": d.get("definition", {}),
                           "family": d.get("family"), "direction": d.get("direction"), "unit": d.get("unit"),
                           "tier": d.get("tier"), "indicator_set": indicator_set.version})
    return rows, dictionary


def releases(cycle) -> list[OpenDataRelease]:
    return db.session.execute(db.select(OpenDataRelease).filter_by(cycle_id=cycle.id)
                              .order_by(OpenDataRelease.number)).scalars().all()


def latest(cycle) -> OpenDataRelease | None:
    found = releases(cycle)
    return found[-1] if found else None


def published_cycles() -> list[tuple]:
    from ..cycles.models import Cycle
    rows = db.session.execute(db.select(OpenDataRelease, Cycle).join(Cycle, Cycle.id == OpenDataRelease.cycle_id)
                              .order_by(Cycle.starts_on.desc(), OpenDataRelease.number.desc())).all()
    seen, out = set(), []
    for release, cycle in rows:
        if cycle.id not in seen:
            seen.add(cycle.id)
            out.append((cycle, release))
    return out


def publish(cycle, user, note: str = "") -> OpenDataRelease:
    from ..audit.operations import record
    rows, dictionary = build_rows(cycle)
    previous = latest(cycle)
    release = OpenDataRelease(cycle_id=cycle.id, number=(previous.number + 1) if previous else 1, rows=rows,
                              dictionary=dictionary, licence=LICENCE, sha256=hashlib.sha256(_canonical(rows)).hexdigest(),
                              note=(note or "").strip()[:2000], published_by_id=getattr(user, "id", None),
                              published_at=utcnow())
    db.session.add(release)
    db.session.flush()
    record("opendata.publish", "cycle", cycle.id, actor=user,
           summary=f"Open data of {cycle.name}, release {release.number} ({len(rows)} values)",
           after={"release": release.number, "sha256": release.sha256})
    return release


def as_json(release: OpenDataRelease, cycle) -> dict:
    return {"cycle": {"id": cycle.id, "name": cycle.name}, "release": release.number,
            "published_at": release.published_at.isoformat() + "Z" if release.published_at else None,
            "licence": {"id": release.licence, "url": LICENCE_URL}, "sha256": release.sha256,
            "note": release.note, "columns": [c for c, _ in COLUMNS], "rows": release.rows}


def as_csv(release: OpenDataRelease) -> bytes:
    from ..exports.tables import Table
    from ..exports.writers import write_csv
    columns = [c for c, _ in COLUMNS]
    return write_csv(Table("open_data", columns, [[r.get(c) for c in columns] for r in release.rows]))
