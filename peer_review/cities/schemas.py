import zoneinfo

from marshmallow import Schema, fields, validate

from ..api.schemas import PageSchema
from .forms import SLUG_RE
from .models import POPULATION_BANDS, REGIONS
from .vocab import CITY_LANGUAGES


class CitySchema(Schema):
    id = fields.Integer(dump_only=True)
    slug = fields.String(validate=[validate.Length(max=80), validate.Regexp(SLUG_RE)])
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    country = fields.String(required=True, validate=validate.Length(min=1, max=80))
    region = fields.String(required=True, validate=validate.OneOf([r for r, _ in REGIONS]))
    population_band = fields.String(required=True, validate=validate.OneOf([p for p, _ in POPULATION_BANDS]))
    languages = fields.List(fields.String(validate=validate.OneOf([c for c, _ in CITY_LANGUAGES])),
                            required=True, validate=validate.Length(min=1, max=8))
    timezone = fields.String(load_default="UTC",
                             validate=validate.OneOf(sorted(zoneinfo.available_timezones()),
                                                     error="Not an IANA time zone name."))
    active = fields.Boolean(dump_only=True)
    fictional = fields.Boolean(dump_only=True)

    class Meta:
        ordered = True


class CityOutSchema(CitySchema):
    languages = fields.Function(lambda c: c.language_list)


class CityPageSchema(PageSchema):
    items = fields.List(fields.Nested(CityOutSchema))
