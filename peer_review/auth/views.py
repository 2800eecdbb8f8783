"""Sign in, sign out, password reset and accepting an invitation."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, limiter
from ..users.models import User
from ..utils import utcnow
from . import operations as ops
from ..errors import ValidationFailed, apply_to_form
from ..permissions import require
from ..users.operations import update_user
from .forms import AccountForm, ChangePasswordForm, LoginForm, NewPasswordForm, ResetRequestForm

bp = Blueprint("auth", __name__)


class SignInLimits:
    """Failed sign-ins only, per account and per address; a success clears its account's count.

    Counting successes would lock out people who sign in often, and an office or a workshop behind one address
    would share 20 attempts. Guessing runs still stop: 5 wrong passwords lock one account for a while, and
    LOGIN_LIMIT_PER_ADDRESS wrong passwords (100 by default, room for a workshop of 40 with typos) lock an
    address that sprays many accounts.
    """

    def __init__(self):
        from limits import parse
        self.account = parse(current_app.config["LOGIN_LIMIT_PER_ACCOUNT"])
        self.address = parse(current_app.config["LOGIN_LIMIT_PER_ADDRESS"])
        self.strategy = limiter.limiter
        self.ip = get_remote_address()

    def _ask(self, method: str, *args):
        """The limiter's storage, or this process's memory while the storage (Redis) does not answer: an outage
        must not stop people signing in, and the counts still hold within each process meanwhile."""
        try:
            return getattr(self.strategy, method)(*args)
        except Exception as exc:  # the storage backend's own connection errors (redis, limits) vary by backend
            if self.strategy is _memory_strategy():
                raise
            current_app.logger.warning("sign-in limits: storage unavailable (%s); counting in memory",
                                       type(exc).__name__)
            self.strategy = _memory_strategy()
            return getattr(self.strategy, method)(*args)

    def allowed(self, email: str) -> bool:
        return (self._ask("test", self.account, "login-fail-account", email)
                and self._ask("test", self.address, "login-fail-address", self.ip))

    def failed(self, email: str) -> None:
        self._ask("hit", self.account, "login-fail-account", email)
        self._ask("hit", self.address, "login-fail-address", self.ip)

    def succeeded(self, email: str) -> None:
        self._ask("clear", self.account, "login-fail-account", email)


_MEMORY = {}


def _memory_strategy():
    """One in-memory limiter per process, of the same kind as the configured one (the Redis fallback)."""
    if "strategy" not in _MEMORY:
        from limits.storage import MemoryStorage
        _MEMORY["strategy"] = type(limiter.limiter)(MemoryStorage())
    return _MEMORY["strategy"]


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never an open redirect."""
    if not target:
        return url_for("main.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("main.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()[:254]
        limits = SignInLimits()
        if not limits.allowed(email):
            abort(429)
        user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none()
        if user is not None and user.active and user.check_password(form.password.data):
            limits.succeeded(email)
            login_user(user, remember=form.remember.data)
            user.last_login_at = utcnow()
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        limits.failed(email)
        form.password.errors.append(_("The email address or password is not right"))
    return render_template("auth/login.html", form=form), (200 if not form.errors else 400)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    # The session and remember-me cookies carry the session token: a new one makes copies of both worthless.
    user = current_user._get_current_object()
    logout_user()
    ops.end_sessions(user)
    db.session.commit()
    flash(_("You have signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/password/reset", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_LIMIT"], methods=["POST"])
def request_reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        ops.send_password_reset(form.email.data)
        db.session.commit()
        return render_template("auth/reset_sent.html", email=form.email.data.strip().lower())
    return render_template("auth/reset_request.html", form=form), (200 if not form.errors else 400)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    user = ops.read_token(token, ops.RESET_SALT, current_app.config["PASSWORD_RESET_MAX_AGE"])
    if user is None:
        return render_template("auth/link_invalid.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        ops.set_password(user, form.password.data, "user.password_reset")
        db.session.commit()
        flash(_("Your password has been changed. Sign in with your new password."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/new_password.html", form=form, title=_("Choose a new password")), \
        (200 if not form.errors else 400)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    user = ops.read_token(token, ops.INVITE_SALT, current_app.config["INVITATION_MAX_AGE"])
    if user is None or user.has_password:
        return render_template("auth/link_invalid.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        ops.set_password(user, form.password.data, "user.invitation_accepted")
        db.session.commit()
        login_user(user)
        flash(_("Welcome, %(name)s. Your account is ready.", name=user.name), "success")
        return redirect(url_for("main.home"))
    return render_template("auth/new_password.html", form=form,
                           title=_("Set up your account, %(name)s", name=user.name)), \
        (200 if not form.errors else 400)


# --- Your account: name, language and password, changed by the person themselves ----------------------------

@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    require("account.manage", current_user)
    user = current_user._get_current_object()
    form = AccountForm(obj=user)
    password_form = ChangePasswordForm(formdata=None)
    if form.validate_on_submit():
        try:
            update_user(user, name=form.name.data, locale=form.locale.data, actor=user)
        except ValidationFailed as err:
            db.session.rollback()
            apply_to_form(form, err)
        else:
            db.session.commit()
            session.pop("locale", None)  # the saved language applies from now on
            flash(_("Your details are saved."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, password_form=password_form), \
        (400 if form.errors else 200)


@bp.route("/account/password", methods=["POST"])
@login_required
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=lambda: f"pw-change:{current_user.id}",
               deduct_when=lambda response: response.status_code == 400)
def change_password():
    require("account.manage", current_user)
    user = current_user._get_current_object()
    password_form = ChangePasswordForm()
    if password_form.validate_on_submit():
        if not user.check_password(password_form.current.data):
            password_form.current.errors.append(_("Your current password is not right"))
        elif password_form.password.data == password_form.current.data:
            password_form.password.errors.append(_("Choose a password different from the current one"))
        else:
            remember = request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))
            ops.set_password(user, password_form.password.data, "user.password_change")
            db.session.commit()
            login_user(user, remember=bool(remember))  # this session goes on with the new token; others end
            flash(_("Your password is changed. You are signed out everywhere else."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=AccountForm(obj=user, formdata=None),
                           password_form=password_form), 400
