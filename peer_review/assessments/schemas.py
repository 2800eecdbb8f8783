from marshmallow import Schema, fields, validate

from ..api.schemas import DbInteger
from .operations import MAX_JUSTIFICATION, MAX_NOTE


class AnswerSchema(Schema):
    """One criterion's answer as sent: only the fields given change."""
    level = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=0, max=10),
                           metadata={"description": "a level of the rubric's scale, or null for not answered"})
    not_applicable = fields.Boolean()
    na_reason = fields.String(validate=validate.Length(max=MAX_NOTE))
    justification = fields.String(validate=validate.Length(max=MAX_JUSTIFICATION), metadata={"description": "Markdown"})
    proxy_used = fields.Boolean()
    proxy_note = fields.String(validate=validate.Length(max=MAX_NOTE))
    evidence_ids = fields.List(DbInteger(), validate=validate.Length(max=200),
                               metadata={"description": "the city's evidence items in the assessment's cycle"})
    attachment_ids = fields.List(DbInteger(), validate=validate.Length(max=500),
                                 metadata={"description": "attachments of the linked items"})


class AnswerOutSchema(AnswerSchema):
    criterion_id = fields.String()
    version = fields.Integer(metadata={"description": "0 before the first save; If-Match carries it as \"v<n>\""})
    etag = fields.String()
    answered = fields.Boolean()
    updated_at = fields.DateTime(allow_none=True)


class AssessmentOutSchema(Schema):
    id = fields.Integer()
    city = fields.String(metadata={"description": "city slug"})
    cycle = fields.Integer()
    rubric = fields.String(metadata={"description": "rubric id and version"})
    content_hash = fields.String()
    state = fields.String(metadata={"description": "draft or submitted"})
    submitted_at = fields.DateTime(allow_none=True)
    reopened_at = fields.DateTime(allow_none=True)
    reopen_reason = fields.String()
    answered = fields.Integer()
    criteria = fields.Integer()
    answers = fields.List(fields.Nested(AnswerOutSchema))


class ReopenSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=MAX_NOTE))


class AnswerConflictSchema(Schema):
    error = fields.Dict()
    current = fields.Nested(AnswerOutSchema, metadata={"description": "the answer as saved now"})
    yours = fields.Dict(metadata={"description": "the fields you sent, as you sent them"})


class StartAssessmentSchema(Schema):
    city = fields.String(required=True, validate=validate.Length(min=1, max=80),
                         metadata={"description": "The city's short name"})
