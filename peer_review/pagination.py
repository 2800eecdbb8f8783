"""One way to paginate a query, for pages and the API alike."""
from __future__ import annotations

from flask import current_app, request

from .extensions import db


def page_args(max_per_page: int | None = None) -> tuple[int, int]:
    default = current_app.config["PAGE_SIZE"]
    limit = max_per_page or current_app.config["API_MAX_PAGE_SIZE"]
    try:
        page = max(1, min(int(request.args.get("page", 1)), 1_000_000))
    except (TypeError, ValueError):
        page = 1
    try:
        per_page = max(1, min(int(request.args.get("per_page", default)), limit))
    except (TypeError, ValueError):
        per_page = default
    return page, per_page


def paginate(stmt, max_per_page: int | None = None):
    page, per_page = page_args(max_per_page)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def page_url(page: int) -> str:
    """The current page's address with another page number, keeping every filter."""
    from flask import url_for
    args = request.args.to_dict()
    args["page"] = page
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def pagination_params(pager) -> dict:
    """Parameters for GOV.UK Frontend's pagination component."""
    from flask_babel import gettext as _
    items = []
    for number in pager.iter_pages(left_edge=1, right_edge=1, left_current=1, right_current=2):
        items.append({"number": number, "href": page_url(number), "current": number == pager.page}
                     if number else {"ellipsis": True})
    return {
        "landmarkLabel": _("Pages"),
        "previous": {"href": page_url(pager.prev_num), "text": _("Previous")} if pager.has_prev else None,
        "next": {"href": page_url(pager.next_num), "text": _("Next")} if pager.has_next else None,
        "items": items,
    }
