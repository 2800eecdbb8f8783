"""How a request becomes a user: the session cookie for pages, a Bearer token for the API."""
from __future__ import annotations

import datetime as dt

from flask import redirect, request, url_for

from ..extensions import db, login_manager
from ..i18n import lazy_gettext as _l
from ..users.models import ApiToken, User
from ..utils import utcnow

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in to see this page.")
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


def is_api_request() -> bool:
    return request.path.startswith("/api/")


@login_manager.user_loader
def load_user(user_id: str):
    # The API never trusts the session cookie: it would make every JSON write a CSRF target.
    if is_api_request():
        return None
    try:
        pk, token = user_id.split(":", 1)
        user = db.session.get(User, int(pk))
    except (ValueError, TypeError):
        return None
    if user is None or not user.active or user.session_token != token:
        return None
    return user


@login_manager.request_loader
def load_user_from_token(req):
    if not is_api_request():
        return None
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    raw = header[len("Bearer "):].strip()
    if not raw or len(raw) > 200:
        return None
    token = db.session.execute(
        db.select(ApiToken).filter_by(token_hash=ApiToken.hash(raw))).scalar_one_or_none()
    if token is None or not token.active or not token.user.active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        token.last_used_at = now  # throttled so that reads stay reads
        db.session.commit()
    return token.user


@login_manager.unauthorized_handler
def unauthorized():
    if is_api_request():
        from ..api.errors import error_response
        return error_response(401, "unauthorized", _l("A valid API token is required (Authorization: Bearer ...)."))
    from flask import flash
    flash(login_manager.login_message, "info")
    return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))
