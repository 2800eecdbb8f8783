"""Codebook pages, and coding an item (the coding panel shown on the evidence page)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..cities.models import City
from ..cycles.models import Cycle
from ..errors import ValidationFailed, apply_to_form
from ..evidence import vocab
from ..evidence.models import EvidenceItem
from ..evidence.operations import find_passage
from ..extensions import db
from ..input_limits import parse_id
from ..pagination import paginate
from ..permissions import can, require
from ..users.models import FACILITATOR, NetworkRole, User
from . import operations as ops
from .blueprint import bp
from .forms import CodeForm, MemoForm, MergeForm
from .models import Code, Coding


def locale() -> str:
    return str(get_locale() or "en")


def ensure_codebook() -> None:
    """The starter codebook is loaded the first time anyone needs it."""
    if db.session.execute(db.select(Code.id).limit(1)).first() is None:
        ops.sync_codebook()
        db.session.commit()


def coding_panel(item: EvidenceItem) -> dict:
    """What the evidence page needs to show codings, and to code when the person may."""
    ensure_codebook()
    from .suggestions import pending_for
    codings = ops.codings_for(current_user, item)
    spans = [(c.start_offset, c.end_offset, c.code.key) for c in codings if not c.whole_item]
    sample = ops.open_sample_for(current_user, item)
    allowed = can(current_user, "coding.create", item)
    memos_shown = can(current_user, "memo.view")
    suggestions = pending_for(item) if allowed and sample is None else []
    suggested = [(s.start_offset, s.end_offset, "suggested:" + s.code.key) for s in suggestions
                 if s.start_offset is not None]
    return {
        "codings": codings,
        "suggestions": suggestions,
        "suggested_keys": sorted({key for _s, _e, key in suggested}),
        "segments": ops.segments(item.text, spans + suggested),
        "codes": ops.all_codes(),
        "coding_allowed": allowed,
        "blind_sample": sample,
        "memo_form": MemoForm(),
        "item_memos": ops.memos_for("item", [item.id]).get(item.id, []) if memos_shown else [],
        "coding_memos": ops.memos_for("coding", [c.id for c in codings]) if memos_shown else {},
        "locale": locale(),
    }


def _item_for_coding(item_id: int) -> EvidenceItem:
    item = db.session.get(EvidenceItem, item_id)
    if item is None:
        abort(404)
    require("coding.create", item)
    return item


@bp.route("/items/<int:item_id>/codings", methods=["POST"])
@login_required
def add_coding(item_id: int):
    item = _item_for_coding(item_id)
    keys = request.form.getlist("codes")
    codes = [c for c in (ops.get_code(k) for k in keys) if c is not None]
    whole = request.form.get("scope") == "whole"
    start = end = None
    try:
        if not whole:
            raw_start, raw_end = request.form.get("start", ""), request.form.get("end", "")
            start, end = parse_id(raw_start.strip()), parse_id(raw_end.strip())
            sent = request.form.get("version")
            if start is not None and sent is not None and parse_id(sent) != item.version:
                # Positions chosen on an older text (a redaction moved it since): they would code other words.
                raise ValidationFailed({"passage": [_("The text changed since you opened this page (for example a "
                                                      "redaction). Nothing was coded: select the passage again.")]})
            if start is None or end is None:
                found = find_passage(item.text, request.form.get("passage", ""))
                if found is None:
                    raise ValidationFailed({"passage": [_("Select a passage in the text, or type words that "
                                                          "appear in it, or choose \"whole item\".")]})
                start, end = found
        if len(codes) != len(keys):
            raise ValidationFailed({"codes": [_("Unknown code")]})
        created = ops.add_codings(item, codes, current_user, start, end)
    except ValidationFailed as err:
        db.session.rollback()
        flash(err.first_message, "error")
        return redirect(url_for("evidence.show", item_id=item.id, _anchor="coding"))
    db.session.commit()
    flash(_("Coded with %(codes)s.", codes=", ".join(c.code.label(locale()) for c in created)) if created
          else _("Those codes were already applied there."), "success")
    return redirect(url_for("evidence.show", item_id=item.id, _anchor="coding"))


@bp.route("/codings/<int:coding_id>/delete", methods=["POST"])
@login_required
def delete_coding(coding_id: int):
    coding = db.session.get(Coding, coding_id)
    if coding is None:
        abort(404)
    require("evidence.view", coding.item)
    require("coding.delete", coding)
    if coding.sample_id is not None and coding.coder_id != current_user.id:
        abort(404)  # blind work of another coder is invisible
    item_id = coding.item_id
    ops.delete_coding(coding, actor=current_user)
    db.session.commit()
    flash(_("Coding removed."), "success")
    return redirect(url_for("evidence.show", item_id=item_id, _anchor="coding"))


@bp.route("/memos/<target_type>/<int:target_id>", methods=["POST"])
@login_required
def add_memo(target_type: str, target_id: int):
    require("memo.create")
    if target_type == "item":
        item = db.session.get(EvidenceItem, target_id)
        back = url_for("evidence.show", item_id=target_id, _anchor="memos") if item else None
        target = item
    elif target_type == "coding":
        target = db.session.get(Coding, target_id)
        item = target.item if target else None
        back = url_for("evidence.show", item_id=item.id, _anchor="coding") if item else None
    elif target_type == "code":
        target = db.session.get(Code, target_id)
        item = None
        back = url_for("coding.show_code", key=target.key, _anchor="memos") if target else None
    else:
        abort(404)
    if target is None:
        abort(404)
    if item is not None:
        require("evidence.view", item)
    form = MemoForm()
    if form.validate_on_submit():
        ops.add_memo(target_type, target_id, form.memo.data, current_user)
        db.session.commit()
        flash(_("Memo added."), "success")
    else:
        flash(next(iter(form.errors.values()))[0], "error")
    return redirect(back)


# --- Codebook -------------------------------------------------------------------------------------------

@bp.route("/codes/")
@login_required
def codes():
    require("code.list")
    ensure_codebook()
    show_retired = request.args.get("retired") == "1"
    all_codes = ops.all_codes(include_retired=show_retired)
    return render_template("coding/codes.html", codes=all_codes, usage=ops.code_usage(), locale=locale(),
                           show_retired=show_retired, roots=[c for c in all_codes if c.parent is None
                                                             or c.parent not in all_codes])


def _parent_choices(form: CodeForm, exclude: Code | None = None) -> None:
    form.parent.choices = [("", _("None: a top-level code"))] + [
        (c.key, c.label(locale())) for c in ops.all_codes() if exclude is None or c.id != exclude.id]


@bp.route("/codes/new", methods=["GET", "POST"])
@login_required
def new_code():
    require("code.manage")
    form = CodeForm()
    _parent_choices(form)
    if request.method == "GET" and request.args.get("parent"):
        form.parent.data = request.args["parent"]
    if form.validate_on_submit():
        try:
            code = ops.create_code(form.data_for_operations(), actor=current_user)
        except ValidationFailed as err:
            db.session.rollback()
            apply_to_form(form, _form_fields(err))
        else:
            db.session.commit()
            flash(_("Code %(label)s added.", label=code.label(locale())), "success")
            return redirect(url_for("coding.show_code", key=code.key))
    return render_template("coding/code_form.html", form=form, code=None), (400 if form.errors else 200)


def _form_fields(err: ValidationFailed) -> ValidationFailed:
    """Map operation field names (labels, definitions) onto the form's per-language fields."""
    mapping = {"labels": "label_en", "definitions": "definition_en"}
    return ValidationFailed({mapping.get(k, k): v for k, v in err.fields.items()})


