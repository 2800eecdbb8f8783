"""Codebook and codings API."""
from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..api import bp
from ..api.util import ApiError, load_json, paginated, token_required
from ..evidence.models import EvidenceItem
from ..extensions import db
from ..input_limits import parse_id
from ..permissions import require, visible_evidence_clause
from . import operations as ops
from .models import Coding
from .schemas import CodeOutSchema, CodeSchema, CodingOutSchema, CodingSchema
from .views_codes import ensure_codebook


@bp.get("/codes")
@token_required
def list_codes():
    """The codebook.
    ---
    get:
      tags: [codebook]
      summary: Every code, with labels and definitions in English, Spanish and French
      security: [{bearerAuth: []}]
      parameters: [{in: query, name: retired, schema: {type: boolean}, description: include retired codes}]
      responses:
        200: {description: "OK", content: {application/json: {schema: {type: array, items: CodeOutSchema}}}}
    """
    require("code.list")
    ensure_codebook()
    codes = ops.all_codes(include_retired=request.args.get("retired") in ("1", "true"))
    return CodeOutSchema().dump(codes, many=True)


@bp.get("/codes/<key>")
@token_required
def get_code(key):
    """One code.
    ---
    get:
      tags: [codebook]
      summary: One code by its id
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: key, required: true, schema: {type: string}}]
      responses:
        200: {description: "OK", content: {application/json: {schema: CodeOutSchema}}}
        404: {description: "Not found or not visible to you", content: {application/json: {schema: ErrorSchema}}}
    """
    require("code.view")
    return CodeOutSchema().dump(ops.get_code_or_404(key))


@bp.post("/codes")
@token_required
def create_code():
    """Add a code (facilitators).
    ---
    post:
      tags: [codebook]
      summary: Add a code or sub-code
      security: [{bearerAuth: []}]
      requestBody: {required: true, content: {application/json: {schema: CodeSchema}}}
      responses:
        201: {description: "Created", content: {application/json: {schema: CodeOutSchema}}}
        403: {description: "Not allowed", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "Invalid values; see error.fields", content: {application/json: {schema: ErrorSchema}}}
    """
    require("code.manage")
    code = ops.create_code(load_json(CodeSchema()), actor=current_user)
    db.session.commit()
    return CodeOutSchema().dump(code), 201, {"Location": url_for("api.get_code", key=code.key)}


@bp.patch("/codes/<key>")
@token_required
def update_code(key):
    """Change a code (facilitators).
    ---
    patch:
      tags: [codebook]
      summary: Change labels, definitions, direction, family or parent of a code (its id is fixed)
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: key, required: true, schema: {type: string}}]
      requestBody: {required: true, content: {application/json: {schema: CodeSchema}}}
      responses:
        200: {description: "OK", content: {application/json: {schema: CodeOutSchema}}}
        403: {description: "Not allowed", content: {application/json: {schema: ErrorSchema}}}
        404: {description: "Not found or not visible to you", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "Invalid values; see error.fields", content: {application/json: {schema: ErrorSchema}}}
    """
    require("code.manage")
    code = ops.get_code_or_404(key)
    data = load_json(CodeSchema(), partial=True)
    data.pop("key", None)
    ops.update_code(code, data, actor=current_user)
    db.session.commit()
    return CodeOutSchema().dump(code)


@bp.get("/codings")
@token_required
def list_codings():
    """Codings that count.
    ---
    get:
      tags: [codings]
      summary: Counted codings (single-coder and agreed; never blind double-coding work) of items you may see
      security: [{bearerAuth: []}]
      parameters:
        - {in: query, name: item, schema: {type: integer}}
        - {in: query, name: code, schema: {type: string}}
        - {in: query, name: cycle, schema: {type: integer}}
        - {in: query, name: page, schema: {type: integer, minimum: 1}}
        - {in: query, name: per_page, schema: {type: integer, minimum: 1, maximum: 100}}
      responses:
        200: {description: "OK", content: {application/json: {schema: CodingPageSchema}}}
        403: {description: "Not allowed", content: {application/json: {schema: ErrorSchema}}}
    """
    require("coding.view")
    stmt = db.select(Coding).join(EvidenceItem, Coding.item_id == EvidenceItem.id) \
        .filter(Coding.sample_id.is_(None), visible_evidence_clause(current_user, EvidenceItem)).order_by(Coding.id)
    args = request.args
    if args.get("item", "").isdigit():
        stmt = stmt.filter(Coding.item_id == (parse_id(args["item"]) or -1))
    if args.get("cycle", "").isdigit():
        stmt = stmt.filter(EvidenceItem.cycle_id == (parse_id(args["cycle"]) or -1))
    if args.get("code"):
        code = ops.get_code(args["code"])
        stmt = stmt.filter(Coding.code_id == (code.id if code else -1))
    keep = {k: v for k, v in args.items() if k not in ("page", "per_page")}
    return paginated(stmt, CodingOutSchema(), "api.list_codings", **keep)


@bp.post("/codings")
@token_required
def create_coding():
    """Code a passage or a whole item (facilitators).
    ---
    post:
      tags: [codings]
      summary: Apply codes to a passage (start/end offsets into the stored text) or, without offsets, the whole item
      security: [{bearerAuth: []}]
      requestBody: {required: true, content: {application/json: {schema: CodingSchema}}}
      responses:
        201: {description: "Created", content: {application/json: {schema: {type: array, items: CodingOutSchema}}}}
        200: {description: "Already coded so: the existing rows", content: {application/json: {schema: {type: array, items: CodingOutSchema}}}}
        403: {description: "Not allowed", content: {application/json: {schema: ErrorSchema}}}
        404: {description: "Not found or not visible to you", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "Invalid values; see error.fields", content: {application/json: {schema: ErrorSchema}}}
    """
    require("coding.create")
    data = load_json(CodingSchema())
    item = db.session.get(EvidenceItem, data["item"])
    if item is None:
        abort(404)
    require("coding.create", item)
    codes = [ops.get_code(k) for k in data["codes"]]
    if None in codes:
        raise ApiError(422, "invalid", _("Some values are not valid."), {"codes": [_("Unknown code")]})
    rows: list = []  # coding the same passage again (a double submit) answers with the row that holds it
    created = ops.add_codings(item, codes, current_user, data["start"], data["end"], rows=rows)
    db.session.commit()
    return CodingOutSchema().dump(rows, many=True), 201 if created else 200


@bp.delete("/codings/<int:coding_id>")
@token_required
def delete_coding(coding_id):
    """Remove a coding (facilitators).
    ---
    delete:
      tags: [codings]
      summary: Remove a coding
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: coding_id, required: true, schema: {type: integer}}]
      responses:
        204: {description: "Removed"}
        403: {description: "Not allowed", content: {application/json: {schema: ErrorSchema}}}
        404: {description: "Not found or not visible to you", content: {application/json: {schema: ErrorSchema}}}
    """
    coding = db.session.get(Coding, coding_id)
    if coding is None:
        abort(404)
    require("evidence.view", coding.item)
    require("coding.delete", coding)
    if coding.sample_id is not None and coding.coder_id != current_user.id:
        abort(404)
    ops.delete_coding(coding, actor=current_user)
    db.session.commit()
    return "", 204
