"""Controlled vocabularies for qualitative evidence items.

Why: forms, the bulk importer, the API and reports must all agree on the same stored values, while the labels the
users see are translated. Each vocabulary is an ordered tuple of ``(value, lazy label)``: the value is what is
stored (stable, English, lowercase) and the label is a lazy translation string, so this module imports without a
Flask application context and labels resolve in the user's language at render time.
"""

from __future__ import annotations

from ..i18n import lazy_gettext as _l

Vocab = tuple[tuple[str, object], ...]

EVIDENCE_TYPES: Vocab = (
    ("narrative", _l("Narrative or testimony")),
    ("safety_audit", _l("Safety audit note (incl. women's safety walk)")),
    ("cultural_story", _l("Cultural participation story")),
    ("focus_group", _l("Focus group or interview notes")),
    ("survey_text", _l("Survey free text")),
    ("media_excerpt", _l("Media or document excerpt")),
)

LANGUAGES: Vocab = (
    ("en", _l("English")),
    ("es", _l("Spanish")),
    ("fr", _l("French")),
)

GENDERS: Vocab = (
    ("women", _l("Women")),
    ("men", _l("Men")),
    ("non_binary", _l("Non-binary")),
    ("mixed", _l("Mixed")),
    ("unspecified", _l("Unspecified")),
)

AGE_GROUPS: Vocab = (
    ("children", _l("Children")),
    ("youth", _l("Youth")),
    ("adults", _l("Adults")),
    ("older_people", _l("Older people")),
    ("mixed", _l("Mixed")),
    ("unspecified", _l("Unspecified")),
)

#: Multi-valued: an item may speak for several groups. "none" means no particular vulnerable group.
VULNERABLE_GROUPS: Vocab = (
    ("disability", _l("People with disabilities")),
    ("migrants", _l("Migrants and refugees")),
    ("homeless", _l("Homeless people")),
    ("undocumented", _l("Undocumented people")),
    ("lgbtiq", _l("LGBTIQ+ people")),
    ("indigenous", _l("Indigenous peoples")),
    ("ethnic_minority", _l("Ethnic minorities")),
    ("none", _l("None in particular")),
)

CONSENT: Vocab = (
    ("obtained", _l("Consent obtained")),
    ("anonymised", _l("Anonymised")),
    ("public_source", _l("Public source")),
    ("pending", _l("Consent pending")),
    ("withdrawn", _l("Consent withdrawn")),
)

VISIBILITY: Vocab = (
    ("network", _l("Whole network")),
    ("city", _l("City and facilitators")),
    ("restricted", _l("Restricted: owning city and facilitators")),
)


def values(vocab: Vocab) -> tuple[str, ...]:
    """Return the stored values of a vocabulary, in display order (for validation and select choices)."""
    return tuple(value for value, _label in vocab)


def label(vocab: Vocab, value: str | None) -> str:
    """Return the translated label for ``value``; an unknown value is returned as-is so old data still shows."""
    for known, text in vocab:
        if known == value:
            return str(text)
    return "" if value is None else str(value)
