"""Evidence pages: list, create, read (and code), edit, attachments, redaction."""
from __future__ import annotations

import os

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..cities.models import City
from ..cycles.models import Cycle
from ..errors import StaleVersion, ValidationFailed, apply_to_form
from ..extensions import db
from ..input_limits import parse_id
from ..pagination import paginate
from ..permissions import can, is_facilitator, is_staff, member_city_ids, require
from . import attachments, redaction, vocab
from . import operations as ops
from .blueprint import bp
from .forms import AttachmentForm, EvidenceForm
from .models import Attachment, EvidenceItem
from .redacting import purge_after_commit
from .sanitize import render_markdown
from .uploads import UploadRejected


def get_item_or_404(item_id: int) -> EvidenceItem:
    return db.get_or_404(EvidenceItem, item_id)


def _form_choices(form: EvidenceForm, item: EvidenceItem | None = None) -> list[Cycle]:
    """Cities the person may add evidence for, and the cycles those cities take part in: open cycles first.
    An item being edited keeps its own cycle among the choices, even a closed one (else the select would
    silently move it to another cycle)."""
    stmt = db.select(City).filter(City.active.is_(True)).order_by(City.name)
    if not (is_facilitator(current_user) or is_staff(current_user)):
        stmt = stmt.filter(City.id.in_(member_city_ids(current_user)))
    cities = db.session.execute(stmt).scalars().all()
    form.city.choices = [(c.slug, c.name) for c in cities]
    city_ids = {c.id for c in cities}
    cycles = [c for c in db.session.execute(db.select(Cycle).filter(Cycle.state != "closed")
                                            .order_by(Cycle.starts_on.desc())).scalars()
              if c.city_ids & city_ids]
    if item is not None and item.cycle is not None and item.cycle not in cycles:
        cycles.append(item.cycle)
    cycles.sort(key=lambda c: c.state != "open")  # stable: newest open first, then drafts
    form.cycle.choices = [(str(c.id), c.name if c.state == "open" else _("%(cycle)s (not open yet)", cycle=c.name))
                          for c in cycles]
    return cycles


def _default_cycle(cycles: list[Cycle], city_slug: str | None) -> str | None:
    """The open cycle the city takes part in (else its next one): never a draft when one is in progress."""
    city = db.session.execute(db.select(City).filter_by(slug=city_slug)).scalar_one_or_none() if city_slug else None
    for cycle in cycles:
        if city is None or city.id in cycle.city_ids:
            return str(cycle.id)
    return None


def _filters() -> dict:
    args = request.args
    city = db.session.execute(db.select(City).filter_by(slug=args.get("city", ""))).scalar_one_or_none()
    cycle_id = parse_id(args.get("cycle"))
    cycle = db.session.get(Cycle, cycle_id) if cycle_id is not None else None
    return {
        "city": city, "cycle": cycle,
        "type": args.get("type") if args.get("type") in vocab.values(vocab.EVIDENCE_TYPES) else None,
        "language": args.get("language") if args.get("language") in vocab.values(vocab.LANGUAGES) else None,
        "group": args.get("group") if args.get("group") in vocab.values(vocab.VULNERABLE_GROUPS) else None,
        "coded": args.get("coded") if args.get("coded") in ("yes", "no") else None,
        "q": (args.get("q") or "").strip()[:100] or None,
    }


@bp.route("/")
@login_required
def index():
    require("evidence.list")
    filters = _filters()
    pager = paginate(ops.visible_items(current_user, **filters))
    cities = db.session.execute(db.select(City).filter(City.active.is_(True)).order_by(City.name)).scalars().all()
    cycles = db.session.execute(db.select(Cycle).filter(Cycle.state != "draft")
                                .order_by(Cycle.starts_on.desc())).scalars().all()
    return render_template("evidence/index.html", pager=pager, filters=filters, cities=cities, cycles=cycles,
                           vocab=vocab, can_create=can(current_user, "evidence.create"))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    require("evidence.create")
    form = EvidenceForm()
    cycles = _form_choices(form)
    if request.method == "GET":
        form.city.data = request.args.get("city") or (form.city.choices[0][0] if len(form.city.choices) == 1
                                                      else None)
        form.cycle.data = request.args.get("cycle") or _default_cycle(cycles, form.city.data)
    if form.validate_on_submit():
        city = db.session.execute(db.select(City).filter_by(slug=form.city.data)).scalar_one_or_none()
        if city is None or not can(current_user, "evidence.create", city):
            abort(403)
        try:
            item = ops.create_item(form.data_for_operations(), actor=current_user)
        except ValidationFailed as err:
            db.session.rollback()
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash(_("Evidence saved."), "success")
            return redirect(url_for("evidence.show", item_id=item.id))
    return render_template("evidence/form.html", form=form, item=None), (400 if form.errors else 200)


