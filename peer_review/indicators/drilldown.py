"""From a figure to exactly what is behind it: the coded passages an evidence-derived value counts (and those that
count against it), the answers behind a criterion-based value or a section score.

The counts are those of the figure, whoever looks; what each viewer may open is filtered by the evidence rules, so a
restricted testimony is counted but shown only as "restricted" to people who may not read it."""
from __future__ import annotations

from ..assessments.models import SUBMITTED, Answer, Assessment
from ..coding.models import Coding
from ..evidence.models import EvidenceItem
from ..extensions import db
from ..permissions import can
from ..reviews.models import Review, ReviewAnswer
from ..rubrics import content
from . import compute, evidence_data, scores
from . import definitions as defs


def _definition(city, cycle, key) -> tuple[dict, dict, object]:
    indicator_set = defs.set_for_cycle(cycle)
    definition = next((d for d in defs.definitions_for(indicator_set, city.id) if d["id"] == key), None)
    if definition is None:
        raise LookupError(key)
    return definition, defs.method_settings(indicator_set), indicator_set


def passages_behind(city, cycle, key: str, breakdown: str, viewer) -> dict:
    definition, method, indicator_set = _definition(city, cycle, key)
    kind = compute.kind_of(definition)
    out = {"definition": definition, "kind": kind, "breakdown": breakdown, "set": indicator_set}
    if kind == "criteria":
        out["answers"] = criteria_answers(city, cycle, scores.criteria_for(definition, cycle.rubric_version)) \
            if cycle.rubric_version is not None else []
        out["value"] = compute.refresh(cycle, [city.id]).get(city.id, {}).get(key)
        return out
    if kind == "numeric":
        entries = compute.numeric_values(cycle, [city.id])
        out["entry"] = entries.get((city.id, key))
        out["value"] = compute.refresh(cycle, [city.id]).get(city.id, {}).get(key)
        return out
    evidence = evidence_data.load(cycle.id, [city.id]).get(city.id) or evidence_data.CityEvidence()
    try:
        subset = evidence_data.items_in(evidence, breakdown)
    except ValueError:
        raise LookupError(breakdown) from None
    groups = evidence_data.classify(definition, evidence, subset)
    out["value"] = evidence_data.evidence_value(definition, evidence, method, subset)
    support, against = evidence_data.split_codes(definition)
    ancestry = evidence_data.code_keys_with_ancestors()
    relevant = {cid for cid, keys in ancestry.items() if keys & (support | against)}
    wanted = [i.id for i in groups["hits"] + groups["against"]]
    objects = {i.id: i for i in db.session.execute(
        db.select(EvidenceItem).filter(EvidenceItem.id.in_(wanted))).scalars()} if wanted else {}
    codings: dict[int, list] = {}
    if wanted and relevant:
        for coding in db.session.execute(
                db.select(Coding).filter(Coding.item_id.in_(wanted), Coding.sample_id.is_(None),
                                         Coding.code_id.in_(relevant)).order_by(Coding.item_id, Coding.start_offset,
                                                                                Coding.id)).scalars():
            codings.setdefault(coding.item_id, []).append(coding)

    def entries(items, counting: set[str]):
        rows = []
        for item in items:
            obj = objects.get(item.id)
            visible = obj is not None and can(viewer, "evidence.view", obj)
            passages = []
            if visible:
                for coding in codings.get(item.id, []):
                    keys = ancestry.get(coding.code_id, frozenset())
                    if keys & counting:
                        passages.append({"code": coding.code, "whole": coding.whole_item,
                                         "text": coding.passage(obj.text)})
            rows.append({"item": item, "object": obj if visible else None, "visible": visible,
                         "passages": passages})
        return rows

    out["hits"] = entries(groups["hits"], support)
    out["against"] = entries(groups["against"], against)
    out["other"] = len(groups["other"])
    out["hidden"] = sum(1 for r in out["hits"] + out["against"] if not r["visible"])
    return out


def criteria_answers(city, cycle, criterion_ids) -> list[dict]:
    """Per criterion: the city's submitted answer and the released reviews' levels and comments."""
    version = cycle.rubric_version
    by_id = {c["id"]: c for c in content.criteria(version)}
    own = {a.criterion_id: a for a in db.session.execute(
        db.select(Answer).join(Assessment, Assessment.id == Answer.assessment_id)
        .filter(Assessment.cycle_id == cycle.id, Assessment.city_id == city.id, Assessment.state == SUBMITTED,
                Answer.criterion_id.in_(list(criterion_ids)))).scalars()}
    peer: dict[str, list] = {}
    for answer, review in db.session.execute(
            db.select(ReviewAnswer, Review).join(Review, Review.id == ReviewAnswer.review_id)
            .filter(Review.cycle_id == cycle.id, Review.reviewed_city_id == city.id, Review.released_at.is_not(None),
                    ReviewAnswer.criterion_id.in_(list(criterion_ids))).order_by(Review.id)).all():
        peer.setdefault(answer.criterion_id, []).append({"reviewer": review.reviewer_city, "answer": answer})
    return [{"id": cid, "criterion": by_id.get(cid), "own": own.get(cid), "peer": peer.get(cid, [])}
            for cid in criterion_ids if cid in by_id]


def answers_behind(city, cycle, section_id: str) -> dict:
    version = cycle.rubric_version
    if section_id == "overall":
        section = None
        ids = [c["id"] for c in content.criteria(version)]
    else:
        section = next((s for s in content.sections(version) if s["id"] == section_id), None)
        if section is None:
            raise LookupError(section_id)
        ids = [c["id"] for c in section.get("criteria", [])]
    own = scores.self_levels(cycle.id, [city.id]).get(city.id, {})
    peer = scores.peer_levels(cycle.id, [city.id]).get(city.id, {})
    row = next(r for r in scores.section_scores(version, own, peer) if r["section"] == section_id) \
        if section_id != "overall" else scores.section_scores(version, own, peer)[-1]
    return {"section": section, "section_id": section_id, "score": row, "answers": criteria_answers(city, cycle, ids),
            "version": version}
