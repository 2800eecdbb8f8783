from flask import Blueprint

from ..i18n import lazy_gettext as _l
from .rules import register_rules

bp = Blueprint("reports", __name__, url_prefix="/reports")
register_rules()


@bp.record_once
def _add_navigation(state) -> None:
    state.app.extensions.setdefault("pr_nav_extra", []).append(("reports.index", _l("Reports"), "report.menu"))
