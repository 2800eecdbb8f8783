from flask import Blueprint

from ..i18n import lazy_gettext as _l

bp = Blueprint("reviews", __name__, url_prefix="/reviews")

# The menu entry only ("review.menu" in the permission table): everyone signed in may open the index.


@bp.record_once
def _add_navigation(state) -> None:
    entries = state.app.extensions.setdefault("pr_nav_extra", [])
    position = next((i + 1 for i, e in enumerate(entries) if e[0] == "assessments.index"), len(entries))
    entries.insert(position, ("reviews.index", _l("Peer reviews"), "review.menu"))
