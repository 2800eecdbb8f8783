from marshmallow import Schema, fields, validate

from ..api.schemas import PageSchema


class ConflictSchema(Schema):
    city = fields.String(required=True, validate=validate.Length(min=1, max=80),
                         metadata={"description": "Short name of one of the two cities (a coordinator's own city)"})
    other = fields.String(required=True, validate=validate.Length(min=1, max=80))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ConflictOutSchema(Schema):
    id = fields.Integer()
    cities = fields.Function(lambda c: sorted([c.city_a.slug, c.city_b.slug]))
    reason = fields.String()
    declared_by_city = fields.Function(lambda c: c.declared_by_city.slug if c.declared_by_city else None,
                                       allow_none=True)
    created_at = fields.DateTime()


class ConflictPageSchema(PageSchema):
    items = fields.List(fields.Nested(ConflictOutSchema))


class AlternateSchema(Schema):
    reviewer = fields.String()
    reason = fields.String()
    costs = fields.Dict(keys=fields.String(), values=fields.Float())


class AssignmentSchema(Schema):
    reviewer = fields.String(required=True, validate=validate.Length(min=1, max=80),
                             metadata={"description": "Short name of the reviewer city"})
    reviewed = fields.String(required=True, validate=validate.Length(min=1, max=80),
                             metadata={"description": "Short name of the city it reviews"})
    note = fields.String(load_default="", validate=validate.Length(max=1000))


class AssignmentOutSchema(Schema):
    id = fields.Integer()
    cycle = fields.Integer(attribute="cycle_id")
    reviewer = fields.Function(lambda a: a.reviewer_city.slug)
    reviewed = fields.Function(lambda a: a.reviewed_city.slug)
    state = fields.String(metadata={"description": "proposed | published | removed"})
    source = fields.String(metadata={"description": "auto (the optimiser) | manual (the secretariat)"})
    costs = fields.Dict(keys=fields.String(), values=fields.Float(),
                        metadata={"description": "The cost terms that made the optimiser choose the pair"})
    alternates = fields.List(fields.Nested(AlternateSchema),
                             metadata={"description": "The two next-best reviewer cities and why they were not chosen"})
    published_at = fields.DateTime(allow_none=True)


class AssignmentListSchema(Schema):
    items = fields.List(fields.Nested(AssignmentOutSchema))
    violations = fields.List(fields.Dict(), metadata={"description": "Rules the current pairs break"})
    run = fields.Dict(allow_none=True, metadata={"description": "The last proposal: seed, status, seconds, "
                                                              "which soft rules gave way for whom"})


class ProposeSchema(Schema):
    seed = fields.Integer(validate=validate.Range(min=0, max=2 ** 31 - 1), allow_none=True)
