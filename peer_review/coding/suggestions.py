"""Machine suggestions and topics: the background handlers, and what facilitators do with the results."""
from __future__ import annotations

from ..audit.operations import record
from ..errors import ValidationFailed
from ..evidence.models import EvidenceItem
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..jobs.worker import handler
from ..utils import strip_control, utcnow
from . import nlp_adapter
from . import operations as ops
from .models import Code, Coding
from .nlp_models import ACCEPTED, PENDING, REJECTED, Suggestion, Topic, TopicRun

BATCH = 50
MIN_TOPIC_DOCS = 10


def _overlaps(a_start, a_end, b_start, b_end) -> bool:
    if a_start is None or b_start is None:
        return a_start is None and b_start is None
    return a_start < b_end and b_start < a_end


def _codable(cycle_id: int, only_uncoded: bool):
    stmt = db.select(EvidenceItem).filter(EvidenceItem.cycle_id == cycle_id, EvidenceItem.consent != "withdrawn")
    return stmt.filter(~ops.has_counted_coding()) if only_uncoded else stmt


def cycle_items(cycle_id: int, only_uncoded: bool = False) -> list[EvidenceItem]:
    return list(db.session.execute(_codable(cycle_id, only_uncoded).order_by(EvidenceItem.id)).scalars())


def count_uncoded(cycle_id: int) -> int:
    """Codable items of the cycle that nobody has coded yet, counted in the database."""
    return db.session.scalar(_codable(cycle_id, True).with_only_columns(db.func.count(EvidenceItem.id)))


def _blocked(item_id: int) -> dict[int, list[tuple]]:
    """Per code: spans already coded, already suggested, or rejected (rejections are remembered)."""
    out: dict[int, list[tuple]] = {}
    for code_id, s, e in db.session.execute(db.select(Coding.code_id, Coding.start_offset, Coding.end_offset)
                                            .filter(Coding.item_id == item_id, Coding.sample_id.is_(None))):
        out.setdefault(code_id, []).append((s, e))
    for code_id, s, e in db.session.execute(db.select(Suggestion.code_id, Suggestion.start_offset,
                                                      Suggestion.end_offset).filter(Suggestion.item_id == item_id)):
        out.setdefault(code_id, []).append((s, e))
    return out


def reasons_for(proposal: dict) -> list[dict]:
    """What a facilitator reads under a suggestion: the words that triggered it, those mentioned as missing,
    and the classifier's strongest words in the item; as written in the text, never feature ids."""
    mentions, missing, seen = [], [], set()
    for word in proposal.get("why") or []:
        word = str(word).strip()
        negated = word.startswith("no: ")
        word = word[4:] if negated else word
        if word.lower() in seen:  # "City" and "city" are one reason
            continue
        seen.add(word.lower())
        (missing if negated else mentions).append(word)
    out = []
    if mentions:
        out.append({"kind": "mentions", "words": mentions[:8]})
    if missing:
        out.append({"kind": "missing", "words": missing[:6]})
    model = [w for w in proposal.get("model_words") or [] if w.lower() not in seen][:4]
    if model:
        out.append({"kind": "model", "words": model})
    return out


def _add_suggestions(batch, results, codes: dict, job_id: int) -> int:
    """One suggestion per item and code: the passage (sentence or clause, adjacent ones merged) holding the
    triggers. A passage that overlaps one already coded, suggested or rejected for that code is not proposed;
    the next-strongest passage of the item may be."""
    created = 0
    for item, result in zip(batch, results):
        blocked = _blocked(item.id)
        waiting = set(db.session.execute(db.select(Suggestion.code_id).filter_by(item_id=item.id, state=PENDING))
                      .scalars())
        for proposal in result["codes"]:
            code = codes.get(proposal["code"])
            if code is None or code.retired or code.id in waiting:
                continue  # one suggestion per item and code waits for a decision at a time
            candidates = [tuple(p) for p in proposal.get("passages") or []] or [(None, None)]
            for start, end in candidates:
                if any(_overlaps(start, end, s, e) for s, e in blocked.get(code.id, [])):
                    continue
                db.session.add(Suggestion(item_id=item.id, code_id=code.id, start_offset=start, end_offset=end,
                                          score=round(float(proposal["score"]), 3), why=reasons_for(proposal),
                                          polarity=proposal.get("polarity", "present"),
                                          source=proposal.get("source", "lexicon")[:20], job_id=job_id))
                blocked.setdefault(code.id, []).append((start, end))
                waiting.add(code.id)
                created += 1
                break
    return created


FIRST_BATCH = 10  # the first results show within a second or two of the click


