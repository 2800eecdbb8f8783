"""Project import pages (routes on the exchange blueprint): choose a file, a cycle and a city, see what would be
imported and what would not, then import all of it or nothing. Thin: the work is in ``project_import``."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..cities.models import City
from ..coding import refiqda
from ..cycles.models import Cycle
from ..errors import ValidationFailed
from ..evidence.operations import import_context
from ..extensions import db
from ..permissions import require
from . import operations as ops
from . import project_import as pi
from .blueprint import bp
from .forms import ProjectChoicesForm, ProjectConfirmForm, ProjectUploadForm
from .views import (
    take_upload_or_404,  # views imports this module last, after defining it
)


def _with_choices(form: ProjectChoicesForm) -> ProjectChoicesForm:
    """Cities and cycles this person may import into (active cities; cycles that are not closed)."""
    slugs, names = import_context(current_user)
    cycles = db.session.execute(db.select(Cycle).filter(Cycle.name.in_(names))
                                .order_by(Cycle.starts_on.desc(), Cycle.name)).scalars().all() if names else []
    cities = db.session.execute(db.select(City).filter(City.slug.in_(slugs)).order_by(City.name)
                                ).scalars().all() if slugs else []
    form.cycle.choices = [("", _("Choose a cycle"))] + [(str(c.id), c.name) for c in cycles]
    form.city.choices = [("", _("Choose a city"))] + [(c.slug, c.name) for c in cities]
    return form


def _choices(form: ProjectChoicesForm) -> pi.Choices:
    """The form's choices checked again by the operations (raises ``ValidationFailed``)."""
    raw = form.cycle.data or ""
    cycle = db.session.get(Cycle, int(raw)) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
    city = db.session.execute(db.select(City).filter_by(slug=form.city.data or "")).scalar_one_or_none()
    return pi.check_choices(current_user, city, cycle, {
        "type": form.type.data, "language": form.language.data, "consent": form.consent.data,
        "visibility": form.visibility.data})


def _field_errors(form, err: ValidationFailed) -> None:
    for name, messages in err.fields.items():
        field = getattr(form, name, None) or form.file
        field.errors = list(field.errors or []) + [str(m) for m in messages]


@bp.route("/project/import", methods=["GET", "POST"])
@login_required
def import_project():
    require("code.manage")
    form = _with_choices(ProjectUploadForm())
    if form.validate_on_submit():
        storage = form.file.data
        filename, data = storage.filename or "", storage.stream.read(pi.PROJECT_MAX_BYTES + 1)
        try:
            choices = _choices(form)
            parsed = pi.read_project_upload(filename, data)
        except ValidationFailed as err:
            _field_errors(form, err)
        except (ops.UploadRefused, refiqda.QdcError) as err:
            form.file.errors = [_("This file cannot be imported. %(problem)s", problem=str(err.message))]
        else:
            plan = pi.plan_project_import(parsed, choices, filename)
            token = ops.stash_upload("project", current_user, filename, data)
            confirm = _with_choices(ProjectConfirmForm(formdata=None, data={
                "cycle": str(choices.cycle.id), "city": choices.city.slug, "type": choices.type,
                "language": choices.language, "consent": choices.consent, "visibility": choices.visibility}))
            return render_template("exchange/project_preview.html", plan=plan, token=token, filename=filename,
                                   form=confirm, not_imported_text=pi.not_imported_text)
    return render_template("exchange/project_import.html", form=form), (400 if form.errors else 200)


@bp.route("/project/import/<project_token>", methods=["POST"])
@login_required
def confirm_project_import(project_token: str):
    require("code.manage")
    upload = take_upload_or_404("project", project_token)
    form = _with_choices(ProjectConfirmForm())
    form.validate()
    try:
        choices = _choices(form)
        parsed = pi.read_project_upload(upload.filename, upload.data)
        counts = pi.apply_project_import(parsed, choices, current_user, filename=upload.filename)
    except (ValidationFailed, ops.UploadRefused, refiqda.QdcError) as err:
        db.session.rollback()
        again = _with_choices(ProjectUploadForm(formdata=None, data=form.data))
        if isinstance(err, ValidationFailed):
            _field_errors(again, err)
        else:
            again.file.errors = [_("This file cannot be imported. %(problem)s", problem=str(err.message))]
        again.file.errors = list(again.file.errors or []) + [_("Nothing was imported. Choose the file again.")]
        return render_template("exchange/project_import.html", form=again), 400
    db.session.commit()
    flash(ngettext("Project imported into %(city)s, %(cycle)s: %(num)s evidence item,",
                   "Project imported into %(city)s, %(cycle)s: %(num)s evidence items,", counts["sources"],
                   city=choices.city.name, cycle=choices.cycle.name) + " " +
          _("%(codings)s codings and %(memos)s memos.", codings=counts["codings"], memos=counts["memos"]), "success")
    return redirect(url_for("evidence.index", cycle=choices.cycle.id, city=choices.city.slug))
