from marshmallow import Schema, fields, validate

from ..api.schemas import DbInteger, PageSchema

TRANSLATIONS = fields.Dict(keys=fields.String(validate=validate.OneOf(["en", "es", "fr"])),
                           values=fields.String(validate=validate.Length(max=2000)))


class CodeSchema(Schema):
    key = fields.String(validate=validate.Length(min=1, max=60))
    labels = fields.Dict(keys=fields.String(validate=validate.OneOf(["en", "es", "fr"])),
                         values=fields.String(validate=validate.Length(max=120)), required=True)
    definitions = fields.Dict(keys=fields.String(validate=validate.OneOf(["en", "es", "fr"])),
                              values=fields.String(validate=validate.Length(max=2000)), load_default=dict)
    direction = fields.String(validate=validate.OneOf(["more", "less"]), load_default="more")
    family = fields.String(validate=validate.OneOf(["process", "culture", "context"]), load_default="context")
    parent = fields.String(allow_none=True, load_default=None)


class CodeOutSchema(CodeSchema):
    parent = fields.Function(lambda c: c.parent.key if c.parent else None)
    retired = fields.Boolean()
    merged_into = fields.Function(lambda c: c.merged_into.key if c.merged_into else None)
    groups = fields.Function(lambda c: [g.name for g in c.groups])


class CodingSchema(Schema):
    item = DbInteger(required=True)
    codes = fields.List(fields.String(validate=validate.Length(max=60)), required=True,
                        validate=validate.Length(min=1, max=20))
    start = DbInteger(allow_none=True, load_default=None, validate=validate.Range(min=0))
    end = DbInteger(allow_none=True, load_default=None, validate=validate.Range(min=1))


class CodingOutSchema(Schema):
    id = fields.Integer()
    item = fields.Integer(attribute="item_id")
    code = fields.Function(lambda c: c.code.key)
    start = fields.Integer(attribute="start_offset", allow_none=True)
    end = fields.Integer(attribute="end_offset", allow_none=True)
    passage = fields.Function(lambda c: c.passage())
    coder = fields.Function(lambda c: c.coder.email if c.coder else None)
    origin = fields.String()
    created_at = fields.DateTime()


class CodingPageSchema(PageSchema):
    items = fields.List(fields.Nested(CodingOutSchema))
