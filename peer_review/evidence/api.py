"""Evidence API: list with filters, get, create, update, attachments."""
from flask import abort, current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..api import bp
from ..api.util import ApiError, if_match_version, load_json, paginated, token_required, version_etag
from ..cities.models import City
from ..cycles.models import Cycle
from ..extensions import db
from ..input_limits import parse_id
from ..permissions import can, require
from . import operations as ops
from .schemas import AttachmentSchema, EvidenceOutSchema, EvidenceSchema
from .uploads import UploadRejected
from .views import get_item_or_404


@bp.get("/evidence")
@token_required
def list_evidence():
    """List evidence you may see.
    ---
    get:
      tags: [evidence]
      summary: List evidence items visible to you, with filters
      security: [{bearerAuth: []}]
      parameters:
        - {in: query, name: city, schema: {type: string}, description: city slug}
        - {in: query, name: cycle, schema: {type: integer}}
        - {in: query, name: type, schema: {type: string}}
        - {in: query, name: language, schema: {type: string, enum: [en, es, fr]}}
        - {in: query, name: coded, schema: {type: string, enum: ["yes", "no"]}}
        - {in: query, name: q, schema: {type: string}}
        - {in: query, name: page, schema: {type: integer, minimum: 1}}
        - {in: query, name: per_page, schema: {type: integer, minimum: 1, maximum: 100}}
      responses:
        200: {description: "OK", content: {application/json: {schema: EvidencePageSchema}}}
        401: {description: "Not signed in (no valid token)", content: {application/json: {schema: ErrorSchema}}}
    """
    require("evidence.list")
    args = request.args
    city = db.session.execute(db.select(City).filter_by(slug=args.get("city", ""))).scalar_one_or_none()
    cycle_id = parse_id(args.get("cycle"))
    cycle = db.session.get(Cycle, cycle_id) if cycle_id is not None else None
    if (args.get("city") and city is None) or (args.get("cycle") and cycle is None):
        return paginated(db.select(ops.EvidenceItem).filter(db.false()), EvidenceOutSchema(), "api.list_evidence")
    stmt = ops.visible_items(current_user, city=city, cycle=cycle, type=args.get("type"),
                             language=args.get("language"), q=args.get("q"), coded=args.get("coded"))
    keep = {k: v for k, v in args.items() if k not in ("page", "per_page")}
    from sqlalchemy.orm import selectinload  # each item lists its attachments: one query for the page, not one each
    stmt = stmt.options(selectinload(ops.EvidenceItem.attachments))
    return paginated(stmt, EvidenceOutSchema(), "api.list_evidence", **keep)


@bp.get("/evidence/<int:item_id>")
@token_required
def get_evidence(item_id):
    """One evidence item.
    ---
    get:
      tags: [evidence]
      summary: One evidence item
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: item_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: "OK", content: {application/json: {schema: EvidenceOutSchema}}}
        404: {description: "Not found or not visible to you", content: {application/json: {schema: ErrorSchema}}}
    """
    item = get_item_or_404(item_id)
    require("evidence.view", item)
    return EvidenceOutSchema().dump(item), 200, {"ETag": version_etag(item.version)}


@bp.post("/evidence")
@token_required
def create_evidence():
    """Add an evidence item.
    ---
    post:
      tags: [evidence]
      summary: Add an evidence item to a city's cycle
      security: [{bearerAuth: []}]
      requestBody: {required: true, content: {application/json: {schema: EvidenceSchema}}}
      responses:
        201: {description: "Created", content: {application/json: {schema: EvidenceOutSchema}}}
        403: {description: "Not allowed", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "Invalid values; see error.fields", content: {application/json: {schema: ErrorSchema}}}
    """
    require("evidence.create")
    data = load_json(EvidenceSchema())
    city = db.session.execute(db.select(City).filter_by(slug=data["city"])).scalar_one_or_none()
    if city is None:
        raise ApiError(422, "invalid", _("Some values are not valid."), {"city": [_("Unknown city")]})
    require("evidence.create", city)
    item = ops.create_item(data, actor=current_user)
    db.session.commit()
    return EvidenceOutSchema().dump(item), 201, {"Location": url_for("api.get_evidence", item_id=item.id),
                                                 "ETag": version_etag(item.version)}


