"""Voice coverage: whose safety the evidence speaks for. Per city and cycle, how many items speak for each gender,
age group and vulnerable group, with warnings when some are absent or thin ("whose safety are we measuring?")."""
from __future__ import annotations

from collections import Counter

from ..evidence.vocab import AGE_GROUPS, GENDERS, VULNERABLE_GROUPS, values

# The voices every city's evidence should include; "mixed" items count for each of them.
EXPECTED_GENDERS = ("women", "men")
EXPECTED_AGES = ("children", "youth", "adults", "older_people")


def voice(items, thin_share: float = 0.1) -> dict:
    """Counts and warnings for a list of evidence_data.Item. A voice is *absent* with no item, *thin* below
    ``thin_share`` of the items (and fewer than 3). "Mixed" items count towards every gender or age group."""
    return voice_counts(len(items), Counter(i.gender for i in items), Counter(i.age_group for i in items),
                        Counter(g for i in items for g in i.groups), thin_share)


def voice_counts(total: int, genders: Counter, ages: Counter, groups: Counter, thin_share: float = 0.1) -> dict:
    """As ``voice``, from the counts (the network page counts in SQL rather than loading every item)."""
    rows = []
    for dimension, counter, vocab, expected in (
            ("gender", genders, GENDERS, EXPECTED_GENDERS), ("age_group", ages, AGE_GROUPS, EXPECTED_AGES),
            ("group", groups, VULNERABLE_GROUPS, ())):
        mixed = counter.get("mixed", 0)
        for value in values(vocab):
            count = counter.get(value, 0)
            reach = count + (mixed if value in expected else 0)
            state = "ok"
            if value in expected or dimension == "group":
                if value in ("none",):
                    state = "info"
                elif reach == 0:
                    state = "absent"
                elif total and reach / total < thin_share and reach < 3:
                    state = "thin"
            if value in ("unspecified", "mixed", "none"):
                state = "info"
            rows.append({"dimension": dimension, "value": value, "count": count, "reach": reach,
                         "share": (count / total) if total else None, "state": state})
    unspecified = genders.get("unspecified", 0)
    warnings = []
    if total == 0:
        warnings.append({"kind": "no_evidence"})
    else:
        absent = [r for r in rows if r["state"] == "absent" and r["dimension"] != "group"]
        thin = [r for r in rows if r["state"] == "thin" and r["dimension"] != "group"]
        if absent:
            warnings.append({"kind": "absent", "voices": [(r["dimension"], r["value"]) for r in absent]})
        if thin:
            warnings.append({"kind": "thin", "voices": [(r["dimension"], r["value"]) for r in thin]})
        if not any(r["count"] for r in rows if r["dimension"] == "group" and r["value"] != "none"):
            warnings.append({"kind": "no_groups"})
        if unspecified / total > 0.5:
            warnings.append({"kind": "unspecified", "share": unspecified / total})
    return {"total": total, "rows": rows, "warnings": warnings}


def network_counts(cycle_id: int, city_ids) -> dict[int, tuple[int, Counter, Counter, Counter]]:
    """{city: (items, genders, age groups, vulnerable groups)} for a cycle's evidence, counted in the database."""
    from sqlalchemy import func

    from ..evidence.models import EvidenceItem
    from ..extensions import db
    out: dict[int, list] = {c: [0, Counter(), Counter(), Counter()] for c in city_ids}
    rows = db.session.execute(
        db.select(EvidenceItem.city_id, EvidenceItem.gender, EvidenceItem.age_group, EvidenceItem.vulnerable_groups,
                  func.count(EvidenceItem.id))
        .filter(EvidenceItem.cycle_id == cycle_id, EvidenceItem.city_id.in_(list(city_ids)),
                EvidenceItem.consent != "withdrawn")
        .group_by(EvidenceItem.city_id, EvidenceItem.gender, EvidenceItem.age_group, EvidenceItem.vulnerable_groups))
    for city_id, gender, age, groups, count in rows:
        cell = out.setdefault(city_id, [0, Counter(), Counter(), Counter()])
        cell[0] += count
        cell[1][gender] += count
        cell[2][age] += count
        for g in (groups or "").split(";"):
            if g:
                cell[3][g] += count
    return {c: tuple(v) for c, v in out.items()}