@bp.route("/<int:item_id>")
@login_required
def show(item_id: int):
    item = get_item_or_404(item_id)
    require("evidence.view", item)
    from ..coding import views_codes
    context = views_codes.coding_panel(item) if can(current_user, "coding.view") else {}
    return render_template("evidence/show.html", item=item, body=render_markdown(item.text), vocab=vocab,
                           attachment_form=AttachmentForm() if can(current_user, "evidence.edit", item) else None,
                           attachment_message=attachments.text_message, **context)


@bp.route("/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
def edit(item_id: int):
    item = get_item_or_404(item_id)
    require("evidence.edit", item)
    form = EvidenceForm(obj=item)
    _form_choices(form, item)
    if request.method == "GET":
        form.city.data, form.cycle.data = item.city.slug, str(item.cycle_id)
        form.vulnerable_groups.data = item.group_list
        form.version.data = str(item.version)
    if form.validate_on_submit():
        try:
            ops.update_item(item, form.data_for_operations(), actor=current_user,
                            expected_version=parse_version(request.form.get("version")))
        except ValidationFailed as err:
            db.session.rollback()
            apply_to_form(form, err)
        except StaleVersion:
            db.session.rollback()
            return _edit_conflict(get_item_or_404(item_id), form)
        else:
            db.session.commit()
            flash(_("Changes saved."), "success")
            return redirect(url_for("evidence.show", item_id=item.id))
    return render_template("evidence/form.html", form=form, item=item,
                           text_locked=ops.item_has_codings(item)), (400 if form.errors else 200)


def parse_version(value) -> int:
    """The form's version; a form without one (or a forged one) counts as based on no version at all."""
    number = parse_id(str(value or "").strip())
    return -1 if number is None else number


def _edit_conflict(item: EvidenceItem, submitted: EvidenceForm):
    """Someone changed the item meanwhile: start again from what is stored now, and list what this person had
    changed so they can make it again. Their copy of the text is not shown: it may hold redacted details."""
    labels = {name: getattr(submitted, name).label.text for name in EvidenceForm.FIELDS}
    stored = {"city": item.city.slug, "cycle": str(item.cycle_id), "type": item.type, "title": item.title,
              "text": item.text, "date": item.date, "language": item.language, "area": item.area,
              "source": item.source, "gender": item.gender, "age_group": item.age_group,
              "vulnerable_groups": item.group_list, "consent": item.consent, "visibility": item.visibility}
    yours = submitted.data_for_operations()
    cycle_names = {str(c.id): c.name for c in db.session.execute(db.select(Cycle)).scalars()}

    def shown(name, value):
        return cycle_names.get(value, value) if name == "cycle" else value
    changed = [(labels[name], None if name == "text" else shown(name, yours[name])) for name in EvidenceForm.FIELDS
               if yours[name] != stored[name] and not (name == "vulnerable_groups" and
                                                      sorted(yours[name] or []) == sorted(stored[name]))]
    form = EvidenceForm(formdata=None, obj=item)
    _form_choices(form, item)
    form.city.data, form.cycle.data = item.city.slug, str(item.cycle_id)
    form.vulnerable_groups.data = item.group_list
    form.version.data = str(item.version)
    return render_template("evidence/form.html", form=form, item=item, text_locked=ops.item_has_codings(item),
                           conflict=changed), 409


@bp.route("/<int:item_id>/attachments", methods=["POST"])
@login_required
def upload(item_id: int):
    item = get_item_or_404(item_id)
    require("evidence.edit", item)
    form = AttachmentForm()
    file = request.files.get("file")
    if not form.validate_on_submit() or file is None or not file.filename:
        flash(_("Choose a file to upload."), "error")
        return redirect(url_for("evidence.show", item_id=item.id, _anchor="attachments"))
    data = file.read(current_app.config["UPLOAD_MAX_BYTES"] + 1)
    try:
        att = ops.add_attachment(item, file.filename, data, actor=current_user)
    except UploadRejected as err:
        db.session.rollback()
        flash(str(err), "error")
        return redirect(url_for("evidence.show", item_id=item.id, _anchor="attachments"))
    db.session.commit()
    if att.text_status == attachments.PENDING:
        flash(_("%(name)s attached. Its text is being read; this page shows when it is ready.", name=att.filename),
              "success")
    else:
        flash(_("%(name)s attached.", name=att.filename), "success")
    return redirect(url_for("evidence.show", item_id=item.id, _anchor="attachments"))


def _get_attachment(item: EvidenceItem, attachment_id: int) -> Attachment:
    att = db.session.get(Attachment, attachment_id)
    if att is None or att.item_id != item.id:
        abort(404)
    return att


@bp.route("/<int:item_id>/attachments/<int:attachment_id>")
@login_required
def download(item_id: int, attachment_id: int):
    item = get_item_or_404(item_id)
    require("evidence.view", item)
    att = _get_attachment(item, attachment_id)
    if att.withheld:  # its bytes were deleted after a redaction: say why, and how to replace it
        return render_template("evidence/withheld.html", item=item, attachment=att), 410
    path = ops.attachment_path(att)
    if not os.path.isfile(path):
        abort(404)
    # Always a download, never rendered by the browser in our origin.
    response = send_file(path, mimetype=att.mime, as_attachment=True, download_name=att.filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/<int:item_id>/attachments/<int:attachment_id>/status")
@login_required
def attachment_status(item_id: int, attachment_id: int):
    """Whether an attachment's text is being read, ready, or why not; htmx polls it while it is being read."""
    item = get_item_or_404(item_id)
    require("evidence.view", item)
    att = _get_attachment(item, attachment_id)
    return render_template("evidence/_attachment_status.html", item=item, a=att,
                           attachment_message=attachments.text_message)


@bp.route("/<int:item_id>/attachments/<int:attachment_id>/replace", methods=["POST"])
@login_required
def replace_attachment(item_id: int, attachment_id: int):
    """Upload a new file in an attachment's place (a redacted copy of a withheld file)."""
    item = get_item_or_404(item_id)
    require("evidence.edit", item)
    att = _get_attachment(item, attachment_id)
    form = AttachmentForm()
    file = request.files.get("file")
    back = redirect(url_for("evidence.show", item_id=item.id, _anchor=f"attachment-{att.id}"))
    if not form.validate_on_submit() or file is None or not file.filename:
        flash(_("Choose a file to upload."), "error")
        return back
    data = file.read(current_app.config["UPLOAD_MAX_BYTES"] + 1)
    try:
        attachments.replace_attachment(att, file.filename, data, actor=current_user)
    except UploadRejected as err:
        db.session.rollback()
        flash(str(err), "error")
        return back
    db.session.commit()
    flash(_("The file was replaced by %(name)s.", name=att.filename), "success")
    return back


@bp.route("/<int:item_id>/attachments/<int:attachment_id>/use-text", methods=["POST"])
@login_required
def use_attachment_text(item_id: int, attachment_id: int):
    item = get_item_or_404(item_id)
    require("evidence.edit", item)
    att = _get_attachment(item, attachment_id)
    try:
        ops.append_attachment_text(item, att, actor=current_user)
    except ValidationFailed as err:
        flash(err.first_message, "error")
        return redirect(url_for("evidence.show", item_id=item.id, _anchor="attachments"))
    db.session.commit()
    flash(_("The text of %(name)s was added to the item and can now be coded.", name=att.filename), "success")
    return redirect(url_for("evidence.show", item_id=item.id))


@bp.route("/<int:item_id>/attachments/<int:attachment_id>/delete", methods=["POST"])
@login_required
def delete_attachment(item_id: int, attachment_id: int):
    item = get_item_or_404(item_id)
    require("evidence.edit", item)
    att = _get_attachment(item, attachment_id)
    ops.delete_attachment(att, actor=current_user)
    db.session.commit()
    flash(_("Attachment removed."), "success")
    return redirect(url_for("evidence.show", item_id=item.id, _anchor="attachments"))


@bp.route("/<int:item_id>/redact", methods=["GET", "POST"])
@login_required
def redact(item_id: int):
    item = get_item_or_404(item_id)
    require("evidence.redact", item)
    proposals = redaction.propose_redactions(item.text)
    errors = []
    if request.method == "POST" and parse_version(request.form.get("version")) != item.version:
        # The passages were chosen on an older text (someone edited or redacted it meanwhile): offsets and
        # typed phrases may no longer point where the person meant.
        errors.append(_("The text changed since you opened this page. Nothing was redacted: choose the passages "
                        "again below."))
    elif request.method == "POST":
        spans = []
        for value in request.form.getlist("span"):
            try:
                start, end = (int(v) for v in value.split("-", 1))
            except ValueError:
                continue
            spans.append((start, end))
        start, end = parse_id(request.form.get("start")), parse_id(request.form.get("end"))
        if start is not None and end is not None:
            spans.append((start, end))  # a selection: exact place
        else:
            for passage in request.form.getlist("passage"):
                if passage.strip():
                    found = ops.find_passage(item.text, passage)
                    if found is None:
                        errors.append(_("\"%(passage)s\" is not in the text.", passage=passage.strip()[:80]))
                    else:
                        spans.append(found)
        if not errors:
            try:
                count = ops.redact_item(item, spans, actor=current_user)
            except ValidationFailed as err:
                errors.append(err.first_message)
            else:
                db.session.commit()
                purge_after_commit()
                flash(ngettext_redacted(count), "success")
                return redirect(url_for("evidence.show", item_id=item.id))
    return render_template("evidence/redact.html", item=item, proposals=proposals, errors=errors,
                           error_list=[{"text": e, "href": "#passage"} for e in errors]), \
        (400 if errors else 200)


def ngettext_redacted(count: int) -> str:
    from flask_babel import ngettext
    return ngettext("%(num)s passage redacted for everyone.", "%(num)s passages redacted for everyone.", count)
