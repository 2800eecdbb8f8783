"""Redaction everywhere: what a person removes from an item leaves no copy a person or an export can reach.

The item's text is rewritten (every occurrence of each removed phrase, not only the one selected), and so are its
title, area and source; codings and suggestions move with the text; attachments are rewritten or withheld
(``attachments.redact_attachments``); memos on the item, its codings and the codebook, suggestion reasons, topic
words and the audit log are scrubbed; the trained classifier, which keeps words as features, is deleted and
retrained in the background from the redacted texts. The audit log keeps that a redaction happened and where,
never what was removed. After the commit, ``purge_after_commit`` makes SQLite drop the old pages from its
write-ahead log.
"""
from __future__ import annotations

import os
import re
import unicodedata

from ..audit.operations import record
from ..errors import ValidationFailed
from ..extensions import db
from ..i18n import lazy_gettext as _l
from . import redaction
from .models import EvidenceItem

MASK = redaction.DEFAULT_MASK
MIN_PHRASE = 2  # a single character is never spread to its other occurrences


def phrase_pattern(phrase: str) -> re.Pattern | None:
    """Every occurrence of a phrase: any case, any run of white space between its words, whole words only."""
    words = phrase.split()
    if not words or len("".join(words)) < MIN_PHRASE:
        return None
    body = r"\s+".join(re.escape(w) for w in words)
    before = r"(?<!\w)" if re.match(r"\w", words[0]) else ""
    after = r"(?!\w)" if re.search(r"\w$", words[-1]) else ""
    return re.compile(before + body + after, re.IGNORECASE)


def scrub_text(value: str, patterns: list[re.Pattern]) -> str:
    for pattern in patterns:
        value = pattern.sub(MASK, value)
    return value


def scrub_value(value, patterns: list[re.Pattern]):
    """The same through JSON: strings anywhere in lists and dicts (audit before/after, job results)."""
    if isinstance(value, str):
        return scrub_text(value, patterns)
    if isinstance(value, list):
        return [scrub_value(v, patterns) for v in value]
    if isinstance(value, dict):
        return {k: scrub_value(v, patterns) for k, v in value.items()}
    return value


def all_occurrences(text: str, spans: list[tuple[int, int]]) -> tuple[list[tuple[int, int]], list[str]]:
    """The chosen spans plus every other occurrence of the phrases they hold; and those phrases."""
    phrases = list(dict.fromkeys(text[s:e].strip() for s, e in spans if text[s:e].strip()))
    found = list(spans)
    for phrase in phrases:
        pattern = phrase_pattern(phrase)
        if pattern is not None:
            found.extend(m.span() for m in pattern.finditer(text))
    return redaction.merge_spans(found, len(text)), phrases


def redact_item(item: EvidenceItem, spans: list[tuple[int, int]], actor=None) -> int:
    """Replace the spans, and every other occurrence of what they hold, with a mask for everyone."""
    text = item.text
    chosen = sorted({(max(0, s), min(len(text), e)) for s, e in spans if 0 <= s < e <= len(text)})
    if not chosen:
        raise ValidationFailed({"spans": [_l("Choose at least one passage to redact")]})
    regions, phrases = all_occurrences(text, chosen)
    removed_text = [text[s:e] for s, e in regions]
    patterns = [p for p in (phrase_pattern(x) for x in phrases) if p is not None]
    new_text, remap = redaction.apply_redactions(text, regions)
    codings_removed = _move_codings(item, remap)
    _move_suggestions(item, remap, removed_text)
    _scrub_topics(item.cycle_id, removed_text)
    item.text = new_text
    for field in ("title", "area", "source"):
        setattr(item, field, scrub_text(getattr(item, field) or "", patterns))
    item.redactions = (item.redactions or 0) + 1
    memos = _scrub_memos(item, patterns)
    audit = _scrub_audit(phrases, patterns)
    from .attachments import redact_attachments
    attachments = redact_attachments(item, phrases, actor=actor)  # counts, never text
    classifier = _forget_classifier(actor)
    record("evidence.redact", "evidence", item.id, summary=f"{item.title}: {len(regions)} passage(s) redacted",
           after={"passages": len(regions), "chosen": len(chosen), "at": [[s, e] for s, e in regions],
                  "codings_removed": codings_removed, "memos_scrubbed": memos, "audit_entries_scrubbed": audit,
                  "attachments": attachments, "classifier_retrained": classifier}, actor=actor)
    return len(regions)


def _move_codings(item: EvidenceItem, remap) -> int:
    from ..coding.models import Coding
    removed = 0
    for coding in db.session.execute(db.select(Coding).filter_by(item_id=item.id)).scalars():
        if coding.start_offset is None:
            continue
        moved = remap(coding.start_offset, coding.end_offset)
        if moved is None:
            db.session.delete(coding)
            removed += 1
        else:
            coding.start_offset, coding.end_offset = moved
    db.session.flush()
    return removed


