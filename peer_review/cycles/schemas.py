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


class CycleOutSchema(CycleSchema):
    cities = fields.Function(lambda c: [city.slug for city in c.cities])


class CyclePageSchema(PageSchema):
    items = fields.List(fields.Nested(CycleOutSchema))
