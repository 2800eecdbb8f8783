"""Exports over the API, under the same rules as the exports page."""
from __future__ import annotations

from flask import abort, jsonify, request
from flask_login import current_user

from ..api import bp
from ..api.util import ApiError, token_required
from ..i18n import gettext as _
from ..permissions import require
from . import tables, writers
from .views import download_response


@bp.get("/exports/<table>")
@token_required
def export_table(table: str):
    """An export table.
    ---
    get:
      tags: [exports]
      summary: A table of a cycle (assessments, reviews, responses, evidence, codings or indicators) for one city
        or every city you may export, as JSON (columns and rows), CSV or XLSX; only the rows you may see
      security: [{bearerAuth: []}]
      parameters:
        - {in: path, name: table, required: true,
           schema: {type: string, enum: [assessments, reviews, responses, evidence, codings, indicators]}}
        - {in: query, name: cycle, schema: {type: integer}, description: the newest cycle you may export when left out}
        - {in: query, name: city, schema: {type: string}, description: a city slug}
        - {in: query, name: format, schema: {type: string, enum: [json, csv, xlsx], default: json}}
      responses:
        200: {description: The table}
        403: {description: A city you may not export}
        404: {description: "No such table, cycle or city"}
        422: {description: Unknown format}
    """
    require("export.index")
    fmt = request.args.get("format") or "json"
    if fmt not in tables.FORMATS:
        raise ApiError(422, "invalid", _("Some values are not valid."),
                       {"format": [_("Choose json, csv or xlsx.")]})
    try:
        cycle, city = tables.resolve(current_user, table, fmt, request.args.get("cycle"), request.args.get("city"))
    except tables.ExportNotFound:
        abort(404)
    except tables.ExportForbidden:
        abort(403)
    built = tables.build(table, cycle, city, current_user)
    if fmt == "json":
        return jsonify(writers.as_json(built, cycle, city))
    return download_response(writers.write(built, fmt, cycle, city), tables.filename(table, cycle, city, fmt), fmt)
