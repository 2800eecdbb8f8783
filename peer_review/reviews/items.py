"""A peer review's strengths and recommendations: adding, changing (versioned, through ``peer_review.drafts``,
so a change based on an older version raises ``ItemConflict``) and removing them while the review is a draft.
Every change is audited with ids and lengths, never the words; the request commits. ``operations`` re-exports
the public names (``ops.save_strength`` and the like)."""
from __future__ import annotations

from .. import drafts
from ..assessments import rubric
from ..audit.operations import record
from ..errors import ValidationFailed
from ..evidence.sanitize import clean_text
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..utils import utcnow
from .models import PRIORITIES, Recommendation, Review, Strength

MAX_TEXT = 5_000
PRIORITY_KEYS = tuple(k for k, _label in PRIORITIES)


class ItemConflict(drafts.DraftConflict):
    """A strength or recommendation changed (or was removed) since the version the change was based on."""

    def __init__(self, row, yours: dict):
        super().__init__(row, item_data(row) if row is not None else {}, yours)


def item_data(row) -> dict:
    out = {"id": row.id, "text": row.text, "criterion_ids": list(row.criterion_ids or []), "version": row.version}
    if isinstance(row, Strength):
        out["good_practice"] = row.good_practice
    else:
        out["priority"] = row.priority
    return out


def _item_audit(row) -> dict:
    out = {"id": row.id, "text_length": len(row.text or ""), "criteria": list(row.criterion_ids or []),
           "version": row.version}
    out.update({"good_practice": row.good_practice} if isinstance(row, Strength) else {"priority": row.priority})
    return out


def _as_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("1", "true", "yes", "y", "on")


def _check_item(review: Review, row, data: dict, kind: str) -> dict:
    current = item_data(row) if row is not None else {"text": "", "criterion_ids": [], "good_practice": False,
                                                      "priority": "medium"}
    merged = {k: data[k] if k in data else current.get(k) for k in ("text", "criterion_ids", "good_practice",
                                                                      "priority")}
    errors: dict[str, list] = {}
    out: dict = {"text": clean_text(str(merged["text"] or "")).strip()}
    if not out["text"]:
        errors["text"] = [_l("Write the strength") if kind == "strength" else _l("Write the recommendation")]
    elif len(out["text"]) > MAX_TEXT:
        errors["text"] = [_l("Must be %(n)s characters or fewer", n=f"{MAX_TEXT:,}")]
    ids = merged["criterion_ids"] or []
    if isinstance(ids, str):
        ids = [ids]
    known = rubric.criterion_ids(review.assessment.rubric_version)
    if not isinstance(ids, (list, tuple)) or any(not isinstance(i, str) or i not in known for i in ids):
        errors["criterion_ids"] = [_l("Link criteria of this review's rubric only")]
        ids = []
    out["criterion_ids"] = [i for i in known if i in set(ids)]  # rubric order, no repeats
    if kind == "strength":
        out["good_practice"] = _as_bool(merged["good_practice"])
    else:
        if merged["priority"] not in PRIORITY_KEYS:
            errors["priority"] = [_l("Choose a priority: high, medium or low")]
        out["priority"] = merged["priority"]
        if not out["criterion_ids"] and "criterion_ids" not in errors:
            errors["criterion_ids"] = [_l("Link the recommendation to at least one criterion")]
    if errors:
        raise ValidationFailed(errors)
    return out


def _save_item(review: Review, model, kind: str, row, values: dict, posted_version, actor):
    from .operations import _editable, _summary  # operations imports this module
    _editable(review)
    yours = {k: values.get(k) for k in ("text", "criterion_ids", "good_practice", "priority") if k in values}
    actor_id = getattr(actor, "id", None)
    row_id = row.id if row is not None else None

    def create():
        last = max([r.position for r in getattr(review, kind + "s")] or [0])
        return model(review=review, position=last + 1)

    def apply(target, checked: dict) -> None:
        for key, value in checked.items():
            setattr(target, key, value)
        target.updated_by_id = actor_id
        target.updated_at = utcnow()

    saved = drafts.save_versioned(
        row, posted_version if row is not None else None,
        validate=lambda target: _check_item(review, target, values, kind),
        differs=lambda target, checked: any(getattr(target, k) != v for k, v in checked.items()),
        create=create, apply=apply, conflict=lambda target: ItemConflict(target, yours),
        reload=lambda: db.session.get(model, row_id) if row_id else None, snapshot=_item_audit)
    if saved.changed:
        record(f"review.{kind}_save", "review", review.id, summary=_summary(review, f"{kind} {saved.row.id}"),
               before=saved.before, after=_item_audit(saved.row), actor=actor)
    return saved.row


def save_strength(review: Review, strength: Strength | None, values: dict, posted_version=None, actor=None):
    """Add (``strength`` None) or change a strength; a change based on another version raises ItemConflict."""
    return _save_item(review, Strength, "strength", strength, values, posted_version, actor)


def save_recommendation(review: Review, rec: Recommendation | None, values: dict, posted_version=None, actor=None):
    return _save_item(review, Recommendation, "recommendation", rec, values, posted_version, actor)


def _delete_item(review: Review, row, kind: str, posted_version, actor) -> None:
    from .operations import _editable, _summary  # operations imports this module
    _editable(review)
    drafts.check_version(row, posted_version, lambda target: ItemConflict(target, {}))
    if kind == "recommendation" and row.response is not None and (
            row.response.decision or row.response.comment or row.response.action):
        # A reopened review whose city already answered this recommendation: the answer must not vanish.
        raise ValidationFailed({"recommendation": [_l(
            "The city has already responded to this recommendation: change its text instead of removing it.")]})
    if kind == "recommendation" and row.response is not None:
        db.session.delete(row.response)
    before = _item_audit(row)
    getattr(review, kind + "s").remove(row)
    db.session.delete(row)
    db.session.flush()
    record(f"review.{kind}_delete", "review", review.id, summary=_summary(review, f"{kind} {before['id']}"),
           before=before, actor=actor)


def delete_strength(review: Review, strength: Strength, posted_version=None, actor=None) -> None:
    _delete_item(review, strength, "strength", posted_version, actor)


def delete_recommendation(review: Review, rec: Recommendation, posted_version=None, actor=None) -> None:
    _delete_item(review, rec, "recommendation", posted_version, actor)

