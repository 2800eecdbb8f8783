"""Import and export pages (routes on the exchange blueprint). Thin: the work is in ``operations``."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from ..coding import refiqda
from ..coding.refiqda_project import project_summary
from ..cycles.models import Cycle
from ..errors import ValidationFailed
from ..evidence import tabular, vocab
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..permissions import can, is_staff, member_city_ids, require
from ..users.models import COORDINATOR
from . import operations as ops
from .blueprint import bp
from .forms import (
    CodebookConfirmForm,
    CodebookUploadForm,
    ConfirmForm,
    EvidenceUploadForm,
)


@bp.record_once
def _add_navigation(state) -> None:
    state.app.extensions.setdefault("pr_nav_extra", []).append(
        ("exchange.index", _l("Import and export"), "exchange.index"))


def _first_url(*endpoints: str) -> str:
    """The first of these pages that exists (domains arrive one by one), else the home page."""
    for endpoint in endpoints:
        try:
            return url_for(endpoint)
        except BuildError:
            continue
    return url_for("main.home")


def _download(data: bytes, filename: str, mimetype: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _read_upload(form) -> tuple[str, bytes]:
    storage = form.file.data
    limit = max(ops.TABLE_MAX_BYTES, ops.CODEBOOK_MAX_BYTES) + 1
    return storage.filename or "", storage.stream.read(limit)


# --- Entry page ----------------------------------------------------------------------------------------

@bp.route("/")
@login_required
def index():
    require("exchange.index")
    cycles = []
    if can(current_user, "evidence.export"):
        stmt = db.select(Cycle).order_by(Cycle.starts_on.desc(), Cycle.name)
        if not is_staff(current_user):
            stmt = stmt.filter(Cycle.state != "draft")
        cycles = [c for c in db.session.execute(stmt).scalars() if can(current_user, "cycle.view", c)]
    cities = sorted({c for cycle in cycles for c in cycle.cities}, key=lambda c: c.name)
    if not can(current_user, "exchange.export"):  # a coordinator: their own cities
        own = member_city_ids(current_user, COORDINATOR)
        cities = [c for c in cities if c.id in own]
        cycles = [c for c in cycles if c.city_ids & own]
    return render_template("exchange/index.html", cycles=cycles, cities=cities,
                           evidence_types=vocab.EVIDENCE_TYPES, evidence_languages=vocab.LANGUAGES)


# --- Evidence ------------------------------------------------------------------------------------------

@bp.route("/evidence/import", methods=["GET", "POST"])
@login_required
def import_evidence():
    require("evidence.import")
    form = EvidenceUploadForm()
    if form.validate_on_submit():
        filename, data = _read_upload(form)
        try:
            rows, errors = ops.check_evidence_table(filename, data, current_user)
        except (ops.UploadRefused, tabular.TableError) as err:
            form.file.errors = [str(err.message)]
        else:
            if errors:
                return render_template("exchange/evidence_errors.html", form=form, errors=errors,
                                       filename=filename, rows_ok=len(rows)), 400
            if not rows:
                form.file.errors = [_("The file has no rows to import.")]
            else:
                token = ops.stash_upload("evidence", current_user, filename, data)
                return render_template("exchange/evidence_preview.html", rows=rows, token=token,
                                       filename=filename, form=ConfirmForm(), vocab=vocab)
    return render_template("exchange/evidence_import.html", form=form), (400 if form.errors else 200)


def take_upload_or_404(kind: str, token: str):
    """The person's stashed upload behind ``token``, used up now: one use only, whatever happens next."""
    try:
        upload = ops.load_upload(kind, token, current_user, claim=True)
    except ops.UploadNotFound:
        abort(404)
    ops.discard_upload(upload.token)
    return upload


@bp.route("/evidence/import/<import_token>", methods=["POST"])
@login_required
def confirm_evidence_import(import_token: str):
    require("evidence.import")
    upload = take_upload_or_404("evidence", import_token)
    try:
        items = ops.import_evidence_table(upload.filename, upload.data, current_user)
    except ops.RowsRejected as err:
        return render_template("exchange/evidence_errors.html", form=EvidenceUploadForm(), errors=err.errors,
                               filename=upload.filename, rows_ok=None), 400
    except (ops.UploadRefused, tabular.TableError) as err:
        form = EvidenceUploadForm()
        form.file.errors = [str(err.message)]
        return render_template("exchange/evidence_import.html", form=form), 400
    db.session.commit()
    flash(ngettext("%(num)s evidence item imported.", "%(num)s evidence items imported.", len(items)), "success")
    return redirect(_first_url("evidence.index"))


