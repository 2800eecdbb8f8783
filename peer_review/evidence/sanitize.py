"""Sanitising of user-written text and Markdown.

Why: evidence is written by city members and rendered to everyone else, so whatever a submitter types (raw HTML,
scripts, event handlers, ``javascript:`` or ``data:`` links) must never run in a reader's browser. Markdown is
rendered first, then the HTML is cleaned by nh3 (an allowlist sanitiser): only the tags and attributes listed
here survive, and links are forced to ``rel="nofollow noopener"``.
"""

from __future__ import annotations

import re
import unicodedata

import markdown
import nh3
from markupsafe import Markup, escape

__all__ = ["render_markdown", "clean_text", "escape", "ALLOWED_TAGS"]

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "p", "br", "hr", "strong", "em", "b", "i", "u", "s", "del", "ins", "sub", "sup", "mark", "small",
        "blockquote", "code", "pre", "ul", "ol", "li", "dl", "dt", "dd",
        "h1", "h2", "h3", "h4", "h5", "h6", "a", "abbr",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}
ALLOWED_URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})
# Tags whose *content* is dropped too (not just the tag), so CSS or JS source never shows up as text.
_CLEAN_CONTENT_TAGS = {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math"}

# Only extensions that produce plain structural HTML; no raw-HTML passthrough is trusted anyway.
_MD_EXTENSIONS = ["extra", "sane_lists", "nl2br"]

# C0/C1 control characters except tab and newline; plus the Unicode line/paragraph separators are normalised.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(s: str | None, max_len: int | None = None) -> str:
    """Normalise user text before storing it.

    Newlines become ``\\n`` (CRLF, CR, U+2028/U+2029), control characters other than ``\\n`` and ``\\t`` are
    removed (NUL included), the text is NFC-normalised so offsets are stable, and it is cut to ``max_len``
    characters when given. Storing clean text matters because coding offsets refer to it.
    """
    if not s:
        return ""
    text = str(s).replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    text = _CONTROL_RE.sub("", text)
    text = unicodedata.normalize("NFC", text)
    if max_len is not None and len(text) > max_len:
        text = text[:max_len]
    return text


def render_markdown(text: str | None) -> Markup:
    """Render Markdown to HTML that is safe to insert into a page (returns ``Markup``)."""
    source = clean_text(text)
    if not source:
        return Markup("")
    html = markdown.markdown(source, extensions=_MD_EXTENSIONS, output_format="html")
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=_CLEAN_CONTENT_TAGS,
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel="nofollow noopener",
        strip_comments=True,
    )
    return Markup(cleaned)
