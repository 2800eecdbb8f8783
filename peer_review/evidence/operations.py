"""Creating, changing, importing, redacting evidence and storing its attachments. Every change is audited."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import uuid

from flask import current_app
from ..i18n import lazy_gettext as _l
from sqlalchemy import func, or_

from ..audit.operations import record
from ..cities.models import City
from ..cycles.models import Cycle
from ..errors import ValidationFailed
from ..extensions import db
from ..permissions import visible_evidence_clause
from . import redaction, uploads, vocab
from .models import Attachment, EvidenceItem
from .sanitize import clean_text

MAX_TEXT = 100_000
ENUMS = {
    "type": vocab.EVIDENCE_TYPES, "language": vocab.LANGUAGES, "gender": vocab.GENDERS,
    "age_group": vocab.AGE_GROUPS, "consent": vocab.CONSENT, "visibility": vocab.VISIBILITY,
}
REQUIRED = ("city", "cycle", "type", "title", "text", "language", "consent", "visibility")
LIMITS = {"title": 200, "area": 120, "source": 300}


def _check(data: dict, partial: bool) -> dict:
    """Validate plain values (from a form, the API or an import) into model fields; raise on any problem."""
    errors: dict[str, list] = {}
    out: dict = {}
    for key in REQUIRED:
        if not partial and not data.get(key):
            errors[key] = [_l("This field is required")]
    if data.get("city"):
        city = data["city"] if isinstance(data["city"], City) else db.session.execute(
            db.select(City).filter_by(slug=str(data["city"]))).scalar_one_or_none()
        if city is None:
            errors["city"] = [_l("Unknown city")]
        else:
            out["city"] = city
    if data.get("cycle"):
        cycle = data["cycle"]
        if not isinstance(cycle, Cycle):
            key = str(cycle)
            cycle = db.session.get(Cycle, int(key)) if key.isdigit() else db.session.execute(
                db.select(Cycle).filter_by(name=key)).scalar_one_or_none()
        if cycle is None:
            errors["cycle"] = [_l("Unknown cycle")]
        else:
            out["cycle"] = cycle
    if "city" in out and "cycle" in out and out["city"].id not in out["cycle"].city_ids:
        errors["cycle"] = [_l("%(city)s does not take part in %(cycle)s", city=out["city"].name,
                              cycle=out["cycle"].name)]
    for key, voc in ENUMS.items():
        if data.get(key):
            if data[key] not in vocab.values(voc):
                errors[key] = [_l("Choose one of: %(values)s", values=", ".join(vocab.values(voc)))]
            else:
                out[key] = data[key]
    for key in ("title", "area", "source"):
        if key in data and data[key] is not None:
            value = clean_text(str(data[key])).strip()
            if len(value) > LIMITS[key]:
                errors[key] = [_l("Must be %(n)s characters or fewer", n=LIMITS[key])]
            elif key == "title" and not value:
                errors[key] = [_l("This field is required")]
            out[key] = value
    if "text" in data and data["text"] is not None:
        text = clean_text(str(data["text"]))
        if len(text) > MAX_TEXT:
            errors["text"] = [_l("The text must be %(n)s characters or fewer; attach longer documents instead",
                                 n=f"{MAX_TEXT:,}")]
        elif not text.strip():
            errors["text"] = [_l("This field is required")]
        out["text"] = text
    if "date" in data:
        value = data["date"]
        if value in (None, ""):
            out["date"] = None
        elif isinstance(value, dt.date):
            out["date"] = value
        else:
            try:
                out["date"] = dt.date.fromisoformat(str(value))
            except ValueError:
                errors["date"] = [_l("Enter a date as YYYY-MM-DD")]
    if "vulnerable_groups" in data and data["vulnerable_groups"] is not None:
        groups = data["vulnerable_groups"]
        if isinstance(groups, str):
            groups = [g for g in groups.split(";") if g]
        if not isinstance(groups, (list, tuple)) or any(g not in vocab.values(vocab.VULNERABLE_GROUPS)
                                                         for g in groups):
            errors["vulnerable_groups"] = [_l("Choose from: %(values)s",
                                              values=", ".join(vocab.values(vocab.VULNERABLE_GROUPS)))]
        else:
            out["vulnerable_groups"] = ";".join(dict.fromkeys(g for g in groups if g != "none"))
    if errors:
        raise ValidationFailed(errors)
    return out


def create_item(data: dict, actor=None) -> EvidenceItem:
    values = _check(data, partial=False)
    item = EvidenceItem(created_by=actor, **values)
    db.session.add(item)
    db.session.flush()
    record("evidence.create", "evidence", item.id, summary=item.title, after=item.snapshot(), actor=actor)
    return item


def update_item(item: EvidenceItem, data: dict, actor=None) -> EvidenceItem:
    values = _check(data, partial=True)
    if "text" in values and values["text"] != item.text and item_has_codings(item):
        raise ValidationFailed({"text": [_l("This item has been coded: its text can no longer change, because "
                                            "codings point into it. Redact personal details instead.")]})
    before = item.snapshot()
    city, cycle = values.get("city", item.city), values.get("cycle", item.cycle)
    if city.id not in cycle.city_ids:
        raise ValidationFailed({"cycle": [_l("%(city)s does not take part in %(cycle)s", city=city.name,
                                             cycle=cycle.name)]})
    if "text" in values and values["text"] != item.text:
        from ..coding.nlp_models import Suggestion
        # Suggestions point into the old text; they are made again by the next run.
        db.session.execute(db.delete(Suggestion).where(Suggestion.item_id == item.id))
    for key, value in values.items():
        setattr(item, key, value)
    db.session.flush()
    after = item.snapshot()
    if after != before:
        record("evidence.update", "evidence", item.id, summary=item.title, before=before, after=after,
               actor=actor)
    return item


def item_has_codings(item: EvidenceItem) -> bool:
    from ..coding.models import Coding
    return db.session.execute(db.select(Coding.id).filter_by(item_id=item.id).limit(1)).first() is not None


# --- Lists -------------------------------------------------------------------------------------------

def visible_items(user, *, city: City | None = None, cycle: Cycle | None = None, type: str | None = None,
                  language: str | None = None, q: str | None = None, coded: str | None = None,
                  group: str | None = None):
    from ..coding.operations import has_counted_coding
    stmt = db.select(EvidenceItem).filter(visible_evidence_clause(user, EvidenceItem)) \
        .order_by(EvidenceItem.date.desc().nulls_last(), EvidenceItem.id.desc())
    if city is not None:
        stmt = stmt.filter(EvidenceItem.city_id == city.id)
    if cycle is not None:
        stmt = stmt.filter(EvidenceItem.cycle_id == cycle.id)
    if type:
        stmt = stmt.filter(EvidenceItem.type == type)
    if language:
        stmt = stmt.filter(EvidenceItem.language == language)
    if group:
        stmt = stmt.filter(EvidenceItem.vulnerable_groups.like(f"%{group[:30]}%"))
    if q:
        like = f"%{q.strip().lower()[:100]}%"
        stmt = stmt.filter(or_(func.lower(EvidenceItem.title).like(like), func.lower(EvidenceItem.area).like(like)))
    if coded in ("yes", "no"):
        stmt = stmt.filter(has_counted_coding() if coded == "yes" else ~has_counted_coding())
    return stmt


def export_rows(items) -> list[dict]:
    return [{
        "city": i.city.slug, "cycle": i.cycle.name, "type": i.type, "title": i.title, "text": i.text,
        "date": i.date, "language": i.language, "area": i.area, "source": i.source, "gender": i.gender,
        "age_group": i.age_group, "vulnerable_groups": i.group_list, "consent": i.consent,
        "visibility": i.visibility,
    } for i in items]


# --- Import ------------------------------------------------------------------------------------------

def import_context(user) -> tuple[set[str], set[str]]:
    """The cities and cycles this person may import into."""
    from ..permissions import is_facilitator, is_staff, member_city_ids
    stmt = db.select(City.slug).filter(City.active.is_(True))
    if not (is_staff(user) or is_facilitator(user)):
        stmt = stmt.filter(City.id.in_(member_city_ids(user)))
    cities = set(db.session.execute(stmt).scalars())
    cycles = set(db.session.execute(db.select(Cycle.name).filter(Cycle.state != "closed")).scalars())
    return cities, cycles


def import_rows(rows: list[dict], actor=None) -> list[EvidenceItem]:
    """All or nothing: any row that fails stops the whole import and the caller rolls back."""
    items = []
    errors: dict[str, list] = {}
    for row in rows:
        data = {k: row.get(k) for k in ("city", "cycle", "type", "title", "text", "date", "language", "area",
                                        "source", "gender", "age_group", "vulnerable_groups", "consent",
                                        "visibility")}
        try:
            item = EvidenceItem(created_by=actor, **_check(data, partial=False))
        except ValidationFailed as err:
            for field, messages in err.fields.items():
                errors.setdefault(f"row {row.get('_row', '?')}: {field}", []).extend(messages)
            continue
        items.append(item)
    if errors:
        raise ValidationFailed(errors)
    db.session.add_all(items)
    db.session.flush()
    record("evidence.import", "evidence", None, summary=f"{len(items)} items imported",
           after={"items": [i.id for i in items]}, actor=actor)
    return items


# --- Attachments -------------------------------------------------------------------------------------

def upload_folder() -> str:
    folder = os.path.join(current_app.instance_path, "uploads")
    os.makedirs(folder, exist_ok=True)
    return folder


def add_attachment(item: EvidenceItem, filename: str, data: bytes, actor=None) -> Attachment:
    info = uploads.check_upload(filename, data, max_bytes=current_app.config["UPLOAD_MAX_BYTES"])
    text = uploads.extract_text(info.kind, data) if info.kind in ("pdf", "docx", "odt", "txt") else ""
    stored = f"{uuid.uuid4().hex}{info.extension}"
    with open(os.path.join(upload_folder(), stored), "wb") as fh:
        fh.write(data)
    att = Attachment(item=item, filename=uploads.safe_filename(filename), stored_name=stored, kind=info.kind,
                     mime=info.mime, size=info.size, sha256=hashlib.sha256(data).hexdigest(),
                     extracted_text=clean_text(text), uploaded_by_id=getattr(actor, "id", None))
    db.session.add(att)
    db.session.flush()
    record("evidence.attach", "evidence", item.id, summary=f"{item.title}: {att.filename}",
           after={"attachment": att.filename, "kind": att.kind, "size": att.size}, actor=actor)
    return att


def attachment_path(att: Attachment) -> str:
    return os.path.join(upload_folder(), att.stored_name)


def append_attachment_text(item: EvidenceItem, att: Attachment, actor=None) -> None:
    """Make an attachment's text codable by adding it to the item's text (after what is already coded)."""
    if not att.extracted_text.strip():
        raise ValidationFailed({"attachment": [_l("No text could be read from this file")]})
    addition = f"\n\n---\n\n**{att.filename}**\n\n{att.extracted_text.strip()}\n"
    if len(item.text) + len(addition) > MAX_TEXT:
        raise ValidationFailed({"attachment": [_l("The text is too long to add to the item")]})
    before = item.snapshot()
    item.text = item.text.rstrip("\n") + addition  # appended, so existing coding offsets stay valid
    record("evidence.attachment_text", "evidence", item.id, summary=f"{item.title}: {att.filename}",
           before=before, after=item.snapshot(), actor=actor)


def delete_attachment(att: Attachment, actor=None) -> None:
    path = attachment_path(att)
    record("evidence.detach", "evidence", att.item_id, summary=att.filename, before={"attachment": att.filename},
           actor=actor)
    db.session.delete(att)
    db.session.flush()
    if os.path.exists(path):
        os.remove(path)


# --- Redaction ---------------------------------------------------------------------------------------

def redact_item(item: EvidenceItem, spans: list[tuple[int, int]], actor=None) -> int:
    """Replace spans with a mask for everyone; move codings; audit that it happened, never what was removed."""
    from ..coding.models import Coding
    text = item.text
    clean = sorted({(max(0, s), min(len(text), e)) for s, e in spans if 0 <= s < e <= len(text)})
    if not clean:
        raise ValidationFailed({"spans": [_l("Choose at least one passage to redact")]})
    new_text, remap = redaction.apply_redactions(text, clean)
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
    from ..coding.nlp_models import Suggestion
    for suggestion in db.session.execute(db.select(Suggestion).filter_by(item_id=item.id)).scalars():
        if suggestion.start_offset is None:
            continue
        moved = remap(suggestion.start_offset, suggestion.end_offset)
        # A proposal touching removed text may quote it in its reasons: it goes (the next run proposes again).
        if moved is None or moved[1] - moved[0] != suggestion.end_offset - suggestion.start_offset:
            db.session.delete(suggestion)
        else:
            suggestion.start_offset, suggestion.end_offset = moved
    _scrub_topics(item.cycle_id, [text[s:e] for s, e in clean])
    item.text = new_text
    item.redactions = (item.redactions or 0) + 1
    record("evidence.redact", "evidence", item.id, summary=f"{item.title}: {len(clean)} passage(s) redacted",
           after={"passages": len(clean), "codings_removed": removed}, actor=actor)
    return len(clean)


def _fold(word: str) -> str:
    import unicodedata
    return unicodedata.normalize("NFKD", word.lower()).encode("ascii", "ignore").decode("ascii")


def _scrub_topics(cycle_id: int, removed: list[str]) -> None:
    """Topic words are lemmas of the cycle's texts: drop any that came from the removed passages."""
    import re
    from ..coding.nlp_models import TopicRun
    tokens = {_fold(w) for passage in removed for w in re.findall(r"\w{4,}", passage)}
    if not tokens:
        return

    def scrub(value):
        if isinstance(value, str):
            return "[redacted]" if any(t in _fold(value) for t in tokens) else value
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
                    topic.label = ", ".join(words[:4]) or "[redacted]"


def find_passage(text: str, passage: str) -> tuple[int, int] | None:
    """Offsets of typed or pasted words in the stored text: exact first, then ignoring case."""
    passage = passage.strip()
    if not passage:
        return None
    start = text.find(passage)
    if start < 0:
        start = text.lower().find(passage.lower())
    return None if start < 0 else (start, start + len(passage))
