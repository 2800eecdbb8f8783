"""The codebook (load, add, edit, merge, retire), codings, memos, and how codes show in a text."""
from __future__ import annotations

import os
import random

import yaml
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import ROOT
from ..audit.operations import record
from ..errors import ValidationFailed
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..utils import slugify, strip_control
from .models import Code, Coding, DoubleCodingSample, Memo, SampleItem

CODEBOOK_PATH = os.path.join(ROOT, "rubrics", "codebook.yaml")
LOCALES = ("en", "es", "fr")
MAX_LABEL, MAX_DEFINITION = 120, 2000


# --- Codebook ----------------------------------------------------------------------------------------

def read_codebook_file(path: str = CODEBOOK_PATH) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    return list(data.get("codes") or [])


def sync_codebook(path: str = CODEBOOK_PATH) -> int:
    """Add the data file's codes that the database does not have yet (ids are fixed, edits in the app win)."""
    existing = {c.key: c for c in db.session.execute(db.select(Code)).scalars()}
    added = 0
    entries = read_codebook_file(path)
    for entry in entries:
        if entry["id"] in existing:
            continue
        code = Code(key=entry["id"], direction=entry.get("direction", "more"),
                    family=entry.get("family", "context"), labels=dict(entry.get("labels") or {}),
                    definitions=dict(entry.get("definitions") or {}))
        db.session.add(code)
        existing[code.key] = code
        added += 1
    db.session.flush()
    for entry in entries:
        if entry.get("parent") and entry["parent"] in existing and existing[entry["id"]].parent_id is None:
            existing[entry["id"]].parent = existing[entry["parent"]]
    if added:
        record("codebook.load", "codebook", None, summary=f"{added} codes loaded from {os.path.basename(path)}")
    return added


def codebook_as_data(codes: list[Code] | None = None) -> dict:
    """The codebook in the data file's format, for saving back under rubrics/ or downloading."""
    codes = codes if codes is not None else all_codes(include_retired=True)
    return {"version": 1, "codes": [{
        "id": c.key, "direction": c.direction, "family": c.family, "parent": c.parent.key if c.parent else None,
        "labels": dict(c.labels or {}), "definitions": dict(c.definitions or {}), "retired": c.retired,
        **({"merged_into": c.merged_into.key} if c.merged_into else {}),
    } for c in codes]}


def all_codes(include_retired: bool = False) -> list[Code]:
    stmt = db.select(Code).order_by(Code.family, Code.key)
    if not include_retired:
        stmt = stmt.filter(Code.retired.is_(False))
    return list(db.session.execute(stmt).scalars())


def get_code(key: str) -> Code | None:
    return db.session.execute(db.select(Code).filter_by(key=key)).scalar_one_or_none()


def get_code_or_404(key: str) -> Code:
    return db.first_or_404(db.select(Code).filter_by(key=key))


def _clean_translations(value, field: str, errors: dict, limit: int, required_en: bool) -> dict:
    if not isinstance(value, dict):
        errors[field] = [_l("Give texts per language: en, es, fr")]
        return {}
    out = {}
    for lang, text in value.items():
        if lang not in LOCALES or not isinstance(text, str):
            errors[field] = [_l("Give texts per language: en, es, fr")]
            continue
        text = (strip_control(text) or "").strip()
        if len(text) > limit:
            errors[field] = [_l("Each text must be %(n)s characters or fewer", n=limit)]
        if text:
            out[lang] = text
    if required_en and not out.get("en"):
        errors.setdefault(field, [_l("An English text is required")])
    return out


def _apply_code(code: Code, data: dict, errors: dict) -> None:
    if "labels" in data:
        code.labels = _clean_translations(data["labels"], "labels", errors, MAX_LABEL, True)
    if "definitions" in data:
        code.definitions = _clean_translations(data["definitions"], "definitions", errors, MAX_DEFINITION, False)
    if "direction" in data:
        if data["direction"] not in ("more", "less"):
            errors["direction"] = [_l("Choose \"more of\" or \"less of\"")]
        else:
            code.direction = data["direction"]
    if "family" in data:
        if data["family"] not in ("process", "culture", "context"):
            errors["family"] = [_l("Choose process, culture or context")]
        else:
            code.family = data["family"]
    if "parent" in data:
        parent_key = data["parent"] or None
        if parent_key is None:
            code.parent = None
        else:
            parent = get_code(str(parent_key))
            if parent is None or parent.retired:
                errors["parent"] = [_l("Unknown parent code")]
            elif parent.key == code.key or _is_descendant(parent, code):
                errors["parent"] = [_l("A code cannot be placed under itself")]
            else:
                code.parent = parent


def _is_descendant(node: Code, ancestor: Code) -> bool:
    seen = set()
    while node is not None and node.id not in seen:
        if node.id is not None and node.id == ancestor.id:
            return True
        seen.add(node.id)
        node = node.parent
    return False


