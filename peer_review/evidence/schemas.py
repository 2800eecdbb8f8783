from marshmallow import Schema, fields, validate

from ..api.schemas import DbInteger, PageSchema
from . import vocab


def _one_of(voc):
    return validate.OneOf(vocab.values(voc))


class AttachmentSchema(Schema):
    id = fields.Integer()
    filename = fields.String()
    kind = fields.String()
    mime = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    # A withheld file (deleted after a redaction, waiting for a redacted copy) exposes neither bytes nor text.
    has_text = fields.Function(lambda a: bool(a.extracted_text) and a.text_status == "ready" and not a.withheld)
    text_status = fields.String(metadata={"description": "none, pending, ready or failed"})
    withheld = fields.Boolean()


class EvidenceSchema(Schema):
    id = fields.Integer(dump_only=True)
    city = fields.String(required=True, validate=validate.Length(max=80), metadata={"description": "city slug"})
    cycle = DbInteger(required=True, metadata={"description": "cycle id"})
    type = fields.String(required=True, validate=_one_of(vocab.EVIDENCE_TYPES))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    text = fields.String(required=True, validate=validate.Length(min=1, max=100_000),
                         metadata={"description": "Markdown; coding offsets refer to this stored text"})
    date = fields.Date(allow_none=True, load_default=None)
    language = fields.String(required=True, validate=_one_of(vocab.LANGUAGES))
    area = fields.String(load_default="", validate=validate.Length(max=120))
    source = fields.String(load_default="", validate=validate.Length(max=300))
    gender = fields.String(load_default="unspecified", validate=_one_of(vocab.GENDERS))
    age_group = fields.String(load_default="unspecified", validate=_one_of(vocab.AGE_GROUPS))
    vulnerable_groups = fields.List(fields.String(validate=_one_of(vocab.VULNERABLE_GROUPS)), load_default=list,
                                    validate=validate.Length(max=10))
    consent = fields.String(required=True, validate=_one_of(vocab.CONSENT))
    visibility = fields.String(required=True, validate=_one_of(vocab.VISIBILITY))


class EvidenceOutSchema(EvidenceSchema):
    city = fields.Function(lambda i: i.city.slug)
    cycle = fields.Integer(attribute="cycle_id")
    vulnerable_groups = fields.Function(lambda i: i.group_list)
    attachments = fields.List(fields.Nested(AttachmentSchema))
    redactions = fields.Integer()
    version = fields.Integer(metadata={"description": "changes with every update; the ETag carries it"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class EvidencePageSchema(PageSchema):
    items = fields.List(fields.Nested(EvidenceOutSchema))