def _export_evidence(fmt: str, mimetype: str):
    require("evidence.export")
    filters = ops.evidence_filters(request.args)
    # Network staff and facilitators export what they may see; a coordinator, their own cities' evidence.
    own = None if can(current_user, "exchange.export") else member_city_ids(current_user, COORDINATOR)
    data = ops.export_evidence(current_user, fmt, only_cities=own, **filters)
    return _download(data, f"evidence.{fmt}", mimetype)


@bp.route("/evidence.csv")
@login_required
def export_evidence_csv():
    return _export_evidence("csv", "text/csv; charset=utf-8")


@bp.route("/evidence.xlsx")
@login_required
def export_evidence_xlsx():
    return _export_evidence("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# --- Codebook ------------------------------------------------------------------------------------------

@bp.route("/codebook.qdc")
@login_required
def export_codebook_qdc():
    require("exchange.export")
    try:
        data = ops.codebook_qdc()
    except LookupError:
        flash(_("The codebook has no codes yet, so there is nothing to export."), "error")
        return redirect(url_for("exchange.index"))
    return _download(data, "codebook.qdc", "application/xml")


@bp.route("/codebook.csv")
@login_required
def export_codebook_csv():
    """The codebook as Taguette 1.5 imports one (CSV: tag, description; sub-codes as parent.child)."""
    require("exchange.export")
    try:
        data = ops.codebook_taguette_csv()
    except LookupError:
        flash(_("The codebook has no codes yet, so there is nothing to export."), "error")
        return redirect(url_for("exchange.index"))
    return _download(data, "codebook-taguette.csv", "text/csv; charset=utf-8")


@bp.route("/codebook.yaml")
@login_required
def export_codebook_yaml():
    require("exchange.export")
    return _download(ops.codebook_yaml(), "codebook.yaml", "application/yaml; charset=utf-8")


@bp.route("/codebook/import", methods=["GET", "POST"])
@login_required
def import_codebook():
    require("code.manage")
    form = CodebookUploadForm()
    if form.validate_on_submit():
        filename, data = _read_upload(form)
        try:
            parsed = ops.read_codebook_upload(filename, data)
        except (ops.UploadRefused, refiqda.QdcError) as err:
            form.file.errors = [_("This file cannot be imported. %(problem)s", problem=str(err.message))]
        else:
            plan = ops.plan_codebook_import(parsed)
            token = ops.stash_upload("codebook", current_user, filename, data)
            # A project file holds more than codes: say plainly that this import leaves it behind.
            project = project_summary(data) if data[:4] == b"PK\x03\x04" or b"<Project" in data[:4096] else None
            return render_template("exchange/codebook_preview.html", plan=plan, token=token, filename=filename,
                                   form=CodebookConfirmForm(), project=project)
    return render_template("exchange/codebook_import.html", form=form), (400 if form.errors else 200)


@bp.route("/codebook/import/<codebook_token>", methods=["POST"])
@login_required
def confirm_codebook_import(codebook_token: str):
    require("code.manage")
    try:
        upload = ops.load_upload("codebook", codebook_token, current_user, claim=True)
    except ops.UploadNotFound:
        abort(404)
    form = CodebookConfirmForm()
    language = form.language.data if form.language.data in vocab.values(vocab.LANGUAGES) else "en"
    ops.discard_upload(upload.token)
    try:
        parsed = ops.read_codebook_upload(upload.filename, upload.data)
        counts = ops.apply_codebook_import(parsed, actor=current_user, language=language,
                                           filename=upload.filename)
    except (ops.UploadRefused, refiqda.QdcError) as err:
        db.session.rollback()
        form = CodebookUploadForm()
        form.file.errors = [_("This file cannot be imported. %(problem)s", problem=str(err.message))]
        return render_template("exchange/codebook_import.html", form=form), 400
    except ValidationFailed:
        db.session.rollback()
        abort(400)
    db.session.commit()
    flash(_("Codebook imported: %(new)s new codes, %(completed)s existing codes completed, %(groups)s new code "
            "groups, %(members)s codes added to groups.", new=counts["new_codes"],
            completed=counts["completed_codes"], groups=counts["new_groups"], members=counts["members_added"]),
          "success")
    return redirect(_first_url("coding.codes", "coding.index", "exchange.index"))


# --- Project -------------------------------------------------------------------------------------------

@bp.route("/cycles/<int:cycle_id>/project.qdpx")
@login_required
def export_project(cycle_id: int):
    require("exchange.export")
    cycle = db.session.get(Cycle, cycle_id) or abort(404)
    require("cycle.view", cycle)
    data = ops.cycle_project(cycle, current_user)
    return _download(data, f"cycle-{cycle.id}.qdpx", "application/zip")


from . import views_project  # noqa: F401  (project import routes, on the same blueprint)
