from marshmallow import Schema, fields, validate

from .operations import AGREEMENT_KEYS, MAX_COMMENT, MAX_REASON, MAX_TEXT, PRIORITY_KEYS
from .responses import DECISION_KEYS, MAX_OWNER, PROGRESS_KEYS
from .responses import MAX_TEXT as MAX_RESPONSE_TEXT


class ReviewAnswerSchema(Schema):
    """The reviewers' answer on one criterion as sent: only the fields given change."""
    level = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=0, max=10),
                           metadata={"description": "a level of the rubric's scale, or null"})
    agreement = fields.String(allow_none=True, validate=validate.OneOf(AGREEMENT_KEYS),
                              metadata={"description": "agree, partly or disagree with the city's self-score"})
    comment = fields.String(validate=validate.Length(max=MAX_COMMENT), metadata={"description": "Markdown"})


class ReviewAnswerOutSchema(ReviewAnswerSchema):
    criterion_id = fields.String()
    version = fields.Integer(metadata={"description": "0 before the first save; If-Match carries it as \"v<n>\""})
    etag = fields.String()
    done = fields.Boolean(metadata={"description": "complete for submission"})
    updated_at = fields.DateTime(allow_none=True)


class StrengthSchema(Schema):
    text = fields.String(validate=validate.Length(min=1, max=MAX_TEXT))
    good_practice = fields.Boolean()
    criterion_ids = fields.List(fields.String(validate=validate.Length(max=80)), validate=validate.Length(max=200))


class StrengthOutSchema(StrengthSchema):
    id = fields.Integer()
    version = fields.Integer()
    etag = fields.String()


class RecommendationSchema(Schema):
    text = fields.String(validate=validate.Length(min=1, max=MAX_TEXT))
    priority = fields.String(validate=validate.OneOf(PRIORITY_KEYS))
    criterion_ids = fields.List(fields.String(validate=validate.Length(max=80)), validate=validate.Length(max=200),
                                metadata={"description": "at least one criterion of the review's rubric"})


class RecommendationOutSchema(RecommendationSchema):
    id = fields.Integer()
    version = fields.Integer()
    etag = fields.String()


class ReviewSummarySchema(Schema):
    id = fields.Integer()
    cycle = fields.Integer()
    reviewer = fields.String(metadata={"description": "reviewer city slug"})
    reviewed = fields.String(metadata={"description": "reviewed city slug"})
    assessment = fields.Integer()
    state = fields.String(metadata={"description": "draft or submitted"})
    released = fields.Boolean()
    submitted_at = fields.DateTime(allow_none=True)
    released_at = fields.DateTime(allow_none=True)
    done = fields.Integer()
    criteria = fields.Integer()


class ReviewOutSchema(ReviewSummarySchema):
    answers = fields.List(fields.Nested(ReviewAnswerOutSchema))
    strengths = fields.List(fields.Nested(StrengthOutSchema))
    recommendations = fields.List(fields.Nested(RecommendationOutSchema))


class ReviewConflictSchema(Schema):
    error = fields.Dict()
    current = fields.Dict(metadata={"description": "the row as saved now"})
    yours = fields.Dict(metadata={"description": "the fields you sent, as you sent them"})


class ReleaseSchema(Schema):
    city = fields.String(validate=validate.Length(max=80),
                         metadata={"description": "the reviewed city's slug; without it, every city"})


class ReleaseOutSchema(Schema):
    released = fields.List(fields.Integer(), metadata={"description": "ids of the reviews released now"})


class ReopenReviewSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=MAX_REASON))


class ResponseItemSchema(Schema):
    decision = fields.String(allow_none=True, validate=validate.OneOf(DECISION_KEYS))
    comment = fields.String(validate=validate.Length(max=MAX_RESPONSE_TEXT))
    action = fields.String(validate=validate.Length(max=MAX_RESPONSE_TEXT))
    action_owner = fields.String(validate=validate.Length(max=MAX_OWNER))
    action_due = fields.Date(allow_none=True)


class ResponseItemOutSchema(Schema):
    recommendation_id = fields.Integer()
    recommendation = fields.String(metadata={"description": "the recommendation's text"})
    priority = fields.String()
    criterion_ids = fields.List(fields.String())
    reviewer = fields.String(metadata={"description": "reviewer city slug"})
    decision = fields.String(allow_none=True)
    comment = fields.String()
    action = fields.String()
    action_owner = fields.String()
    action_due = fields.String(allow_none=True, metadata={"description": "ISO date"})
    progress = fields.String()
    progress_note = fields.String()
    version = fields.Integer()
    etag = fields.String()


class ResponseProgressSchema(Schema):
    progress = fields.String(required=True, validate=validate.OneOf(PROGRESS_KEYS))
    note = fields.String(validate=validate.Length(max=MAX_RESPONSE_TEXT))


class ResponseOutSchema(Schema):
    id = fields.Integer()
    cycle = fields.Integer()
    city = fields.String()
    state = fields.String()
    submitted_at = fields.DateTime(allow_none=True)
    items = fields.List(fields.Nested(ResponseItemOutSchema))
