"""The secretariat's view of a cycle across the network: distributions per indicator, evidence and voice coverage
per city, indicators with too little evidence, composites per dimension with each city's interval across method
alternatives (the sensitivity view) and the peer-group map. Cities are listed by name, never by a value."""
from __future__ import annotations

from . import compute, coverage, evidence_data, methods
from . import definitions as defs


def raw_values(values: dict, keys) -> dict:
    """{city: {indicator: value}} with only "ok" values present (the others None: missing, never zero)."""
    return {city: {k: (row.value if (row := rows.get(k)) is not None and row.status == "ok" else None)
                   for k in keys} for city, rows in values.items()}


def comparable_definitions(indicator_set) -> dict[str, dict]:
    """The network's indicators (no city's local ones) that composites compare: core and second tier."""
    return {d["id"]: d for d in defs.definitions_for(indicator_set) if d.get("tier") in ("core", "second")}


def composites_for(cycle, values: dict, only=None) -> dict:
    indicator_set = defs.set_for_cycle(cycle)
    definitions = comparable_definitions(indicator_set)
    return methods.sensitivity(raw_values(values, definitions), definitions, only)


def network_dashboard(cycle, with_coverage: bool = True) -> dict:
    indicator_set = defs.set_for_cycle(cycle)
    method = defs.method_settings(indicator_set)
    definitions = comparable_definitions(indicator_set)
    values = compute.refresh(cycle)
    cities = sorted(cycle.cities, key=lambda c: (c.name.lower(), c.id))
    distributions = []
    for key, definition in definitions.items():
        column = [values.get(c.id, {}).get(key) for c in cities]
        ok = [r.value for r in column if r is not None and r.status == "ok" and r.value is not None]
        distributions.append({
            "definition": definition, "kind": compute.kind_of(definition), "summary": methods.quartiles(ok),
            "values": sorted(ok),
            "ok": len(ok), "not_enough": sum(1 for r in column if r is not None and r.status == methods.NOT_ENOUGH),
            "missing": sum(1 for r in column if r is None or r.status == methods.MISSING)})
    thin = [d for d in distributions if d["kind"] == "evidence" and d["not_enough"]]
    coverage_rows = []
    if with_coverage:
        counts = coverage.network_counts(cycle.id, [c.id for c in cities])
        coded = evidence_data.coded_counts(cycle.id, [c.id for c in cities])
        for city in cities:
            total, genders, ages, groups = counts.get(city.id, (0, {}, {}, {}))
            voice = coverage.voice_counts(total, genders, ages, groups, float(method["thin_voice_share"]))
            coverage_rows.append({"city": city, "item_count": total, "coded": coded.get(city.id, 0),
                                  "voice": voice})
    sensitivity = methods.sensitivity(raw_values(values, definitions), definitions, [c.id for c in cities])
    return {"cycle": cycle, "set": indicator_set, "method": method, "cities": cities,
            "distributions": distributions, "thin": thin, "coverage": coverage_rows,
            "sensitivity": [{"city": c, "dimensions": sensitivity.get(c.id, {})} for c in cities]}
