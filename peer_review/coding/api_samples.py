"""API: the agreement report of a double-coding sample."""
from __future__ import annotations

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, fields

from ..api import bp
from ..api.util import ApiError, token_required
from ..extensions import db
from ..permissions import require
from . import samples as ops
from .models import DoubleCodingSample


class CodeAgreementSchema(Schema):
    kappa = fields.Float(allow_none=True, metadata={"description": "Cohen's kappa; null when undefined "
                                                                   "(not enough data)"})
    percent_agreement = fields.Float(allow_none=True, metadata={"description": "0-100"})
    a = fields.Integer(metadata={"description": "Items coder A applied the code to"})
    b = fields.Integer(metadata={"description": "Items coder B applied the code to"})
    both = fields.Integer(metadata={"description": "Items both applied the code to"})
    items = fields.Integer(metadata={"description": "Items in the sample (n)"})
    uncertain = fields.Boolean(metadata={"description": "The kappa rests on very few items"})


class DisagreementSchema(Schema):
    item_id = fields.Integer()
    code = fields.String(metadata={"description": "Code id (key)"})
    applied_by = fields.String(metadata={"description": "\"a\" or \"b\": the coder who applied it"})


class ProgressSchema(Schema):
    items = fields.Integer(metadata={"description": "Items in the sample"})
    a = fields.Integer(metadata={"description": "Items coder A has coded"})
    b = fields.Integer(metadata={"description": "Items coder B has coded"})
    both = fields.Integer(metadata={"description": "Items both coders have coded"})


class SampleAgreementSchema(Schema):
    sample_id = fields.Integer()
    name = fields.String()
    cycle = fields.String()
    coder_a = fields.String(metadata={"description": "Email of coder A"})
    coder_b = fields.String(metadata={"description": "Email of coder B"})
    seed = fields.Integer()
    reconciled_at = fields.DateTime(allow_none=True)
    unit = fields.String(metadata={"description": "\"item\": a code is present on an item if the coder "
                                                  "applied it anywhere in the item"})
    items = fields.Integer()
    codes = fields.Integer()
    units = fields.Integer(metadata={"description": "items x codes"})
    alpha = fields.Float(allow_none=True, metadata={"description": "Krippendorff's alpha (nominal) over all "
                                                                   "units; null when undefined"})
    percent_agreement = fields.Float(allow_none=True)
    per_code = fields.Dict(keys=fields.String(), values=fields.Nested(CodeAgreementSchema))
    disagreements = fields.List(fields.Nested(DisagreementSchema))
    progress = fields.Nested(ProgressSchema)
    complete = fields.Boolean(metadata={"description": "Both coders have coded every item"})
    enough_data = fields.Boolean(metadata={"description": "Enough items coded by both for the figures to "
                                                        "mean much"})
    min_items = fields.Integer()


@bp.get("/samples/<int:sample_id>/agreement")
@token_required
def sample_agreement(sample_id: int):
    """Agreement of a double-coding sample.
    ---
    get:
      tags: [coding]
      summary: Inter-coder agreement of a double-coding sample (facilitators)
      description: >
        Cohen's kappa per code and Krippendorff's alpha (nominal) overall, at item level, from the two coders'
        blind codings; percent agreement; the disagreements; and each coder's progress. Undefined figures are
        null. A coder of an open sample gets 403 until both coders have coded every item (coding is blind).
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: sample_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: "OK", content: {application/json: {schema: SampleAgreementSchema}}}
        401: {description: "Not signed in (no valid token)", content: {application/json: {schema: ErrorSchema}}}
        403: {description: "Not allowed, or you code blind in it", content: {application/json: {schema: ErrorSchema}}}
        404: {description: "No such sample", content: {application/json: {schema: ErrorSchema}}}
    """
    require("sample.view")
    sample = db.session.get(DoubleCodingSample, sample_id)
    if sample is None:
        abort(404)
    report = ops.sample_report(sample)
    if not ops.report_visible_to(current_user, sample, report):
        raise ApiError(403, "blind_coding", _("You code in this sample: its agreement is hidden from you until "
                                              "both coders have coded every item."))
    body = {key: report[key] for key in ("unit", "items", "codes", "units", "alpha", "percent_agreement",
                                         "per_code", "progress", "complete", "enough_data", "min_items")}
    body.update(sample_id=sample.id, name=sample.name, cycle=sample.cycle.name, coder_a=sample.coder_a.email,
                coder_b=sample.coder_b.email, seed=sample.seed, reconciled_at=sample.reconciled_at,
                disagreements=[{"item_id": i, "code": c, "applied_by": who} for i, c, who in report["disagreements"]])
    return SampleAgreementSchema().dump(body)