@bp.patch("/evidence/<int:item_id>")
@token_required
def update_evidence(item_id):
    """Change an evidence item.
    ---
    patch:
      tags: [evidence]
      summary: Change some fields of an evidence item (the text is locked once coded)
      description: Send If-Match with the ETag of the item as you read it; a change based on an older version
        (for example one made before a redaction) is refused with 409.
      security: [{bearerAuth: []}]
      parameters:
        - {in: path, name: item_id, required: true, schema: {type: integer}}
        - {in: header, name: If-Match, required: true, schema: {type: string}, description: "The item's ETag"}
      requestBody: {required: true, content: {application/json: {schema: EvidenceSchema}}}
      responses:
        200: {description: "OK", content: {application/json: {schema: EvidenceOutSchema}}}
        403: {description: "Not allowed", content: {application/json: {schema: ErrorSchema}}}
        404: {description: "Not found or not visible to you", content: {application/json: {schema: ErrorSchema}}}
        409: {description: "The item changed since you read it", content: {application/json: {schema: ErrorSchema}}}
        412: {description: "If-Match is not an ETag of this item", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "Invalid values; see error.fields", content: {application/json: {schema: ErrorSchema}}}
        428: {description: "If-Match is missing", content: {application/json: {schema: ErrorSchema}}}
    """
    item = get_item_or_404(item_id)
    require("evidence.edit", item)
    expected = if_match_version()
    data = load_json(EvidenceSchema(), partial=True)
    if "city" in data:
        city = db.session.execute(db.select(City).filter_by(slug=data["city"])).scalar_one_or_none()
        if city is not None and not can(current_user, "evidence.create", city):
            abort(403)
    ops.update_item(item, data, actor=current_user, expected_version=expected)
    db.session.commit()
    return EvidenceOutSchema().dump(item), 200, {"ETag": version_etag(item.version)}


@bp.get("/evidence/<int:item_id>/attachments")
@token_required
def list_attachments(item_id):
    """Attachments of an item.
    ---
    get:
      tags: [evidence]
      summary: The attachments of an evidence item (download them from the item page)
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: item_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: "OK", content: {application/json: {schema: {type: array, items: AttachmentSchema}}}}
        404: {description: "Not found or not visible to you", content: {application/json: {schema: ErrorSchema}}}
    """
    item = get_item_or_404(item_id)
    require("evidence.view", item)
    return AttachmentSchema().dump(item.attachments, many=True)


@bp.post("/evidence/<int:item_id>/attachments")
@token_required
def upload_attachment(item_id):
    """Attach a file.
    ---
    post:
      tags: [evidence]
      summary: Attach a file (multipart field "file"); type checked by content, size limited
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: item_id, required: true, schema: {type: integer}}]
      requestBody:
        required: true
        content: {multipart/form-data: {schema: {type: object, properties: {file: {type: string, format: binary}}}}}
      responses:
        201: {description: "Created", content: {application/json: {schema: AttachmentSchema}}}
        404: {description: "Not found or not visible to you", content: {application/json: {schema: ErrorSchema}}}
        422: {description: "Invalid values; see error.fields", content: {application/json: {schema: ErrorSchema}}}
    """
    item = get_item_or_404(item_id)
    require("evidence.edit", item)
    file = request.files.get("file")
    if file is None or not file.filename:
        raise ApiError(422, "invalid", _("Send the file as multipart field \"file\"."), {"file": [_("Missing")]})
    data = file.read(current_app.config["UPLOAD_MAX_BYTES"] + 1)
    try:
        att = ops.add_attachment(item, file.filename, data, actor=current_user)
    except UploadRejected as err:
        db.session.rollback()
        raise ApiError(422, "invalid", str(err), {"file": [str(err)]}) from None
    db.session.commit()
    return AttachmentSchema().dump(att), 201