def preview_suggestions(cycle_id: int, only_uncoded: bool, limit: int = FIRST_BATCH):
    """Proposals for the first few items, computed in the request that starts the job (read-only: nothing is
    written here), so that the facilitator sees results on the page the click leads to; the job does the rest.
    Returns (items, results) for :func:`add_preview`."""
    stmt = _codable(cycle_id, only_uncoded).order_by(EvidenceItem.id).limit(limit)
    items = list(db.session.execute(stmt).scalars())
    if not items:
        return [], []
    codebook = nlp_adapter.codebook_for_nlp()
    classifier, _fresh = nlp_adapter.current_classifier(codebook)
    return items, nlp_adapter.suggest(items, codebook, classifier)


def add_preview(job, items, results) -> int:
    codes = {c.key: c for c in db.session.execute(db.select(Code)).scalars()}
    return _add_suggestions(items, results, codes, job.id)


@handler("suggest")
def run_suggestions(job, report) -> dict:
    codebook = nlp_adapter.codebook_for_nlp()
    codes = {c.key: c for c in db.session.execute(db.select(Code)).scalars()}
    items = cycle_items(job.cycle_id, only_uncoded=job.params.get("only_uncoded", True))
    previewed = db.session.scalar(db.select(db.func.count(Suggestion.id)).filter(Suggestion.job_id == job.id)) or 0
    # Suggest at once with the model at hand (the saved one when the accepted codings have not changed, else
    # the one shipped with the package); learn from changed codings only after the first results are shown.
    classifier, fresh = nlp_adapter.current_classifier(codebook)
    created, done, training = 0, 0, {"trained": False, "reused": fresh}
    if previewed:  # the request that queued the job already proposed codes for the first items
        done = min(len(items), FIRST_BATCH)
        report(5 + int(95 * done / max(1, len(items))), f"{done} of {len(items)} items read")
    while done < len(items):
        if done and not fresh:
            report(5 + int(95 * done / max(1, len(items))), "Learning from accepted codings")
            training = nlp_adapter.train_from_codings(codebook)
            classifier, fresh = nlp_adapter.load_classifier() or classifier, True
        size = FIRST_BATCH if done == 0 else BATCH
        batch = items[done:done + size]
        created += _add_suggestions(batch, nlp_adapter.suggest(batch, codebook, classifier), codes, job.id)
        db.session.commit()  # each batch is kept even if a later one fails
        done += len(batch)
        report(5 + int(95 * done / max(1, len(items))), f"{done} of {len(items)} items read")
    if not fresh:
        training = nlp_adapter.train_from_codings(codebook)
    return {"items": len(items), "suggestions": created + previewed, "classifier": training}


@handler("retrain_classifier")
def retrain_classifier(job, report) -> dict:
    """After a redaction deleted the classifier (it keeps words as features): learn again from the texts as
    they are now."""
    report(10, "Learning from accepted codings")
    return {"classifier": nlp_adapter.train_from_codings(nlp_adapter.codebook_for_nlp())}


@handler("topics")
def run_topics(job, report) -> dict:
    items = cycle_items(job.cycle_id)
    if len(items) < MIN_TOPIC_DOCS:
        raise ValueError(f"Topic discovery needs at least {MIN_TOPIC_DOCS} evidence items; this cycle has "
                         f"{len(items)}.")
    report(10, f"Reading {len(items)} items")
    seed = int(job.params.get("seed", 42))
    result = nlp_adapter.discover(items, seed, nlp_adapter.codebook_for_nlp())
    report(90, "Saving topics")
    run = TopicRun(cycle_id=job.cycle_id, job_id=job.id, seed=seed, result={
        k: result.get(k) for k in ("per_group", "over_time", "related", "params", "documents")})
    for t in result["topics"]:
        words = [w[0] if isinstance(w, (list, tuple)) else w for w in t.get("words", [])][:10]
        run.topics.append(Topic(number=int(t["id"]), label=(", ".join(words[:4]) or str(t.get("label") or t["id"]))[:120],
                                words=words, member_ids=list(t.get("member_ids") or []),
                                representative_ids=list(t.get("representative_ids") or []),
                                languages=t.get("languages") or {}, likely_codes=list(t.get("codes") or [])[:5]))
    db.session.add(run)
    db.session.flush()
    return {"run": run.id, "topics": len(run.topics), "items": len(items)}


# --- Deciding on suggestions ----------------------------------------------------------------------------

def job_suggestion_count(job_id: int) -> int:
    return db.session.scalar(db.select(db.func.count(Suggestion.id)).filter(Suggestion.job_id == job_id)) or 0


def pending_for(item) -> list[Suggestion]:
    return list(db.session.execute(db.select(Suggestion).filter_by(item_id=item.id, state=PENDING)
                                   .order_by(Suggestion.score.desc())).scalars())


