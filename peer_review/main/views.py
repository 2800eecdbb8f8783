from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session
from flask_login import current_user, login_required

from ..auth.views import _safe_next
from ..extensions import db, talisman
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


@bp.route("/health")
def health():
    """Liveness: the process answers and reaches its database (``/healthz`` checks every dependency)."""
    db.session.execute(db.text("SELECT 1"))
    return {"status": "ok"}


def _short_reason(exc: Exception) -> str:
    text = (str(exc).strip().splitlines() or [""])[0]
    return f"down: {type(exc).__name__}" + (f": {text[:150]}" if text else "")


@bp.route("/healthz")
@talisman(force_https=False)  # probed over plain HTTP on 127.0.0.1 even when FORCE_HTTPS redirects the rest
def healthz():
    """Readiness for load balancers and the production script: the database and, when used, Redis.

    200 when all is well; 503 naming what is down. No sign-in, no session, nothing written."""
    checks = {"database": "ok", "redis": "not used"}
    try:
        db.session.execute(db.text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001  (any driver error means the database cannot serve requests)
        db.session.rollback()
        checks["database"] = _short_reason(exc)
    config = current_app.config
    if config.get("JOBS_BACKEND") == "rq" or str(config.get("RATELIMIT_STORAGE_URI", "")).startswith(
            ("redis://", "rediss://", "redis+")):
        try:
            from ..jobs.worker import redis_connection
            redis_connection().ping()
            checks["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001  (whatever it is, Redis cannot serve)
            checks["redis"] = _short_reason(exc)
    ok = all(value in ("ok", "not used") for value in checks.values())
    body = {"status": "ok" if ok else "down", **checks}
    response = jsonify(body)
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response
