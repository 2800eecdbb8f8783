from flask import Blueprint

from ..i18n import lazy_gettext as _l

bp = Blueprint("assessments", __name__, url_prefix="/assessments")


@bp.record_once
def _add_navigation(state) -> None:
    state.app.extensions.setdefault("pr_nav_extra", []).insert(
        0, ("assessments.index", _l("Self-assessment"), "assessment.menu"))
