"""What every page's layout needs: navigation for the person's roles, languages, form error helper."""
from __future__ import annotations

from flask import current_app, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import pgettext
from flask_login import current_user
from govuk_frontend_wtf.main import wtforms_errors

from ..cities.models import POPULATION_BANDS, REGIONS
from ..notifications.operations import unread_count
from ..permissions import can
from ..users.models import CITY_ROLES, NETWORK_ROLES


def menu_labels() -> dict:
    """The main menu's words, by endpoint, with the context "main menu": a language may use a shorter word in the
    menu than in the page's heading (French "Preuves" in the menu, "Éléments probants" as the heading), so that
    the menu keeps to one row at desktop width in every language."""
    return {
        "cycles.index": pgettext("main menu", "Cycles"),
        "evidence.index": pgettext("main menu", "Evidence"),
        "coding.codes": pgettext("main menu", "Codebook"),
        "coding.samples_index": pgettext("main menu", "Double coding"),
        "main.network": pgettext("main menu", "Network"),
        "cities.index": pgettext("main menu", "Cities"),
        "assessments.index": pgettext("main menu", "Self-assessment"),
        "reviews.index": pgettext("main menu", "Peer reviews"),
        "exchange.index": pgettext("main menu", "Import and export"),
        "indicators.index": pgettext("main menu", "Indicators"),
        "reports.index": pgettext("main menu", "Reports"),
    }


def navigation() -> list[dict]:
    if not current_user.is_authenticated:
        return []
    # The network's staff get one "Network" entry for cities, people and the audit log (its page links them),
    # so that the menu stays on one row; everyone else sees the cities directly.
    network = can(current_user, "network.view")
    # The service's name in the header is the link home (as on GOV.UK services): the menu starts with the work.
    entries = [("cycles.index", _("Cycles"), "cycle.list", ()),
               ("evidence.index", _("Evidence"), "evidence.list", ()),
               ("coding.codes", _("Codebook"), "code.list", ()),
               ("coding.samples_index", _("Double coding"), "sample.view", ())]
    if network:
        entries.append(("main.network", _("Network"), "network.view", ("cities.index", "users.index", "audit.index")))
    else:
        entries.append(("cities.index", _("Cities"), "city.list", ()))
    entries += [(e, t, a, ()) for e, t, a in current_app.extensions.get("pr_nav_extra", [])]
    items = []
    labels = menu_labels()
    for endpoint, text, action, within in entries:
        text = labels.get(endpoint, text)
        if can(current_user, action):
            href = url_for(endpoint)
            prefixes = [href] + [url_for(e) for e in within if e in current_app.view_functions]
            items.append({"href": href, "text": text,
                          "active": request.path == href or any(p != "/" and request.path.startswith(p)
                                                                for p in prefixes)})
    return items


def form_errors(form) -> dict:
    return wtforms_errors(form, {"titleText": _("There is a problem")})


def inject_layout() -> dict:
    return {
        "nav_items": navigation,
        "languages": current_app.config["LANGUAGES"],
        "current_locale": str(get_locale() or "en"),
        "form_errors": form_errors,
        "can": lambda action, obj=None: can(current_user, action, obj),
        "region_label": lambda v: dict(REGIONS).get(v, v),
        "band_label": lambda v: dict(POPULATION_BANDS).get(v, v),
        "role_label": lambda v: dict(NETWORK_ROLES + CITY_ROLES).get(v, v),
        "unread_notifications": lambda: unread_count(current_user),
    }
