"""How an indicator's value reads wherever it shows, as HTML built in Python: the dashboards show it in hundreds
of cells, and a Jinja macro per cell cost a third of the page's time. Texts are translated and escaped."""
from __future__ import annotations

from markupsafe import Markup, escape

from flask_babel import gettext as _
from flask_babel import ngettext


def unit_label(unit: str | None) -> str:
    return {"per_100k": _("per 100,000 residents"), "percent": "%", "level": _("level"),
            "share_of_items": _("share of coded items")}.get(unit or "", unit or "")


def value_html(v, definition: dict, method: dict, share, decimal1, number) -> Markup:
    """``v``: a value dict (value, low, high, n, hits, status, kind) or None; the three formatters are the page's
    locale-aware filters."""
    if not v or v.get("status") == "missing":
        return Markup('<span class="pr-muted">%s</span>') % _("No value")
    if v.get("status") == "not_enough_evidence":
        return Markup('<span class="pr-muted">%s</span> <span class="govuk-body-s pr-muted">%s</span>') % (
            _("Not enough evidence"),
            ngettext("(%(num)d coded item; %(min)s needed)", "(%(num)d coded items; %(min)s needed)", v.get("n", 0),
                     min=method.get("min_items", 5)))
    kind = v.get("kind")
    if kind == "evidence":
        return Markup('<strong>%s</strong> <span class="govuk-body-s">%s</span>') % (
            share(v["value"]), _("(%(low)s to %(high)s)", low=share(v["low"]), high=share(v["high"])))
    if kind == "criteria":
        return Markup('<strong>%s</strong> <span class="govuk-body-s">%s</span>') % (decimal1(v["value"]),
                                                                                   _("mean level"))
    out = Markup('<strong>%s</strong> <span class="govuk-body-s">%s</span>') % (number(v["value"]),
                                                                              unit_label(definition.get("unit")))
    if v.get("hits"):
        out += Markup(' <strong class="govuk-tag govuk-tag--yellow">%s</strong>') % _("Proxy")
    return out


def tier_html(tier: str | None) -> Markup:
    if tier == "core":
        return Markup('<strong class="govuk-tag govuk-tag--blue">%s</strong>') % _("Core")
    if tier == "second":
        return Markup('<strong class="govuk-tag govuk-tag--grey">%s</strong>') % _("Second tier")
    return Markup('<strong class="govuk-tag govuk-tag--purple">%s</strong>') % _("Local")


__all__ = ["escape", "tier_html", "unit_label", "value_html"]
