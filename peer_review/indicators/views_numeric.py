"""Pages for the numbers a city reports: the list, add and change, withdraw, history, and spreadsheet import.
Thin: the work is in ``numeric``."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..cities.operations import get_city_or_404
from ..cycles.models import Cycle
from ..errors import StaleVersion, ValidationFailed, apply_to_form
from ..evidence.tabular import TableError
from ..exchange import operations as stash
from ..extensions import db
from ..input_limits import parse_id
from ..pagination import paginate
from ..permissions import can, require
from . import definitions as defs
from . import numeric
from .blueprint import bp
from .forms_numeric import ConfirmImportForm, ImportForm, NumericEntryForm, WithdrawForm
from .models import NumericEntry


def _context(city) -> dict:
    """The city's numeric indicators by key, and what every template needs to show an entry."""
    known = numeric.numeric_definitions(defs.definitions_for(defs.ensure_loaded(), city.id))
    locale = str(get_locale() or "en")
    return {"city": city, "known": known, "names": {k: defs.text(d.get("name"), locale) for k, d in known.items()},
            "unit_label": numeric.unit_label, "unit_short": numeric.unit_short,
            "sex_labels": numeric.SEX_LABELS, "age_labels": numeric.AGE_LABELS,
            "can_edit": can(current_user, "numeric.edit", city), "is_locked": numeric.is_locked,
            "iso_date": numeric.parse_date}


def _entry_or_404(city, entry_id: int) -> NumericEntry:
    entry = db.session.get(NumericEntry, entry_id)
    if entry is None or entry.city_id != city.id:
        abort(404)
    return entry


def _choices(form: NumericEntryForm, ctx: dict, entry: NumericEntry | None = None) -> None:
    form.indicator.choices = [("", _("Choose an indicator"))] + [
        (k, f"{ctx['names'][k]} ({numeric.unit_label(d.get('unit'))})") for k, d in ctx["known"].items()]
    if entry is not None and entry.indicator_key not in ctx["known"]:
        form.indicator.choices.append((entry.indicator_key, entry.indicator_key))
    cycles = db.session.execute(db.select(Cycle).filter(Cycle.state != "closed")
                                .order_by(Cycle.starts_on.desc())).scalars()
    form.cycle_id.choices = [("", _("No cycle"))] + [(str(c.id), c.name) for c in cycles
                                                     if ctx["city"].id in c.city_ids]


@bp.get("/cities/<slug>/numbers")
@login_required
def numeric_list(slug):
    city = get_city_or_404(slug)
    require("numeric.view", city)
    ctx = _context(city)
    key = request.args.get("indicator", "")[:60] or None
    withdrawn = request.args.get("withdrawn") == "1"
    pager = paginate(numeric.entries_for_city(city, key, include_withdrawn=withdrawn))
    return render_template("indicators/numeric_list.html", pager=pager, indicator=key, withdrawn=withdrawn, **ctx)


def _save(city, ctx, form, entry=None):
    data = form.entry_data()
    if entry is None:
        return numeric.create_entry(city, data, list(ctx["known"].values()), actor=current_user)
    return numeric.update_entry(entry, data, list(ctx["known"].values()), parse_id(form.version.data or ""),
                                actor=current_user)


@bp.route("/cities/<slug>/numbers/new", methods=["GET", "POST"])
@login_required
def numeric_new(slug):
    city = get_city_or_404(slug)
    require("numeric.edit", city)
    return _form_page(city, None)


@bp.route("/cities/<slug>/numbers/<int:entry_id>/edit", methods=["GET", "POST"])
@login_required
def numeric_edit(slug, entry_id):
    city = get_city_or_404(slug)
    require("numeric.edit", city)
    entry = _entry_or_404(city, entry_id)
    if numeric.is_locked(entry) or entry.withdrawn:
        flash(_("This number belongs to a closed cycle and can no longer change.") if not entry.withdrawn
              else _("This number was withdrawn; add a new one instead."), "warning")
        return redirect(url_for("indicators.numeric_history", slug=city.slug, entry_id=entry.id))
    return _form_page(city, entry)


def _form_page(city, entry):
    ctx = _context(city)
    form = NumericEntryForm(obj=None)
    if entry is not None and request.method == "GET":
        _fill(form, entry)
    _choices(form, ctx, entry)
    conflict = duplicate = None
    if form.validate_on_submit():
        try:
            saved = _save(city, ctx, form, entry)
        except ValidationFailed as err:
            db.session.rollback()
            apply_to_form(form, err)
            if "duplicate" in err.fields:
                clean, _errors = numeric.validate_entry(form.entry_data(), city, list(ctx["known"].values()),
                                                        exclude_id=getattr(entry, "id", None))
                duplicate = clean.get("duplicate_of")
        except StaleVersion:
            db.session.rollback()
            entry = db.session.get(NumericEntry, entry.id)
            conflict = _differences(form, entry)
            form = NumericEntryForm(formdata=None)
            _fill(form, entry)
            _choices(form, ctx, entry)
        except numeric.EntryLocked:
            db.session.rollback()
            abort(403)
        else:
            db.session.commit()
            flash(_("The number was saved.") if entry is None else _("The change was saved."), "success")
            return redirect(url_for("indicators.numeric_list", slug=city.slug, indicator=saved.indicator_key))
    status = 409 if conflict is not None else (400 if form.errors else 200)
    return render_template("indicators/numeric_form.html", form=form, entry=entry, conflict=conflict,
                           duplicate=duplicate, **ctx), status


