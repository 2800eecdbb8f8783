"""Indicator pages: the entry point, a city's dashboard and the drill-down from a figure to what is behind it."""
from __future__ import annotations

from flask import redirect, url_for
from flask_login import login_required

from ..permissions import require
from .blueprint import bp


@bp.get("/")
@login_required
def index():
    require("indicator.menu")
    return redirect(url_for("main.home"))
