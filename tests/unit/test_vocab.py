"""Controlled vocabularies: stable values, translatable labels, helpers."""

from peer_review.evidence import vocab


def test_evidence_types_in_brief_order():
    assert vocab.values(vocab.EVIDENCE_TYPES) == (
        "narrative", "safety_audit", "cultural_story", "focus_group", "survey_text", "media_excerpt",
    )
    assert vocab.label(vocab.EVIDENCE_TYPES, "safety_audit") == "Safety audit note (incl. women's safety walk)"


def test_all_vocabularies_values():
    assert vocab.values(vocab.LANGUAGES) == ("en", "es", "fr")
    assert vocab.values(vocab.GENDERS) == ("women", "men", "non_binary", "mixed", "unspecified")
    assert vocab.values(vocab.AGE_GROUPS) == ("children", "youth", "adults", "older_people", "mixed", "unspecified")
    assert vocab.values(vocab.VULNERABLE_GROUPS) == (
        "disability", "migrants", "homeless", "undocumented", "lgbtiq", "indigenous", "ethnic_minority", "none",
    )
    assert vocab.values(vocab.CONSENT) == ("obtained", "anonymised", "public_source", "pending", "withdrawn")
    assert vocab.values(vocab.VISIBILITY) == ("network", "city", "restricted")


def test_labels_are_lazy_and_unique():
    for voc in (vocab.EVIDENCE_TYPES, vocab.LANGUAGES, vocab.GENDERS, vocab.AGE_GROUPS, vocab.VULNERABLE_GROUPS,
                vocab.CONSENT, vocab.VISIBILITY):
        vals = vocab.values(voc)
        assert len(set(vals)) == len(vals)
        for _value, text in voc:
            assert not isinstance(text, str)  # lazy: resolved at render time in the user's language
            assert str(text)


def test_label_fallbacks():
    assert vocab.label(vocab.VISIBILITY, "restricted") == "Restricted: owning city and facilitators"
    assert vocab.label(vocab.VISIBILITY, "legacy_value") == "legacy_value"
    assert vocab.label(vocab.VISIBILITY, None) == ""
