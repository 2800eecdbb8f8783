"""Redaction proposals and application with offset remapping for existing codings."""

from __future__ import annotations

import pytest

from peer_review.evidence.redaction import DEFAULT_MASK, Span, apply_redactions, merge_spans, propose_redactions


def proposed(text: str) -> list[tuple[str, str]]:
    return [(s.kind, s.text) for s in propose_redactions(text)]


@pytest.mark.parametrize(
    "phone",
    ["+34 612 345 678", "(555) 123-4567", "020 7946 0958", "06 12 34 56 78", "+44 (0)20 7946 0958",
     "+1-202-555-0143", "612345678", "+5491123456789", "91-555-1234", "+33 6 12 34 56 78", "0800 123 456"],
)
def test_phone_formats_found(phone):
    text = f"Puede llamar a {phone}, dijo la vecina."
    assert proposed(text) == [("phone", phone)]
    (span,) = propose_redactions(text)
    assert text[span.start : span.end] == phone


@pytest.mark.parametrize(
    "text",
    [
        "In 2019 and 2020 the programme grew.",
        "From 2019-2023 the budget doubled.",
        "45% of women and 12.5 % of men.",
        "Survey on 12/05/2023, again on 2023-05-12 and 12.05.2023 and 12-05-2023.",
        "A budget of $1,200,000 or €250 000 or 12 500 000 euros or USD 3 000 000.",
        "The city has 1 234 567 inhabitants and 12.345.678 visitors.",
        "Meet at 10:30 in room 12, bus 45, Calle 5 número 23.",
        "Rooms 3 4 5 6 7 8 9 were visited.",
        "Version 1.2.3.4.5.6.7 of the survey and case 20230512.",
        "Population 3 200 000 people in 2021.",
    ],
)
def test_no_false_positives(text):
    assert proposed(text) == []


def test_emails_found_and_not_doubled_as_phones():
    text = "Write to ana.lopez@ciudad.gob.mx or maria+walks@example.org. Also 612345678@sms.example.com."
    kinds = proposed(text)
    assert ("email", "ana.lopez@ciudad.gob.mx") in kinds
    assert ("email", "maria+walks@example.org") in kinds
    assert ("email", "612345678@sms.example.com") in kinds
    assert all(kind == "email" for kind, _ in kinds)


def test_spans_sorted_and_exact():
    text = "Ana (ana@x.org) +34 612 345 678 and Luis luis@y.es"
    spans = propose_redactions(text)
    assert [s.start for s in spans] == sorted(s.start for s in spans)
    for span in spans:
        assert text[span.start : span.end] == span.text


def test_empty_text():
    assert propose_redactions("") == []


# --- applying -------------------------------------------------------------------------------------------------


def test_removed_text_absent_from_output():
    text = "Contact Ana at ana@x.org or +34 612 345 678. She lives at Calle Luna 4."
    spans = propose_redactions(text) + [Span(text.index("Calle Luna 4"), text.index("Calle Luna 4") + 12)]
    new_text, _ = apply_redactions(text, spans)
    for secret in ("ana@x.org", "612", "Calle Luna"):
        assert secret not in new_text
    assert new_text == f"Contact Ana at {DEFAULT_MASK} or {DEFAULT_MASK}. She lives at {DEFAULT_MASK}."


def test_overlapping_and_touching_spans_merged():
    assert merge_spans([(5, 10), (8, 12), (12, 14), (20, 22), (30, 25), (-3, 1), (40, 99)], 45) == [
        (0, 1), (5, 14), (20, 22), (40, 45),
    ]
    new_text, _ = apply_redactions("0123456789abcdef", [(2, 6), (4, 8)], mask="#")
    assert new_text == "01#89abcdef"


def test_no_spans_is_identity():
    new_text, remap = apply_redactions("hello", [])
    assert new_text == "hello"
    assert remap(1, 4) == (1, 4)


TEXT = "The walk with Maria Lopez on Calle Sol showed dark corners."
#       0         1         2         3         4         5
#       0123456789012345678901234567890123456789012345678901234567


@pytest.fixture()
def redacted():
    name = (TEXT.index("Maria Lopez"), TEXT.index("Maria Lopez") + len("Maria Lopez"))
    street = (TEXT.index("Calle Sol"), TEXT.index("Calle Sol") + len("Calle Sol"))
    new_text, remap = apply_redactions(TEXT, [Span(*name), Span(*street)], mask="[X]")
    return name, street, new_text, remap


def test_remap_span_before(redacted):
    _name, _street, new_text, remap = redacted
    assert remap(0, 8) == (0, 8)
    assert new_text[0:8] == "The walk"


def test_remap_span_after(redacted):
    _name, _street, new_text, remap = redacted
    start = TEXT.index("dark corners")
    new = remap(start, start + len("dark corners"))
    assert new is not None and new_text[new[0] : new[1]] == "dark corners"


def test_remap_span_between(redacted):
    name, street, new_text, remap = redacted
    new = remap(name[1], street[0])  # " on "
    assert new is not None and new_text[new[0] : new[1]] == " on "


def test_remap_span_overlapping_start_and_end(redacted):
    name, street, new_text, remap = redacted
    new = remap(TEXT.index("walk"), name[0] + 5)  # "walk with Maria"
    assert new is not None and new_text[new[0] : new[1]] == "walk with [X]"
    new = remap(name[0] + 6, TEXT.index("showed") + 6)  # "Lopez on Calle Sol showed"
    assert new is not None and new_text[new[0] : new[1]] == "[X] on [X] showed"


def test_remap_span_covering_redactions(redacted):
    _name, _street, new_text, remap = redacted
    assert remap(0, len(TEXT)) == (0, len(new_text))


def test_remap_span_inside_redaction_vanishes(redacted):
    name, street, _new_text, remap = redacted
    assert remap(name[0], name[1]) is None
    assert remap(name[0] + 1, name[1] - 1) is None
    assert remap(street[0], street[1]) is None


def test_remap_touching_boundaries(redacted):
    name, _street, new_text, remap = redacted
    new = remap(0, name[0])  # ends exactly where the redaction starts
    assert new is not None and new_text[new[0] : new[1]] == "The walk with "
    new = remap(name[1], name[1] + 3)  # starts exactly where it ends
    assert new is not None and new_text[new[0] : new[1]] == " on"


def test_remap_with_longer_mask_than_removed():
    text = "a b c"
    new_text, remap = apply_redactions(text, [(2, 3)], mask="[redacted]")
    assert new_text == "a [redacted] c"
    assert remap(4, 5) == (13, 14) and new_text[13:14] == "c"


def test_remap_many_random_spans_keep_text():
    import random

    rng = random.Random(7)
    text = "".join(rng.choice("abcdefghij ") for _ in range(400))
    spans = [(a, a + rng.randint(1, 15)) for a in rng.sample(range(390), 25)]
    new_text, remap = apply_redactions(text, spans, mask="#")
    regions = merge_spans(spans, len(text))
    redacted_positions = {p for s, e in regions for p in range(s, e)}
    for _ in range(300):
        a = rng.randrange(len(text))
        b = rng.randrange(a, len(text) + 1)
        new = remap(a, b)
        kept = "".join(text[p] for p in range(a, b) if p not in redacted_positions)
        if new is None:
            assert kept == ""
            continue
        assert new_text[new[0] : new[1]].replace("#", "") == kept
