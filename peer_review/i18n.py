"""Locale choice and locale-aware formatting helpers for templates."""
from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_babel import format_date, format_datetime, format_decimal, gettext
from flask_babel.speaklater import LazyString
from flask_login import current_user
from markupsafe import Markup, escape


class TextLazyString(LazyString):
    """A lazily translated message that is text, never markup.

    Flask-Babel's LazyString declares ``__html__`` as its plain value, so Jinja trusted it as markup and a value
    interpolated into it (an item title in an error message) reached the page unescaped.
    """

    def __html__(self) -> Markup:
        # Our messages carry no markup of their own, so escaping the formatted message escapes exactly the
        # values formatted into it.
        return escape(str(self))


def lazy_gettext(string: str, **variables) -> TextLazyString:
    """The project's ``_l``: use it instead of Flask-Babel's (a test forbids importing that one)."""
    return TextLazyString(gettext, string, **variables)


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # command line and background work speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(list(languages)) or current_app.config["BABEL_DEFAULT_LOCALE"]


def register_template_helpers(app) -> None:
    app.jinja_env.filters["date"] = lambda value, fmt="medium": format_date(value, fmt) if value else ""
    app.jinja_env.filters["datetime"] = (
        lambda value, fmt="medium": format_datetime(value, fmt) if value else "")
    app.jinja_env.filters["number"] = lambda value: format_decimal(value) if value is not None else ""
    app.jinja_env.globals["character_count_texts"] = character_count_texts


def character_count_texts() -> dict:
    """GOV.UK Frontend's character count messages in the reader's language (its own are English only), as
    parameters of ``govukCharacterCount`` or of govuk-frontend-wtf's character count widget. ``%{count}`` is filled
    in by GOV.UK Frontend's script, which picks the plural form for the page's language (one / many / other)."""
    under_one = gettext("You have %{count} character remaining")
    under_other = gettext("You have %{count} characters remaining")
    over_one = gettext("You have %{count} character too many")
    over_other = gettext("You have %{count} characters too many")
    return {
        "charactersUnderLimitText": {"one": under_one, "many": under_other, "other": under_other},
        "charactersAtLimitText": gettext("You have 0 characters remaining"),
        "charactersOverLimitText": {"one": over_one, "many": over_other, "other": over_other},
        "textareaDescriptionText": gettext("You can enter up to %{count} characters"),
    }