@bp.route("/codes/<key>")
@login_required
def show_code(key: str):
    require("code.view")
    code = ops.get_code_or_404(key)
    filters = {
        "city_id": parse_id(request.args.get("city")),
        "cycle_id": parse_id(request.args.get("cycle")),
        "type": request.args.get("type") if request.args.get("type") in vocab.values(vocab.EVIDENCE_TYPES) else None,
        "group": request.args.get("group") if request.args.get("group") in vocab.values(vocab.VULNERABLE_GROUPS)
        else None,
        "coder_id": parse_id(request.args.get("coder")),
    }
    pager = None
    if can(current_user, "coding.view"):
        from ..permissions import visible_evidence_clause
        stmt = ops.passages_for_code(code, **filters).filter(visible_evidence_clause(current_user, EvidenceItem))
        pager = paginate(stmt)
    code_memos = ops.memos_for("code", [code.id]).get(code.id, []) if can(current_user, "memo.view") else []
    coders = db.session.execute(db.select(User).join(NetworkRole).filter(NetworkRole.role.in_([FACILITATOR, "admin"]))
                                .order_by(User.name)).scalars().unique().all()
    return render_template(
        "coding/code.html", code=code, pager=pager, filters=filters, locale=locale(), vocab=vocab,
        cities=db.session.execute(db.select(City).order_by(City.name)).scalars().all(),
        cycles=db.session.execute(db.select(Cycle).order_by(Cycle.starts_on.desc())).scalars().all(),
        coders=coders, memo_form=MemoForm(), memos=code_memos,
        merge_form=_merge_form(code) if can(current_user, "code.manage") and not code.retired else None)


