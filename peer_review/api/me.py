from flask_login import current_user

from . import bp
from .schemas import UserSchema
from .util import token_required


@bp.get("/me")
@token_required
def me():
    """The person the token belongs to.
    ---
    get:
      tags: [people]
      summary: The person the token belongs to
      security: [{bearerAuth: []}]
      responses:
        200: {description: "OK", content: {application/json: {schema: UserSchema}}}
        401: {description: "Not signed in (no valid token)", content: {application/json: {schema: ErrorSchema}}}
    """
    return UserSchema().dump(current_user)
