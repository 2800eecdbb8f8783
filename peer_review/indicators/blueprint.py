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
    from flask import has_request_context, request
    from flask_babel import get_locale
    if not has_request_context():
        return get_locale()
    # Kept in the request's own environ (not flask.g, which tests and CLI calls may share across requests).
    if "pr.number_locale" not in request.environ:
        request.environ["pr.number_locale"] = get_locale()
    return request.environ["pr.number_locale"]


@bp.app_template_filter("share")
def share_filter(value) -> str:
    """A share of items (0–1) as a whole percentage in the page's locale."""
    return "" if value is None else _pattern("#,##0%").apply(value, _locale())


@bp.app_template_filter("decimal1")
def decimal1_filter(value) -> str:
    return "" if value is None else _pattern("#,##0.0").apply(value, _locale())


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