def accept(suggestion: Suggestion, user, start: int | None = None, end: int | None = None) -> list[Coding]:
    if suggestion.state != PENDING:
        raise ValidationFailed({"suggestion": [_l("This suggestion has already been decided")]})
    if start is None and end is None:
        start, end = suggestion.start_offset, suggestion.end_offset
    created = ops.add_codings(suggestion.item, [suggestion.code], user, start, end, origin="suggestion")
    suggestion.state, suggestion.decided_by_id, suggestion.decided_at = ACCEPTED, user.id, utcnow()
    return created


def reject(suggestion: Suggestion, user) -> None:
    if suggestion.state != PENDING:
        raise ValidationFailed({"suggestion": [_l("This suggestion has already been decided")]})
    suggestion.state, suggestion.decided_by_id, suggestion.decided_at = REJECTED, user.id, utcnow()
    record("suggestion.reject", "evidence", suggestion.item_id, summary=f"{suggestion.code.key} rejected",
           actor=user)


def pending_by_code(cycle_id: int) -> list[tuple[Code, int]]:
    rows = db.session.execute(
        db.select(Code, db.func.count(Suggestion.id)).join(Suggestion, Suggestion.code_id == Code.id)
        .join(EvidenceItem, Suggestion.item_id == EvidenceItem.id)
        .filter(Suggestion.state == PENDING, EvidenceItem.cycle_id == cycle_id)
        .group_by(Code.id).order_by(db.func.count(Suggestion.id).desc())).all()
    return [(code, n) for code, n in rows]


def pending_for_code(cycle_id: int, code: Code):
    return db.select(Suggestion).join(EvidenceItem, Suggestion.item_id == EvidenceItem.id) \
        .filter(Suggestion.state == PENDING, Suggestion.code_id == code.id, EvidenceItem.cycle_id == cycle_id) \
        .order_by(Suggestion.score.desc(), Suggestion.id)


def bulk_accept(cycle_id: int, code: Code, ids: list[int], user) -> int:
    chosen = db.session.execute(pending_for_code(cycle_id, code).filter(Suggestion.id.in_(ids))).scalars().all()
    for suggestion in chosen:
        accept(suggestion, user)
    return len(chosen)


# --- Topics ---------------------------------------------------------------------------------------------

def rename_topic(topic: Topic, label: str, user) -> None:
    label = (strip_control(label or "") or "").strip()
    if not label or len(label) > 120:
        raise ValidationFailed({"label": [_l("Give the topic a name of 1 to 120 characters")]})
    record("topic.rename", "topic", topic.id, before={"label": topic.label}, after={"label": label}, actor=user)
    topic.label = label


def merge_topics(target: Topic, source: Topic, user) -> None:
    if target.id == source.id or target.run_id != source.run_id:
        raise ValidationFailed({"target": [_l("Choose another topic of the same run")]})
    if source.merged_into_id or target.merged_into_id:
        raise ValidationFailed({"target": [_l("That topic has already been merged")]})
    target.member_ids = sorted(set(target.member_ids) | set(source.member_ids))
    target.representative_ids = list(dict.fromkeys(list(target.representative_ids) + list(source.representative_ids)))[:6]
    source.merged_into_id = target.id
    record("topic.merge", "topic", target.id, summary=f"{source.label} → {target.label}", actor=user)


def map_topic(topic: Topic, code: Code, user) -> int:
    """Map a topic to a code, and propose that code for the topic's items that do not have it yet."""
    if code.retired:
        raise ValidationFailed({"code": [_l("Retired codes cannot be applied")]})
    topic.mapped_code_id = code.id
    created = 0
    for item_id in topic.member_ids:
        item = db.session.get(EvidenceItem, item_id)
        if item is None or item.consent == "withdrawn":
            continue
        if code.id in _blocked(item_id):  # coded, suggested or rejected already: not proposed again
            continue
        db.session.add(Suggestion(item_id=item_id, code_id=code.id, start_offset=None, end_offset=None,
                                  score=0.6, why=[{"kind": "topic", "words": [topic.label]}], source="topic"))
        created += 1
    record("topic.map", "topic", topic.id, summary=f"{topic.label} → {code.key}: {created} items proposed",
           actor=user)
    return created


def topic_members(topic: Topic, limit: int | None = None) -> list[EvidenceItem]:
    ids = list(topic.representative_ids) + [i for i in topic.member_ids if i not in topic.representative_ids]
    ids = ids[:limit] if limit else ids
    items = {i.id: i for i in db.session.execute(db.select(EvidenceItem).filter(EvidenceItem.id.in_(ids))).scalars()}
    return [items[i] for i in ids if i in items]