def _move_suggestions(item: EvidenceItem, remap, removed_text: list[str]) -> None:
    """Proposals move with the text; one touching removed text, or whose reasons quote a removed word, goes
    (the next run proposes again from the redacted text)."""
    from ..coding.nlp_models import Suggestion
    tokens = _tokens(removed_text, minimum=2)
    for suggestion in db.session.execute(db.select(Suggestion).filter_by(item_id=item.id)).scalars():
        reasons = " ".join(str(w) for w in (suggestion.why or []))
        if any(t in _fold_words(reasons) for t in tokens):
            db.session.delete(suggestion)
            continue
        if suggestion.start_offset is None:
            continue
        moved = remap(suggestion.start_offset, suggestion.end_offset)
        if moved is None or moved[1] - moved[0] != suggestion.end_offset - suggestion.start_offset:
            db.session.delete(suggestion)
        else:
            suggestion.start_offset, suggestion.end_offset = moved


def _scrub_memos(item: EvidenceItem, patterns: list[re.Pattern]) -> int:
    """Memos on the item and its codings, and any code memo that quotes the removed words."""
    from ..coding.models import Coding, Memo
    coding_ids = list(db.session.execute(db.select(Coding.id).filter_by(item_id=item.id)).scalars())
    stmt = db.select(Memo).filter(
        ((Memo.target_type == "item") & (Memo.target_id == item.id))
        | ((Memo.target_type == "coding") & Memo.target_id.in_(coding_ids or [-1]))
        | (Memo.target_type == "code"))
    changed = 0
    for memo in db.session.execute(stmt).scalars():
        clean = scrub_text(memo.text, patterns)
        if clean != memo.text:
            memo.text = clean
            changed += 1
    return changed


def _scrub_audit(phrases: list[str], patterns: list[re.Pattern]) -> int:
    """Earlier audit entries that quote a removed phrase (a title, a file name): the phrase becomes the mask,
    the rest of the entry (who, when, what kind of change) stays."""
    from sqlalchemy import Text, cast, or_

    from ..audit.models import AuditEntry
    if not patterns:
        return 0
    likes = []
    for phrase in phrases:
        needle = max(re.findall(r"\w+", phrase) or [""], key=len)  # a candidate filter; the pattern decides
        if len(needle) >= MIN_PHRASE:
            like = f"%{needle}%"
            likes += [AuditEntry.summary.ilike(like), cast(AuditEntry.before, Text).ilike(like),
                      cast(AuditEntry.after, Text).ilike(like)]
    changed = 0
    for entry in db.session.execute(db.select(AuditEntry).filter(or_(*likes))).scalars() if likes else ():
        summary = scrub_text(entry.summary or "", patterns)
        before, after = scrub_value(entry.before, patterns), scrub_value(entry.after, patterns)
        if (summary, before, after) != (entry.summary, entry.before, entry.after):
            entry.summary, entry.before, entry.after = summary, before, after
            changed += 1
    return changed


def _forget_classifier(actor) -> bool:
    """The trained classifier keeps words of accepted passages as features: delete it now, retrain later."""
    from ..coding.nlp_adapter import classifier_path
    from ..jobs.worker import enqueue
    path = classifier_path()
    if not os.path.exists(path):
        return False
    os.remove(path)
    enqueue("retrain_classifier", actor=actor)
    return True


def purge_after_commit() -> None:
    """Old versions of the rewritten rows live on in SQLite's write-ahead log until a checkpoint: fold the log
    into the database (whose secure_delete overwrites the freed space) and empty it."""
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _fold_words(text: str) -> str:
    return unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode("ascii")


def _tokens(passages: list[str], minimum: int) -> set[str]:
    return {_fold_words(w) for passage in passages for w in re.findall(r"\w{%d,}" % minimum, passage)}


def _scrub_topics(cycle_id: int, removed: list[str]) -> None:
    """Topic words are lemmas of the cycle's texts: drop any that came from the removed passages."""
    from ..coding.nlp_models import TopicRun
    tokens = _tokens(removed, minimum=4)
    if not tokens:
        return

    def scrub(value):
        if isinstance(value, str):
            return MASK if any(t in _fold_words(value) for t in tokens) else value
        if isinstance(value, list):
            return [scrub(v) for v in value if not (isinstance(v, str) and scrub(v) != v)]
        if isinstance(value, dict):
            return {k: scrub(v) for k, v in value.items()}
        return value

    for run in db.session.execute(db.select(TopicRun).filter_by(cycle_id=cycle_id)).scalars():
        run.result = scrub(run.result)
        for topic in run.topics:
            words = scrub(topic.words)
            if words != topic.words:
                topic.words = words
                if scrub(topic.label) != topic.label:
                    topic.label = ", ".join(words[:4]) or MASK


def find_passage(text: str, passage: str) -> tuple[int, int] | None:
    """Offsets of typed or pasted words in the stored text: exact first, then ignoring case and spacing."""
    passage = passage.strip()
    if not passage:
        return None
    start = text.find(passage)
    if start >= 0:
        return start, start + len(passage)
    pattern = phrase_pattern(passage)
    match = pattern.search(text) if pattern is not None else None
    if match is None:
        start = text.lower().find(passage.lower())
        return None if start < 0 else (start, start + len(passage))
    return match.span()
