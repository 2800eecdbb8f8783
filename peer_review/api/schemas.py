"""Shared API schemas; domain schemas live beside their domain (``cities/schemas.py``...)."""
from marshmallow import Schema, fields, validate

from ..input_limits import MAX_INT, MIN_INT


class DbInteger(fields.Integer):
    """An integer the database's INTEGER columns can hold (32-bit on PostgreSQL): a larger one (even as a
    string, or a float such as 1e300, which plain ``fields.Integer`` accepts) is a 422, not an error in the
    database driver."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.insert(0, validate.Range(min=MIN_INT, max=MAX_INT))


class ErrorDetailSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


class PageSchema(Schema):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()
    next = fields.String(allow_none=True)


class MembershipOutSchema(Schema):
    city = fields.Function(lambda m: m.city.slug)
    role = fields.String()


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    email = fields.String()
    name = fields.String()
    locale = fields.String()
    active = fields.Boolean()
    roles = fields.Function(lambda u: sorted(u.roles))
    memberships = fields.List(fields.Nested(MembershipOutSchema))


class UserPageSchema(PageSchema):
    items = fields.List(fields.Nested(UserSchema))
