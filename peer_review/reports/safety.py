"""The city's "State of Safety" report for its mayor and council, as a snapshot (see ``snapshot``): indicators with
their intervals and trend across cycles, voice coverage, the stories chosen from the evidence (only items whose
consent allows publication and which are not restricted, in their redacted text), and the recommendations the
city received with their follow-up.

Stories are chosen by the city or a facilitator (``choose_stories``); the snapshot checks consent and visibility
again when it is built, so an item whose consent is withdrawn afterwards drops out of every later draft.
"""
from __future__ import annotations

from sqlalchemy import func

from ..evidence.models import EvidenceItem
from ..extensions import db
from ..indicators import compute, coverage, dashboard, evidence_data
from ..indicators import definitions as defs
from ..reviews.models import Review
from ..utils import utcnow
from .models import ReportStory

# Consent that allows a story to be quoted in a published report: consent obtained for it, an anonymised account,
# or a public source. Pending and withdrawn never do; restricted items never leave the owning city.
PUBLISHABLE_CONSENT = ("obtained", "anonymised", "public_source")
MAX_STORIES = 6
FAMILY_ORDER = dashboard.FAMILY_ORDER


def _date(value) -> str | None:
    return value.date().isoformat() if hasattr(value, "date") else (value.isoformat() if value else None)


def publishable(item: EvidenceItem) -> bool:
    return item.consent in PUBLISHABLE_CONSENT and item.visibility != "restricted"


def eligible_stories(cycle, city) -> list[EvidenceItem]:
    """The city's items in the cycle that may appear in its report, newest first."""
    return db.session.execute(
        db.select(EvidenceItem).filter(EvidenceItem.cycle_id == cycle.id, EvidenceItem.city_id == city.id,
                                       EvidenceItem.consent.in_(PUBLISHABLE_CONSENT),
                                       EvidenceItem.visibility != "restricted")
        .order_by(EvidenceItem.date.desc(), EvidenceItem.id.desc())).scalars().all()


def chosen(cycle, city) -> list[ReportStory]:
    return db.session.execute(db.select(ReportStory).filter_by(cycle_id=cycle.id, city_id=city.id)
                              .order_by(ReportStory.position, ReportStory.id)).scalars().all()


class StoryError(ValueError):
    pass


def choose_stories(cycle, city, item_ids: list[int], user) -> list[ReportStory]:
    """Replace the chosen stories with ``item_ids`` (in that order). Every id must be an eligible item."""
    if len(item_ids) > MAX_STORIES:
        raise StoryError("too_many")
    allowed = {i.id for i in eligible_stories(cycle, city)}
    if any(i not in allowed for i in item_ids):
        raise StoryError("not_eligible")
    for row in chosen(cycle, city):
        db.session.delete(row)
    db.session.flush()
    rows = [ReportStory(cycle_id=cycle.id, city_id=city.id, item_id=item_id, position=n, chosen_by_id=user.id,
                        chosen_at=utcnow()) for n, item_id in enumerate(dict.fromkeys(item_ids))]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def _value(row) -> dict:
    if row is None:
        return {"value": None, "low": None, "high": None, "n": 0, "status": "missing", "kind": None,
                "proxy": False}
    return {"value": row.value, "low": row.low, "high": row.high, "n": row.n, "status": row.status,
            "kind": row.kind, "proxy": bool(row.kind == "numeric" and row.hits)}


def _stories(cycle, city) -> list[dict]:
    out = []
    for row in chosen(cycle, city):
        item = row.item
        if item is None or not publishable(item) or item.cycle_id != cycle.id or item.city_id != city.id:
            continue
        out.append({"title": item.title, "text": item.text or "", "type": item.type, "area": item.area or "",
                    "date": _date(item.date), "language": item.language, "consent": item.consent,
                    "redacted": bool(item.redactions)})
    return out