def create_code(data: dict, actor=None) -> Code:
    errors: dict[str, list] = {}
    key = slugify(str(data.get("key") or (data.get("labels") or {}).get("en") or "")).replace("-", "_")[:60]
    if not key:
        errors["key"] = [_l("Give the code an id or an English label")]
    elif get_code(key) is not None:
        errors["key"] = [_l("A code with the id %(key)s already exists", key=key)]
    code = Code(key=key or "x", direction="more", family="context")
    with db.session.no_autoflush:
        _apply_code(code, {"direction": "more", "family": "context", **data}, errors)
    if errors:
        code.parent = None
        raise ValidationFailed(errors)
    db.session.add(code)
    db.session.flush()
    record("code.create", "code", code.key, summary=code.label(), after=code.snapshot(), actor=actor)
    return code


def update_code(code: Code, data: dict, actor=None) -> Code:
    before = code.snapshot()
    errors: dict[str, list] = {}
    with db.session.no_autoflush:
        _apply_code(code, data, errors)
    if errors:
        db.session.rollback()
        raise ValidationFailed(errors)
    db.session.flush()
    after = code.snapshot()
    if after != before:
        record("code.update", "code", code.key, summary=code.label(), before=before, after=after, actor=actor)
    return code


def merge_codes(source: Code, target: Code, actor=None) -> int:
    """Move every coding of ``source`` to ``target``; ``source`` is retired and remembers where it went."""
    if source.id == target.id:
        raise ValidationFailed({"target": [_l("Choose another code to merge into")]})
    if target.retired:
        raise ValidationFailed({"target": [_l("You cannot merge into a retired code")]})
    before = source.snapshot()
    moved = db.session.execute(db.update(Coding).where(Coding.code_id == source.id)
                               .values(code_id=target.id)).rowcount
    for child in list(source.children):
        child.parent = target
    source.retired = True
    source.merged_into = target
    db.session.flush()
    record("code.merge", "code", source.key, summary=f"{source.key} → {target.key}: {moved} codings moved",
           before=before, after=source.snapshot(), actor=actor)
    return moved


def retire_code(code: Code, actor=None, retired: bool = True) -> None:
    """Retired codes are not offered for new codings; old codings keep them and stay readable."""
    if code.retired == retired:
        return
    before = code.snapshot()
    code.retired = retired
    record("code.retire" if retired else "code.restore", "code", code.key, summary=code.label(),
           before=before, after=code.snapshot(), actor=actor)


# --- Codings -----------------------------------------------------------------------------------------

def open_sample_for(user, item) -> DoubleCodingSample | None:
    """The open double-coding sample in which this person codes this item blind, if any."""
    return db.session.execute(
        db.select(DoubleCodingSample).join(SampleItem)
        .filter(SampleItem.item_id == item.id, DoubleCodingSample.reconciled_at.is_(None),
                (DoubleCodingSample.coder_a_id == user.id) | (DoubleCodingSample.coder_b_id == user.id))
    ).scalars().first()


def codings_for(user, item) -> list[Coding]:
    """What this person sees on the item: their own blind work while in a sample, otherwise what counts."""
    sample = open_sample_for(user, item) if user.is_authenticated else None
    stmt = db.select(Coding).filter(Coding.item_id == item.id).order_by(Coding.start_offset.nulls_first(),
                                                                      Coding.id)
    if sample is not None:
        stmt = stmt.filter(Coding.sample_id == sample.id, Coding.coder_id == user.id)
    else:
        stmt = stmt.filter(Coding.sample_id.is_(None))
    return list(db.session.execute(stmt).scalars())


def add_codings(item, codes: list[Code], coder, start: int | None = None, end: int | None = None,
                origin: str = "manual", rows: list | None = None) -> list[Coding]:
    """Apply codes to a passage (snapped to whole words) or the whole item; returns the codings made now.
    ``rows``, when given, receives the coding of every code, made now or already there (a double submit)."""
    if not codes:
        raise ValidationFailed({"codes": [_l("Choose at least one code")]})
    if any(c.retired for c in codes):
        raise ValidationFailed({"codes": [_l("Retired codes cannot be applied")]})
    if (start is None) != (end is None):
        raise ValidationFailed({"start": [_l("Give both the start and the end of the passage")]})
    if start is not None and not (0 <= start < end <= len(item.text)):
        raise ValidationFailed({"start": [_l("The passage must lie inside the text (0 to %(n)s)",
                                             n=len(item.text))]})
    if start is not None:
        start, end = snap_to_words(item.text, start, end)
    sample = open_sample_for(coder, item)
    created = []
    identity = {"item_id": item.id, "start_offset": start, "end_offset": end, "coder_id": coder.id,
                "sample_id": sample.id if sample else None}
    found = []
    for code in codes:
        existing = _find_coding(code_id=code.id, **identity)
        if existing is None:
            coding = Coding(item=item, code=code, origin=origin, **identity)
            try:
                with db.session.begin_nested():  # a parallel request may store the same coding first
                    db.session.add(coding)
            except IntegrityError:  # the unique index uq_codings_identity kept it to one row: theirs
                existing = _find_coding(code_id=code.id, **identity)
            else:
                created.append(coding)
                existing = coding
        if existing is not None:
            found.append(existing)
    db.session.flush()
    if rows is not None:
        rows.extend(found)
    if created:
        where = _l("whole item") if start is None else f"{start}–{end}"
        record("coding.create", "evidence", item.id,
               summary=f"{item.title}: {', '.join(c.code.key for c in created)} ({where})",
               after={"codes": [c.code.key for c in created], "start": start, "end": end,
                      "blind": sample is not None}, actor=coder)
    return created


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_'’-"


