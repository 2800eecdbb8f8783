from __future__ import annotations

import datetime as dt

from flask import Blueprint, render_template, request
from flask_login import login_required

from ..extensions import db
from ..pagination import paginate
from ..permissions import require
from ..users.models import User
from .labels import action_label, names_for, object_label, readable_summary
from .models import AuditEntry

bp = Blueprint("audit", __name__, url_prefix="/audit")


def _date_arg(name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def filtered_entries(actor_email=None, action=None, object_type=None, since=None, until=None):
    stmt = db.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if actor_email:
        stmt = stmt.join(User, AuditEntry.actor_id == User.id).filter(User.email == actor_email.strip().lower())
    if action:
        stmt = stmt.filter(AuditEntry.action.like(f"{action[:60]}%"))
    if object_type:
        stmt = stmt.filter(AuditEntry.object_type == object_type[:40])
    if since:
        stmt = stmt.filter(AuditEntry.at >= dt.datetime.combine(since, dt.time.min))
    if until:
        stmt = stmt.filter(AuditEntry.at < dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min))
    return stmt


@bp.route("/")
@login_required
def index():
    require("audit.view")
    filters = {
        "actor_email": (request.args.get("actor") or "").strip()[:254] or None,
        "action": (request.args.get("action") or "").strip() or None,
        "object_type": (request.args.get("object_type") or "").strip() or None,
        "since": _date_arg("since"),
        "until": _date_arg("until"),
    }
    actions = db.session.execute(db.select(AuditEntry.action).distinct().order_by(AuditEntry.action)).scalars().all()
    types = db.session.execute(
        db.select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type)).scalars().all()
    pager = paginate(filtered_entries(**filters))
    return render_template("audit/index.html", pager=pager, filters=filters, actions=actions, types=types,
                           action_label=action_label, object_label=object_label,
                           summary=lambda e, names=names_for(pager.items): readable_summary(e.summary, names))