def _merge_form(code: Code) -> MergeForm:
    form = MergeForm()
    form.target.choices = [("", _("Choose a code"))] + [(c.key, c.label(locale())) for c in ops.all_codes()
                                                       if c.id != code.id]
    return form


@bp.route("/codes/<key>/edit", methods=["GET", "POST"])
@login_required
def edit_code(key: str):
    require("code.manage")
    code = ops.get_code_or_404(key)
    form = CodeForm(obj=code)
    _parent_choices(form, exclude=code)
    if request.method == "GET":
        for lang in ("en", "es", "fr"):
            getattr(form, f"label_{lang}").data = (code.labels or {}).get(lang, "")
            getattr(form, f"definition_{lang}").data = (code.definitions or {}).get(lang, "")
        form.parent.data = code.parent.key if code.parent else ""
    form.key.data = code.key  # fixed once created
    if form.validate_on_submit():
        data = form.data_for_operations()
        data.pop("key")
        try:
            ops.update_code(code, data, actor=current_user)
        except ValidationFailed as err:
            apply_to_form(form, _form_fields(err))
        else:
            db.session.commit()
            flash(_("Code saved."), "success")
            return redirect(url_for("coding.show_code", key=code.key))
    return render_template("coding/code_form.html", form=form, code=code), (400 if form.errors else 200)


@bp.route("/codes/<key>/merge", methods=["POST"])
@login_required
def merge_code(key: str):
    require("code.manage")
    code = ops.get_code_or_404(key)
    form = _merge_form(code)
    target = ops.get_code(form.target.data or "") if form.validate_on_submit() else None
    if target is None:
        flash(_("Choose the code to merge into."), "error")
        return redirect(url_for("coding.show_code", key=code.key))
    try:
        moved = ops.merge_codes(code, target, actor=current_user)
    except ValidationFailed as err:
        db.session.rollback()
        flash(err.first_message, "error")
        return redirect(url_for("coding.show_code", key=code.key))
    db.session.commit()
    flash(_("%(source)s merged into %(target)s: %(n)s codings moved.", source=code.label(locale()),
            target=target.label(locale()), n=moved), "success")
    return redirect(url_for("coding.show_code", key=target.key))


@bp.route("/codes/<key>/retire", methods=["POST"])
@login_required
def retire_code(key: str):
    require("code.manage")
    code = ops.get_code_or_404(key)
    retire = request.form.get("retired", "1") == "1"
    ops.retire_code(code, actor=current_user, retired=retire)
    db.session.commit()
    flash(_("Code retired: it is kept on old codings but not offered for new ones.") if retire
          else _("Code restored."), "success")
    return redirect(url_for("coding.show_code", key=code.key))