def snap_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Whole words only: a passage that cuts a word («Wome») is widened to the word («Women»); spaces at its
    edges are dropped, as are commas, colons and semicolons there. The page's selection does the same, so what
    is shown is what is stored."""
    while start < end and (text[start].isspace() or text[start] in ",;:"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:"):
        end -= 1
    while start > 0 and _is_word_char(text[start - 1]) and _is_word_char(text[start]):
        start -= 1
    while end < len(text) and _is_word_char(text[end - 1]) and _is_word_char(text[end]):
        end += 1
    if end <= start:
        raise ValidationFailed({"start": [_l("The passage holds only spaces: select some words")]})
    return start, end


def _find_coding(**identity) -> Coding | None:
    return db.session.execute(db.select(Coding).filter_by(**identity).limit(1)).scalar_one_or_none()


def delete_coding(coding: Coding, actor=None) -> None:
    record("coding.delete", "evidence", coding.item_id, summary=f"{coding.code.key} removed",
           before={"code": coding.code.key, "start": coding.start_offset, "end": coding.end_offset,
                   "coder": coding.coder.email if coding.coder else None}, actor=actor)
    db.session.delete(coding)


def add_memo(target_type: str, target_id: int, text: str, author) -> Memo:
    text = (strip_control(text or "") or "").strip()
    if not text:
        raise ValidationFailed({"memo": [_l("Write the memo first")]})
    if len(text) > 10_000:
        raise ValidationFailed({"memo": [_l("A memo must be 10,000 characters or fewer")]})
    memo = Memo(target_type=target_type, target_id=target_id, text=text, author=author)
    db.session.add(memo)
    db.session.flush()
    return memo


def memos_for(target_type: str, ids: list[int]) -> dict[int, list[Memo]]:
    if not ids:
        return {}
    out: dict[int, list[Memo]] = {}
    for memo in db.session.execute(db.select(Memo).filter(Memo.target_type == target_type, Memo.target_id.in_(ids))
                                   .order_by(Memo.created_at)).scalars():
        out.setdefault(memo.target_id, []).append(memo)
    return out


def segments(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[str, list[str]]]:
    """Split text into runs, each with the codes covering it, so overlapping codings highlight correctly."""
    cuts = {0, len(text)}
    for start, end, _key in spans:
        cuts.update((max(0, min(start, len(text))), max(0, min(end, len(text)))))
    bounds = sorted(cuts)
    out = []
    for a, b in zip(bounds, bounds[1:]):
        if a == b:
            continue
        keys = sorted({key for start, end, key in spans if start <= a and end >= b})
        out.append((text[a:b], keys))
    return out


def passages_for_code(code: Code, *, city_id=None, cycle_id=None, type=None, group=None, coder_id=None):
    """Every counted passage coded with this code (and its merged-away codes, which now point here)."""
    from ..evidence.models import EvidenceItem
    stmt = db.select(Coding).join(EvidenceItem, Coding.item_id == EvidenceItem.id) \
        .options(selectinload(Coding.coder)) \
        .filter(Coding.code_id == code.id, Coding.sample_id.is_(None)) \
        .order_by(EvidenceItem.city_id, EvidenceItem.id, Coding.start_offset)
    if city_id:
        stmt = stmt.filter(EvidenceItem.city_id == city_id)
    if cycle_id:
        stmt = stmt.filter(EvidenceItem.cycle_id == cycle_id)
    if type:
        stmt = stmt.filter(EvidenceItem.type == type)
    if group:
        stmt = stmt.filter(EvidenceItem.vulnerable_groups.like(f"%{group[:30]}%"))
    if coder_id:
        stmt = stmt.filter(Coding.coder_id == coder_id)
    return stmt


def has_counted_coding():
    """SQL: the evidence item has at least one coding that counts (never blind double-coding work)."""
    from ..evidence.models import EvidenceItem
    return db.select(Coding.id).filter(Coding.item_id == EvidenceItem.id, Coding.sample_id.is_(None)).exists()


def code_usage() -> dict[int, int]:
    rows = db.session.execute(db.select(Coding.code_id, func.count(Coding.id)).filter(Coding.sample_id.is_(None))
                              .group_by(Coding.code_id))
    return dict(rows.all())


def random_sample(item_ids: list[int], size: int, seed: int) -> list[int]:
    pool = sorted(item_ids)
    return sorted(random.Random(seed).sample(pool, min(size, len(pool))))
