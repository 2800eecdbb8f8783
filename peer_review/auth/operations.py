"""Sign-in tokens: password reset and invitations, signed and single-use."""
from __future__ import annotations

from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..audit.operations import record
from ..extensions import db
from ..mail.operations import send_mail
from ..users.models import User
from ..utils import utcnow

RESET_SALT = "password-reset"
INVITE_SALT = "invitation"


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def make_token(user: User, salt: str) -> str:
    # The session token changes whenever the password is set, so a used link stops working.
    return _serializer(salt).dumps({"id": user.id, "s": user.session_token})


def read_token(token: str, salt: str, max_age: int) -> User | None:
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict):
        return None
    user = db.session.get(User, data.get("id")) if isinstance(data.get("id"), int) else None
    if user is None or not user.active or user.session_token != data.get("s"):
        return None
    return user


def send_password_reset(email: str) -> None:
    user = db.session.execute(db.select(User).filter_by(email=email.strip().lower())).scalar_one_or_none()
    if user is None or not user.active:
        return  # the page says the same thing either way: no account enumeration
    link = url_for("auth.reset_password", token=make_token(user, RESET_SALT), _external=True)
    send_mail(user.email, _("Reset your Safer Cities workbench password"),
              _("Hello %(name)s,\n\nUse this link within 2 hours to choose a new password:\n%(link)s\n\n"
                "If you did not ask for this, ignore this message.", name=user.name, link=link))


def send_invitation(user: User, inviter: User) -> None:
    link = url_for("auth.accept_invitation", token=make_token(user, INVITE_SALT), _external=True)
    user.invited_at = utcnow()
    send_mail(user.email, _("You are invited to the Safer Cities workbench"),
              _("Hello %(name)s,\n\n%(inviter)s invited you to the Safer Cities peer review and evidence "
                "workbench. Choose your password with this link (valid 14 days):\n%(link)s\n",
                name=user.name, inviter=inviter.name, link=link))


def end_sessions(user: User) -> None:
    """Sign the person out everywhere: every session and remember-me cookie names the old token."""
    import secrets
    user.session_token = secrets.token_hex(16)


def set_password(user: User, password: str, action: str) -> None:
    """A new password ends every other session and revokes API tokens (whoever knew the old one may hold them)."""
    user.set_password(password)
    revoked = 0
    if action == "user.password_reset":
        for token in user.api_tokens:
            if token.revoked_at is None:
                token.revoked_at = utcnow()
                revoked += 1
    record(action, "user", user.id, summary=user.email, actor=user,
           after={"api_tokens_revoked": revoked} if revoked else None)
