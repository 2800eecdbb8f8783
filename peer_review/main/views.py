from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session
from flask_login import current_user, login_required

from ..auth.views import _safe_next
from ..extensions import db
from ..permissions import require
from .home import home_sections

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def home():
    require("home.view")
    return render_template("main/home.html", sections=home_sections(current_user))


@bp.route("/network")
@login_required
def network():
    """The secretariat's entry to the network's cities, people and audit log."""
    require("network.view")
    from ..audit.models import AuditEntry
    from ..cities.models import City
    from ..users.models import User
    counts = {
        "cities": db.session.scalar(db.select(db.func.count(City.id)).filter(City.active.is_(True))),
        "people": db.session.scalar(db.select(db.func.count(User.id)).filter(User.active.is_(True))),
        "invited": db.session.scalar(db.select(db.func.count(User.id)).filter(
            User.active.is_(True), User.password_hash.is_(None))),
        "changes": db.session.scalar(db.select(db.func.count(AuditEntry.id))),
    }
    return render_template("main/network.html", counts=counts)


@bp.route("/language", methods=["POST"])
def set_language():
    lang = request.form.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        session["locale"] = lang
        if current_user.is_authenticated and current_user.locale != lang:
            current_user.locale = lang
            db.session.commit()
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/accessibility")
def accessibility():
    return render_template("main/accessibility.html")


@bp.route("/healthz")
def health():
    db.session.execute(db.text("SELECT 1"))
    return {"status": "ok"}
