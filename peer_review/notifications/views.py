"""A person's notifications: the list (unread first), opening one (marks it read, then goes to its page) and
marking them all read."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..pagination import paginate
from ..permissions import require
from . import operations as ops
from .models import Notification

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("/")
@login_required
def index():
    require("notification.view")
    pager = paginate(ops.listing(current_user))
    locale = str(get_locale() or "en")
    entries = [{"note": n, "text": ops.message(n, locale)} for n in pager.items]
    return render_template("notifications/index.html", pager=pager, entries=entries,
                           unread=ops.unread_count(current_user))


@bp.route("/<int:note_id>/open", methods=["POST"])
@login_required
def open_note(note_id: int):
    note = db.get_or_404(Notification, note_id)
    require("notification.read", note)
    ops.mark_read(note)
    db.session.commit()
    return redirect(ops.safe_link(note.link) or url_for("notifications.index"))


@bp.route("/read-all", methods=["POST"])
@login_required
def read_all():
    require("notification.view")
    count = ops.mark_all_read(current_user)
    db.session.commit()
    if count:
        flash(ngettext("%(num)d notification marked as read.", "%(num)d notifications marked as read.", count),
              "success")
    else:
        flash(_("You have no unread notifications."), "info")
    return redirect(url_for("notifications.index"))
