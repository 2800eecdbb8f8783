from marshmallow import Schema, fields, validate

from ..api.schemas import PageSchema
from .models import CYCLE_STATES


class CycleSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    state = fields.String(load_default="draft", validate=validate.OneOf([s for s, _ in CYCLE_STATES]))
    cities = fields.List(fields.String(validate=validate.Length(max=80)), load_default=list,
                         validate=validate.Length(max=1000))
    rubric_version = fields.String(
        allow_none=True, validate=validate.Length(max=90),
        metadata={"description": "The rubric version the cycle is pinned to, as rubric@version (core@1.0, the `ref` "
                                 "of GET /api/v1/rubrics); null for none yet. It cannot change once a "
                                 "self-assessment of the cycle exists (422).", "example": "core@1.0"})


class CycleOutSchema(CycleSchema):
    cities = fields.Function(lambda c: [city.slug for city in c.cities])
    rubric_version = fields.Function(
        lambda c: f"{c.rubric_version.rubric_id}@{c.rubric_version.version}" if c.rubric_version else None,
        allow_none=True, metadata={"description": "rubric@version, or null", "example": "core@1.0"})


class CyclePageSchema(PageSchema):
    items = fields.List(fields.Nested(CycleOutSchema))
