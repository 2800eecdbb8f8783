from flask import Blueprint

from ..i18n import lazy_gettext as _l
from .rules import register_rules

bp = Blueprint("indicators", __name__, url_prefix="/indicators")
register_rules()


@bp.record_once
def _add_navigation(state) -> None:
    entries = state.app.extensions.setdefault("pr_nav_extra", [])
    entries.append(("indicators.index", _l("Indicators"), "indicator.menu"))
