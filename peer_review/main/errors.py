"""Error pages for people and JSON errors for the API, from one place."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..auth.loaders import is_api_request
from ..extensions import db

MESSAGES = {
    400: lambda: _("The request could not be understood."),
    401: lambda: _("You need to sign in."),
    403: lambda: _("You do not have permission to do this."),
    404: lambda: _("Page not found."),
    405: lambda: _("This address does not accept that kind of request."),
    413: lambda: _("What you sent is too large."),
    429: lambda: _("Too many attempts. Wait a few minutes and try again."),
    500: lambda: _("Something went wrong on our side. Nothing you entered was saved; try again."),
}
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         413: "too_large", 415: "unsupported_media_type", 422: "invalid", 429: "rate_limited",
         500: "server_error"}


def _render(status: int, message: str | None = None):
    message = message or MESSAGES.get(status, MESSAGES[400])()
    if is_api_request():
        from ..api.errors import error_response
        return error_response(status, CODES.get(status, "error"), message)
    template = f"errors/{status}.html" if status in (403, 404, 429) else "errors/generic.html"
    return render_template(template, status=status, message=message), status


def register(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(err):
        return _render(400, _("This form has expired or was not sent from this site. "
                              "Go back, reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        status = err.code or 500
        if status == 429:
            return _render(429)
        message = MESSAGES.get(status, lambda: None)()
        return _render(status, message)

    @app.errorhandler(Exception)
    def unhandled(err: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s", request.path)
        if app.testing and app.config.get("PROPAGATE_UNHANDLED", True):
            raise err
        return _render(500)
