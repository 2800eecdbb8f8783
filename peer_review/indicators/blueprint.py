from functools import lru_cache

from flask import Blueprint

from ..i18n import lazy_gettext as _l
from .rules import register_rules

bp = Blueprint("indicators", __name__, url_prefix="/indicators")
register_rules()


@bp.record_once
def _add_navigation(state) -> None:
    entries = state.app.extensions.setdefault("pr_nav_extra", [])
    entries.append(("indicators.index", _l("Indicators"), "indicator.menu"))


@lru_cache(maxsize=8)
def _pattern(pattern: str):
    from babel.numbers import parse_pattern
    return parse_pattern(pattern)  # parsed once: a dashboard formats hundreds of numbers


def _locale():
    """The page's locale, looked up once per request (the filters run hundreds of times on a dashboard)."""
    from flask.globals import _cv_request
    from flask_babel import get_locale
    ctx = _cv_request.get(None)
    if ctx is None:
        return get_locale()
    # Kept in the request's own environ (not flask.g, which tests and CLI calls may share across requests).
    environ = ctx.request.environ
    if "pr.number_locale" not in environ:
        environ["pr.number_locale"] = get_locale()
    return environ["pr.number_locale"]


@lru_cache(maxsize=4096)
def _formatted(pattern: str, value: float, locale) -> str:
    return _pattern(pattern).apply(value, locale)


@bp.app_template_filter("share")
def share_filter(value) -> str:
    """A share of items (0–1) as a whole percentage in the page's locale (the same few values recur)."""
    return "" if value is None else _formatted("#,##0%", round(value, 6), _locale())


@bp.app_template_filter("decimal1")
def decimal1_filter(value) -> str:
    return "" if value is None else _formatted("#,##0.0", round(value, 6), _locale())


@bp.app_template_global("itext")
def itext(value, locale: str = "en") -> str:
    from .definitions import text
    return text(value, locale)


@bp.app_template_global("voice_name")
def voice_name(dimension: str, value: str) -> str:
    from ..evidence import vocab
    table = {"gender": vocab.GENDERS, "age_group": vocab.AGE_GROUPS, "group": vocab.VULNERABLE_GROUPS,
             "type": vocab.EVIDENCE_TYPES}.get(dimension)
    return vocab.label(table, value) if table else value


@bp.app_template_filter("voice_pair")
def voice_pair(pair) -> str:
    return voice_name(*pair)


@bp.app_template_global("draws_on")
def draws_on_global(definition: dict) -> str:
    from .tables import draws_on
    return draws_on(definition)


@bp.app_template_global("value_html")
def value_html_global(v, definition, method):
    from .display import value_html
    return value_html(v, definition, method, share_filter, decimal1_filter, _number)


@bp.app_template_global("tier_html")
def tier_html_global(tier):
    from .display import tier_html
    return tier_html(tier)


def _number(value) -> str:
    from flask_babel import format_decimal
    return "" if value is None else format_decimal(value)