def _recommendations(city, cycle) -> list[dict]:
    rows = []
    for rec in dashboard.recommendations_followup(city, cycle):
        response = rec["response"]
        rows.append({"text": rec["text"], "priority": rec["priority"], "reviewer": rec["reviewer"],
                     "decision": response.decision if response is not None else None,
                     "action": (response.action or "") if response is not None else "",
                     "owner": (response.action_owner or "") if response is not None else "",
                     "due": _date(response.action_due) if response is not None else None,
                     "progress": response.progress if response is not None else "not_started",
                     "progress_note": (response.progress_note or "") if response is not None else ""})
    return rows


def state_of_safety(cycle, city, locale: str = "en") -> dict:
    from .snapshot import SCHEMA

    indicator_set = defs.set_for_cycle(cycle)
    method = defs.method_settings(indicator_set)
    definitions = defs.definitions_for(indicator_set, city.id)
    cycles = [c for c in compute.cycles_of_city(city)
              if c.state != "draft" and (c.starts_on, c.id) <= (cycle.starts_on, cycle.id)]
    if cycle.id not in {c.id for c in cycles}:
        cycles.append(cycle)
    cycles.sort(key=lambda c: (c.starts_on, c.id))
    by_cycle = compute.refresh_city(cycles, city.id)
    values = by_cycle.get(cycle.id, {})
    series = dashboard.trends(city, cycles, [d["id"] for d in definitions], by_cycle)

    families = []
    for family in FAMILY_ORDER:
        rows = []
        for d in definitions:
            if d.get("family", "context") != family:
                continue
            trend = [{"cycle": p["cycle"], "value": p["value"], "low": p["low"], "high": p["high"],
                      "status": p["status"], "method_break": p["method_break"], "kind": p["kind"] or compute.kind_of(d),
                      "proxy": False} for p in series[d["id"]]]
            rows.append({"id": d["id"], "name": defs.text(d.get("name"), locale),
                         "definition": defs.text(d.get("definition"), locale), "unit": d.get("unit") or "",
                         "direction": d.get("direction") or "", "kind": compute.kind_of(d),
                         "local": d.get("tier") == "local", **_value(values.get(d["id"])), "trend": trend})
        if rows:
            families.append({"family": family, "indicators": rows})

    evidence = evidence_data.load(cycle.id, [city.id]).get(city.id) or evidence_data.CityEvidence()
    voice = coverage.voice(evidence.items, float(method["thin_voice_share"]))
    stories = _stories(cycle, city)
    recommendations = _recommendations(city, cycle)
    # The report's date comes from its data (never the clock): the newest evidence or released review.
    newest_item = db.session.execute(db.select(func.max(EvidenceItem.date)).filter(
        EvidenceItem.cycle_id == cycle.id, EvidenceItem.city_id == city.id)).scalar()
    newest_review = db.session.execute(db.select(func.max(Review.released_at)).filter(
        Review.cycle_id == cycle.id, Review.reviewed_city_id == city.id)).scalar()
    dates = [d for d in (_date(newest_item), _date(newest_review)) if d]
    return {
        "schema": SCHEMA, "kind": "state_of_safety", "locale": locale,
        "as_of": max(dates, default=None) or _date(cycle.starts_on),
        "city": {"name": city.name, "slug": city.slug, "country": city.country},
        "cycle": {"id": cycle.id, "name": cycle.name, "starts_on": _date(cycle.starts_on),
                  "ends_on": _date(cycle.ends_on)},
        "cycles": [c.name for c in cycles],
        "indicator_set": {"version": indicator_set.version if indicator_set is not None else "",
                          "hash": indicator_set.content_hash if indicator_set is not None else None},
        "min_items": method.get("min_items", 5),
        "families": families,
        "coverage": {"total": voice["total"], "coded": len(evidence.coded),
                     "rows": [r for r in voice["rows"] if r["state"] != "info" or r["count"]],
                     "warnings": [{"kind": w["kind"], "voices": [list(v) for v in w.get("voices", [])],
                                   "share": w.get("share")} for w in voice["warnings"]]},
        "stories": stories,
        "recommendations": recommendations,
    }
