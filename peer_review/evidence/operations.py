"""Creating, changing, importing, redacting evidence and storing its attachments. Every change is audited."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, or_
from sqlalchemy.orm.exc import StaleDataError

from ..audit.operations import record
from ..cities.models import City
from ..cycles.models import Cycle
from ..errors import StaleVersion, ValidationFailed
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..input_limits import parse_id
from ..permissions import visible_evidence_clause
from . import vocab
from .attachments import (  # noqa: F401
    add_attachment,
    append_attachment_text,
    attachment_path,
    delete_attachment,
    redact_attachments,
    upload_folder,
)
from .models import EvidenceItem
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
            cycle = db.session.get(Cycle, cycle_id) if (cycle_id := parse_id(key)) is not None else db.session.execute(
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


def check_version(item: EvidenceItem, expected_version: int | None) -> None:
    """Refuse a change based on an older copy of the item (a form opened before someone redacted it)."""
    if expected_version is not None and int(expected_version) != item.version:
        raise StaleVersion(item.version)


def update_item(item: EvidenceItem, data: dict, actor=None, expected_version: int | None = None) -> EvidenceItem:
    check_version(item, expected_version)
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
    try:
        db.session.flush()  # the version column makes a concurrent update of the same version fail here
    except StaleDataError:
        db.session.rollback()
        raise StaleVersion(db.session.get(EvidenceItem, item.id).version) from None
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


def importer_sees(user, item: EvidenceItem) -> bool:
    """Whoever imports an item must be able to see it afterwards: the secretariat may not put restricted
    testimonies (the city's and the facilitators' only) into a city, where it could neither read nor fix them."""
    from ..permissions import can
    return user is None or can(user, "evidence.view", item)


NOT_VISIBLE_AFTER_IMPORT = _l("You could not see this item once imported: restricted items are added by the "
                              "city or a facilitator. Choose \"city\" or \"network\" visibility, or ask them.")


def import_rows(rows: list[dict], actor=None) -> list[EvidenceItem]:
    """All or nothing: any row that fails stops the whole import and the caller rolls back."""
    items = []
    errors: dict[str, list] = {}
    for row in rows:
        data = {k: row.get(k) for k in ("city", "cycle", "type", "title", "text", "date", "language", "area",
                                        "source", "gender", "age_group", "vulnerable_groups", "consent",
                                        "visibility")}
        try:
            values = _check(data, partial=False)
            if not importer_sees(actor, EvidenceItem(city_id=values["city"].id, visibility=values["visibility"])):
                raise ValidationFailed({"visibility": [NOT_VISIBLE_AFTER_IMPORT]})
            item = EvidenceItem(created_by=actor, **values)
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


# --- Redaction: in ``redacting`` (it reaches attachments, memos, suggestions, topics and the audit log) ---

from .redacting import find_passage, redact_item  # noqa: E402,F401  (the names callers know)