def _fill(form: NumericEntryForm, entry: NumericEntry) -> None:
    values = numeric.current_values(entry)
    for name, value in values.items():
        field = getattr(form, name)
        field.data = ("" if value is None else str(value)) if name == "cycle_id" else value
    form.value.data = f"{entry.value:g}"
    form.version.data = str(entry.version)


def _differences(form: NumericEntryForm, entry: NumericEntry) -> list[tuple[str, str]]:
    """Where what the person typed differs from the entry as it is now: (label, their value)."""
    typed, stored = form.entry_data(), numeric.current_values(entry)
    out = []
    for name in ("value", "unit", "period_start", "period_end", "source", "area", "sex", "age_group", "is_proxy",
                 "proxy_note"):
        mine = typed.get(name)
        same = numeric.parse_number(mine) == stored[name] if name == "value" else (mine or "") == (stored[name] or "")
        if not same:
            out.append((str(getattr(form, name).label.text), "" if mine is None else str(mine)))
    return out


@bp.route("/cities/<slug>/numbers/<int:entry_id>/withdraw", methods=["GET", "POST"])
@login_required
def numeric_withdraw(slug, entry_id):
    city = get_city_or_404(slug)
    require("numeric.edit", city)
    entry = _entry_or_404(city, entry_id)
    ctx = _context(city)
    if numeric.is_locked(entry):
        flash(_("This number belongs to a closed cycle and can no longer change."), "warning")
        return redirect(url_for("indicators.numeric_history", slug=city.slug, entry_id=entry.id))
    form = WithdrawForm()
    if request.method == "GET":
        form.version.data = str(entry.version)
    elif form.validate_on_submit():
        try:
            numeric.withdraw_entry(entry, parse_id(form.version.data or ""), actor=current_user)
        except StaleVersion:
            db.session.rollback()
            flash(_("Someone changed this number meanwhile. Check it again before withdrawing it."), "warning")
            return redirect(url_for("indicators.numeric_withdraw", slug=city.slug, entry_id=entry_id))
        db.session.commit()
        flash(_("The number was withdrawn. Its history is kept."), "success")
        return redirect(url_for("indicators.numeric_list", slug=city.slug))
    return render_template("indicators/numeric_withdraw.html", form=form, entry=entry, **ctx)


@bp.get("/cities/<slug>/numbers/<int:entry_id>/history")
@login_required
def numeric_history(slug, entry_id):
    city = get_city_or_404(slug)
    require("numeric.view", city)
    entry = _entry_or_404(city, entry_id)
    return render_template("indicators/numeric_history.html", entry=entry, history=numeric.history(entry),
                           **_context(city))


# --- Spreadsheet import ---------------------------------------------------------------------------------------

def _kind(city) -> str:
    return f"numeric-{city.id}"


def _checked(city, ctx, filename, data):
    rows = numeric.read_rows(numeric.check_upload(filename, data), data)
    valid, errors = numeric.check_rows(rows, city, list(ctx["known"].values()))
    return rows, valid, errors


def _preview(city, ctx, filename, token, valid, errors, status=200):
    return render_template("indicators/numeric_preview.html", filename=filename, token=token, valid=valid,
                           errors=errors, form=ConfirmImportForm(), **ctx), status


@bp.route("/cities/<slug>/numbers/import", methods=["GET", "POST"])
@login_required
def numeric_import(slug):
    city = get_city_or_404(slug)
    require("numeric.edit", city)
    ctx = _context(city)
    form = ImportForm()
    if form.validate_on_submit():
        storage = form.file.data
        filename, data = storage.filename or "", storage.stream.read(numeric.MAX_BYTES + 1)
        try:
            rows, valid, errors = _checked(city, ctx, filename, data)
        except (numeric.UploadRefused, TableError) as err:
            form.file.errors = [str(err.message)]
        else:
            if not rows:
                form.file.errors = [_("The file has no rows to import.")]
            else:
                token = stash.stash_upload(_kind(city), current_user, filename, data) if valid else None
                return _preview(city, ctx, filename, token, valid, errors, 400 if not valid else 200)
    return render_template("indicators/numeric_import.html", form=form, **ctx), (400 if form.errors else 200)


@bp.post("/cities/<slug>/numbers/import/<import_token>")
@login_required
def numeric_import_confirm(slug, import_token):
    city = get_city_or_404(slug)
    require("numeric.edit", city)
    ctx = _context(city)
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        upload = stash.load_upload(_kind(city), import_token, current_user)
        _rows, valid, errors = _checked(city, ctx, upload.filename, upload.data)
    except stash.UploadNotFound:
        abort(404)
    except (numeric.UploadRefused, TableError):
        abort(400)
    if errors and form.partial.data != "1" or not valid:
        return _preview(city, ctx, upload.filename, import_token if valid else None, valid, errors, 400)
    try:
        stash.load_upload(_kind(city), import_token, current_user, claim=True)  # one use only
    except stash.UploadNotFound:
        abort(404)
    entries = numeric.save_rows(city, valid, list(ctx["known"].values()), actor=current_user)
    db.session.commit()
    stash.discard_upload(import_token)
    message = ngettext("%(num)s number saved.", "%(num)s numbers saved.", len(entries))
    if errors:
        message += " " + ngettext("%(num)s row with problems was not saved.",
                                  "%(num)s rows with problems were not saved.", len({e.row for e in errors}))
    flash(message, "success")
    return redirect(url_for("indicators.numeric_list", slug=city.slug))


@bp.get("/cities/<slug>/numbers/template.csv")
@login_required
def numeric_template(slug):
    city = get_city_or_404(slug)
    require("numeric.view", city)
    response = Response(numeric.template_csv(), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="numeric-indicators-template.csv"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
