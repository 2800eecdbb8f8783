"""The offline workbook: download, upload with a preview of what would change, then confirm (all or nothing)."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..errors import ValidationFailed
from ..exchange import operations as exchange_ops
from ..extensions import db
from ..permissions import require
from . import workbook
from .blueprint import bp
from .views import get_assessment_or_404, locale

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KIND = "assessment-workbook"


@bp.route("/<int:assessment_id>/workbook.xlsx")
@login_required
def workbook_download(assessment_id: int):
    assessment = get_assessment_or_404(assessment_id)
    require("assessment.view", assessment)
    response = Response(workbook.export(assessment, locale()), mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="{workbook.filename(assessment)}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _refuse_if_locked(assessment):
    if assessment.locked:
        flash(_("This self-assessment has been submitted and is locked."), "error")
        return redirect(url_for("assessments.overview", assessment_id=assessment.id))
    return None


@bp.route("/<int:assessment_id>/workbook", methods=["GET", "POST"])
@login_required
def workbook_upload(assessment_id: int):
    assessment = get_assessment_or_404(assessment_id)
    require("assessment.edit", assessment)
    if (locked := _refuse_if_locked(assessment)) is not None:
        return locked
    error = None
    if request.method == "POST":
        file = request.files.get("file")
        if file is None or not file.filename:
            error = _("Choose the workbook to upload.")
        else:
            data = file.stream.read(workbook.MAX_BYTES + 1)
            try:
                plan = workbook.plan(assessment, data)
            except workbook.WorkbookRefused as err:
                error = str(err.message)
            else:
                token = None if plan.errors or not plan.changes else \
                    exchange_ops.stash_upload(KIND, current_user, file.filename, data)
                return render_template("assessments/workbook_preview.html", assessment=assessment, plan=plan,
                                       token=token), (400 if plan.errors else 200)
    return render_template("assessments/workbook_upload.html", assessment=assessment, error=error), \
        (400 if error else 200)


@bp.route("/<int:assessment_id>/workbook/<upload_token>", methods=["POST"])
@login_required
def workbook_confirm(assessment_id: int, upload_token: str):
    assessment = get_assessment_or_404(assessment_id)
    require("assessment.edit", assessment)
    if (locked := _refuse_if_locked(assessment)) is not None:
        return locked
    try:
        upload = exchange_ops.load_upload(KIND, upload_token, current_user, claim=True)
    except exchange_ops.UploadNotFound:
        abort(404)
    exchange_ops.discard_upload(upload.token)
    try:
        plan = workbook.apply(assessment, upload.data, actor=current_user)
    except workbook.WorkbookRefused as err:
        db.session.rollback()
        return render_template("assessments/workbook_upload.html", assessment=assessment,
                               error=str(err.message)), 400
    except ValidationFailed:
        db.session.rollback()
        plan = workbook.plan(assessment, upload.data)
        return render_template("assessments/workbook_preview.html", assessment=assessment, plan=plan,
                               token=None), 409
    db.session.commit()
    flash(ngettext("%(num)s answer updated from the workbook.", "%(num)s answers updated from the workbook.",
                   len(plan.changes)), "success")
    return redirect(url_for("assessments.overview", assessment_id=assessment.id))
