from ..i18n import lazy_gettext as _l

CITY_LANGUAGES = (
    ("en", _l("English")), ("es", _l("Spanish")), ("fr", _l("French")), ("pt", _l("Portuguese")),
    ("ar", _l("Arabic")), ("sw", _l("Swahili")), ("id", _l("Indonesian")), ("tl", _l("Filipino")),
)
