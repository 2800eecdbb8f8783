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
