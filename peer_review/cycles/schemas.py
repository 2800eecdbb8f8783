from marshmallow import Schema, fields, validate

from ..api.schemas import PageSchema
from .models import CYCLE_STATES, PHASE_KEYS, PREFERENCES


class PhaseDatesSchema(Schema):
    starts_on = fields.Date(allow_none=True)
    due_on = fields.Date(allow_none=True)


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
    phase = fields.String(dump_only=True, allow_none=True,
                          metadata={"description": "While open: " + ", ".join(PHASE_KEYS)})
    phases = fields.Dict(keys=fields.String(validate=validate.OneOf(PHASE_KEYS)),
                         values=fields.Nested(PhaseDatesSchema),
                         metadata={"description": "Start and due date per phase"})
    reviewers_per_city = fields.Integer(validate=validate.Range(min=0, max=10))
    even_load = fields.Boolean()
    no_swaps = fields.Boolean()
    avoid_repeats = fields.Boolean()
    preference = fields.String(validate=validate.OneOf([k for k, _ in PREFERENCES]))
    assignment_seed = fields.Integer(validate=validate.Range(min=0, max=2 ** 31 - 1))
    load_overrides = fields.Dict(keys=fields.String(validate=validate.Length(max=80)),
                                 values=fields.Integer(allow_none=True),
                                 metadata={"description": "City short name → the most cities it reviews"})


def _phases_out(cycle) -> dict:
    return {p.phase: {"starts_on": p.starts_on.isoformat() if p.starts_on else None,
                      "due_on": p.due_on.isoformat() if p.due_on else None} for p in cycle.phases}


def _overrides_out(cycle) -> dict:
    by_id = {str(c.id): c.slug for c in cycle.cities}
    return {by_id[k]: v for k, v in (cycle.load_overrides or {}).items() if k in by_id}


class CycleOutSchema(CycleSchema):
    cities = fields.Function(lambda c: [city.slug for city in c.cities])
    phases = fields.Function(_phases_out)
    load_overrides = fields.Function(_overrides_out)
    rubric_version = fields.Function(
        lambda c: f"{c.rubric_version.rubric_id}@{c.rubric_version.version}" if c.rubric_version else None,
        allow_none=True, metadata={"description": "rubric@version, or null", "example": "core@1.0"})


class CyclePageSchema(PageSchema):
    items = fields.List(fields.Nested(CycleOutSchema))
