"""Redaction of personal details in evidence text.

Why: evidence often names people or gives their contact details. Before coding, a facilitator or the owning city
marks spans and redacts them; the redacted text *replaces* the original. This module proposes the obvious spans
(email addresses and phone numbers; names and addresses are left to people) and applies a redaction, returning a
``remap`` function so existing codings, whose offsets refer to the stored text, can be moved to the new text.

Offsets are Python string indices (Unicode code points) into the stored text, half-open ``[start, end)``.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

__all__ = ["Span", "propose_redactions", "apply_redactions", "merge_spans", "DEFAULT_MASK", "Remap"]

DEFAULT_MASK = "[redacted]"

Remap = Callable[[int, int], "tuple[int, int] | None"]


class Span(NamedTuple):
    """A proposed or chosen span to redact: ``text[start:end]``, with its ``kind`` ("email", "phone", "manual")."""

    start: int
    end: int
    kind: str = "manual"
    text: str = ""


_EMAIL_RE = re.compile(
    r"(?<![\w.+\-@])[\w+\-]+(?:\.[\w+\-]+)*@[^\W_](?:[\w\-]*[^\W_])?(?:\.[^\W_](?:[\w\-]*[^\W_])?)*\.[^\W\d_]{2,}"
    r"(?![\w\-@]|\.[^\W_])"
)

_SEP = r"[ \u00a0.\-]"
# A maximal run of digit groups joined by single separators, with an optional +country code and (area) code.
# Possessive quantifiers stop the engine from settling on a shorter prefix of a longer number.
_PHONE_RE = re.compile(
    rf"(?<![\w@/:,.+\-])\+?(?:\(\d{{1,5}}\){_SEP}?)?\d++(?:(?:{_SEP}|[ \u00a0]?\(\d{{1,5}}\)[ \u00a0]?)\d++)*+"
)
_CURRENCY_BEFORE = re.compile(
    r"(?:[$€£¥₹₱₦]|\b(?:USD|EUR|GBP|MXN|COP|ARS|BRL|CLP|PEN|XOF|XAF|MAD|CAD|AUD))\s?$", re.I
)
_AFTER_NUMBER = re.compile(
    r"^\s?(?:%|‰|[$€£¥₹₱₦]|(?:per\s?cent|percent|por\s?ciento|pour\s?cent|euros?|dollars?|d[oó]lares|"
    r"pesos?|"
    r"USD|EUR|GBP|MXN|COP|francs?|km|m²|kg|people|inhabitants|habitantes|habitants|personas|personnes)\b)",
    re.I,
)


def _is_date(groups: list[str], seps: list[str]) -> bool:
    if len(groups) != 3 or len({s.strip() or " " for s in seps}) != 1:
        return False
    numbers = [int(g) for g in groups]
    if len(groups[0]) == 4:  # YYYY-MM-DD
        year, a, b = numbers
    elif len(groups[2]) in (2, 4):  # DD-MM-YYYY, MM/DD/YY...
        a, b, year = numbers[0], numbers[1], numbers[2]
        if len(groups[2]) == 2:
            year += 2000
    else:
        return False
    return 1800 <= year <= 2100 and 1 <= a <= 31 and 1 <= b <= 31 and min(a, b) <= 12


def _looks_like_phone(text: str, start: int, end: int) -> bool:
    candidate = text[start:end]
    groups = re.findall(r"\d+", candidate)
    seps = re.split(r"\d+", candidate)[1:-1]
    digits = sum(len(g) for g in groups)
    has_plus = candidate.startswith("+")
    has_paren = "(" in candidate
    if not 7 <= digits <= 15:
        return False
    following = text[end : end + 30]
    if following[:1] and (following[0].isalnum() or following[0] in "@%"):
        return False
    if len(following) >= 2 and following[0] in ".,/:-" and following[1].isdigit():
        return False  # part of a longer number: a decimal, a date, a time
    if _AFTER_NUMBER.match(following) or _CURRENCY_BEFORE.search(text[max(0, start - 5) : start]):
        return False
    if len(groups) == 1:  # contiguous digits: only long ones that are not a YYYYMMDD date
        if has_plus:
            return digits >= 8
        return digits >= 9
    if has_plus or has_paren:
        return True
    if all(len(g) == 4 and 1800 <= int(g) <= 2100 for g in groups):
        return False  # 2019-2023, 2019 2020
    if _is_date(groups, seps):
        return False
    if len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]) and digits <= 8:
        return False  # 1 234 567 / 12.345.678: thousands separators
    if sum(1 for g in groups if len(g) == 1) > 1:
        return False  # 1 2 3 4 5 6 7: a list of small numbers
    return True


def propose_redactions(text: str) -> list[Span]:
    """Propose spans of obvious email addresses and phone numbers, sorted by position, never overlapping.

    Deliberately conservative: a person confirms every proposal, so years, dates, percentages, amounts of money,
    thousands-formatted counts and short numbers are not proposed.
    """
    if not text:
        return []
    spans: list[Span] = [Span(m.start(), m.end(), "email", m.group()) for m in _EMAIL_RE.finditer(text)]
    taken = [(s.start, s.end) for s in spans]
    for match in _PHONE_RE.finditer(text):
        start, end = match.start(), match.end()
        while end > start and text[end - 1] in " \u00a0.-(":
            end -= 1
        if any(start < e and s < end for s, e in taken):
            continue
        if _looks_like_phone(text, start, end):
            spans.append(Span(start, end, "phone", text[start:end]))
    return sorted(spans)


def merge_spans(spans: Iterable[Span | tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """Clamp spans to ``[0, length]``, drop empty ones, and merge overlapping or touching ones."""
    ranges = sorted(
        (max(0, min(int(s[0]), length)), max(0, min(int(s[1]), length))) for s in spans
    )
    merged: list[list[int]] = []
    for start, end in ranges:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def apply_redactions(
    text: str, spans: Sequence[Span | tuple[int, int]], mask: str = DEFAULT_MASK
) -> tuple[str, Remap]:
    """Replace each (merged) span with ``mask``; return the new text and a ``remap(start, end)`` function.

    ``remap`` maps a span of the *old* text to the new text:

    - outside every redaction, offsets shift by what the earlier redactions removed or added;
    - a span that starts or ends inside a redaction is widened to cover the mask there (the coding stays
      contiguous and still points at the place where something was removed);
    - a span lying entirely within one redaction returns ``None``: the passage no longer exists.
    """
    regions = merge_spans(spans, len(text))
    pieces: list[str] = []
    new_regions: list[tuple[int, int]] = []
    cursor = 0
    new_len = 0
    for start, end in regions:
        pieces.append(text[cursor:start])
        new_len += start - cursor
        new_regions.append((new_len, new_len + len(mask)))
        pieces.append(mask)
        new_len += len(mask)
        cursor = end
    pieces.append(text[cursor:])
    new_text = "".join(pieces)
    starts = [s for s, _e in regions]
    ends = [e for _s, e in regions]

    def shift_point(pos: int) -> int:
        """Map a position outside any redaction (or at a boundary) by the net change of the regions before it."""
        index = bisect.bisect_right(ends, pos)  # regions ending at or before pos
        if index == 0:
            return pos
        old_end = ends[index - 1]
        return new_regions[index - 1][1] + (pos - old_end)

    def remap(start: int, end: int) -> tuple[int, int] | None:
        if end < start:
            start, end = end, start
        start = max(0, min(start, len(text)))
        end = max(0, min(end, len(text)))
        i = bisect.bisect_right(starts, start) - 1
        if i >= 0 and start >= starts[i] and end <= ends[i] and (start < end or starts[i] < start < ends[i]):
            return None
        if i >= 0 and starts[i] <= start < ends[i]:
            new_start = new_regions[i][0]
        else:
            new_start = shift_point(start)
        j = bisect.bisect_left(ends, end)  # first region ending at or after end
        if j < len(regions) and starts[j] < end <= ends[j]:
            new_end = new_regions[j][1]
        else:
            new_end = shift_point(end)
        return new_start, max(new_start, new_end)

    return new_text, remap
