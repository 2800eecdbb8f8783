"""Helpers every API endpoint uses: reading JSON, validating it, paginating, answering errors."""
from __future__ import annotations

from functools import wraps

from flask import abort, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError

from ..errors import StaleVersion, ValidationFailed
from ..input_limits import parse_id
from ..pagination import paginate
from .errors import error_response


class ApiError(Exception):
    def __init__(self, status: int, code: str, message, fields: dict | None = None):
        super().__init__(str(message))
        self.status, self.code, self.message, self.fields = status, code, message, fields


def token_required(fn):
    @wraps(fn)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            abort(401)
        try:
            return fn(*args, **kwargs)
        except ApiError as err:
            return error_response(err.status, err.code, err.message, err.fields)
        except ValidationFailed as err:
            from ..extensions import db
            db.session.rollback()
            return error_response(422, "invalid", _("Some values are not valid."), err.fields)
        except StaleVersion as err:
            from ..extensions import db
            db.session.rollback()
            response = error_response(409, "conflict", _(
                "The item changed since you read it (version %(n)s is current). Read it again, then send your "
                "change with If-Match set to its new ETag.", n=err.current))
            response.headers["ETag"] = version_etag(err.current)
            return response
    return wrapper


def version_etag(version: int) -> str:
    return f'"v{int(version)}"'


def if_match_version() -> int:
    """The version an update is based on, from If-Match (an ETag this API gave); required for updates."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise ApiError(428, "precondition_required", _(
            "Send If-Match with the ETag of the item you read, so that a change made meanwhile (a redaction) "
            "is never overwritten."))
    tag = header.removeprefix("W/").strip('"')
    version = parse_id(tag[1:]) if tag.startswith("v") and len(tag) <= 12 else None
    if version is None:
        raise ApiError(412, "precondition_failed", _("If-Match is not an ETag of this item."))
    return version


def load_json(schema, *, partial: bool = False) -> dict:
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", _("Send JSON with Content-Type: application/json."))
    data = request.get_json(silent=True)
    if data is None:
        raise ApiError(400, "bad_json", _("The request body is not valid JSON."))
    if not isinstance(data, dict):
        raise ApiError(422, "invalid", _("The request body must be a JSON object."))
    try:
        return schema.load(data, partial=partial)
    except ValidationError as err:
        raise ApiError(422, "invalid", _("Some values are not valid."),
                       {k: v if isinstance(v, list) else [str(v)] for k, v in err.messages.items()}) from None


def paginated(stmt, schema, endpoint: str, **url_args):
    pager = paginate(stmt)
    next_url = url_for(endpoint, page=pager.next_num, per_page=pager.per_page, **url_args) if pager.has_next else None
    return jsonify({"items": schema.dump(pager.items, many=True), "page": pager.page, "per_page": pager.per_page,
                    "total": pager.total, "pages": pager.pages, "next": next_url})
