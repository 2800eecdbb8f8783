from flask import abort, request

from ..api import bp
from ..api.schemas import UserSchema
from ..api.util import paginated, token_required
from ..extensions import db
from ..permissions import require
from . import operations as ops
from .models import User


@bp.get("/users")
@token_required
def list_users():
    """List people (secretariat).
    ---
    get:
      tags: [people]
      summary: List people, searchable and paginated
      security: [{bearerAuth: []}]
      parameters:
        - {in: query, name: q, schema: {type: string}}
        - {in: query, name: role, schema: {type: string, enum: [facilitator, secretariat, admin, coordinator, member]}}
        - {in: query, name: page, schema: {type: integer, minimum: 1}}
        - {in: query, name: per_page, schema: {type: integer, minimum: 1, maximum: 100}}
      responses:
        200: {description: "OK", content: {application/json: {schema: UserPageSchema}}}
        403: {description: "Not allowed", content: {application/json: {schema: ErrorSchema}}}
    """
    require("user.list")
    q = (request.args.get("q") or "").strip()[:100]
    role = request.args.get("role") or None
    return paginated(ops.search_users(q, role), UserSchema(), "api.list_users", q=q or None, role=role)


@bp.get("/users/<int:user_id>")
@token_required
def get_user(user_id):
    """One person.
    ---
    get:
      tags: [people]
      summary: One person (yourself, or anyone for the secretariat)
      security: [{bearerAuth: []}]
      parameters: [{in: path, name: user_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: "OK", content: {application/json: {schema: UserSchema}}}
        404: {description: "Not found or not visible to you", content: {application/json: {schema: ErrorSchema}}}
    """
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    require("user.view", user)
    return UserSchema().dump(user)
