"""The exports page: choose a cycle, a city (or the whole cycle), a table and a format; and the downloads."""
from __future__ import annotations

from flask import Response, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..i18n import lazy_gettext as _l
from ..permissions import can, require
from . import tables, writers
from .blueprint import bp

TABLE_LABELS = {
    "assessments": _l("Self-assessments: each city's answer on each criterion"),
    "reviews": _l("Peer reviews: the reviewers' level, agreement and comment on each criterion"),
    "responses": _l("Responses: each recommendation with the city's decision, action and progress"),
    "evidence": _l("Evidence: the items you may see (items whose consent was withdrawn are left out)"),
    "codings": _l("Codings: every coded passage that counts, with its code and coder"),
    "indicators": _l("Indicators: each city's values with interval, evidence count and method"),
}
FORMAT_LABELS = {"csv": _l("CSV (spreadsheet text)"), "xlsx": _l("XLSX (Excel workbook)"), "json": _l("JSON (data)")}


def download_response(data: bytes, name: str, fmt: str) -> Response:
    response = Response(data, mimetype=writers.MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def export(user, table: str, fmt: str, cycle_arg, city_arg) -> tuple[bytes, str]:
    """(file, file name), or abort 404/403 as ``tables.resolve`` decides."""
    try:
        cycle, city = tables.resolve(user, table, fmt, cycle_arg, city_arg)
    except tables.ExportNotFound:
        abort(404)
    except tables.ExportForbidden:
        abort(403)
    data = writers.write(tables.build(table, cycle, city, user), fmt, cycle, city)
    return data, tables.filename(table, cycle, city, fmt)


@bp.get("/")
@login_required
def index():
    require("export.index")
    args = request.args
    if args.get("table") and args.get("format"):  # the form sends its choices here; the file has its own address
        query = {k: v for k, v in (("cycle", args.get("cycle")), ("city", args.get("city"))) if v}
        if args["table"] not in tables.TABLES or args["format"] not in tables.FORMATS:
            abort(404)
        return redirect(url_for("exports.download", table=args["table"], fmt=args["format"], **query))
    cycles = tables.cycles_for(current_user)
    return render_template("exports/index.html", cycles=cycles, cities=tables.cities_for(current_user),
                           tables=TABLE_LABELS, formats=FORMAT_LABELS, whole_cycle=can(current_user, "export.cycle"))


@bp.get("/<table>.<fmt>")
@login_required
def download(table: str, fmt: str):
    require("export.index")
    data, name = export(current_user, table, fmt, request.args.get("cycle"), request.args.get("city"))
    return download_response(data, name, fmt)
