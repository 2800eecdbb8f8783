"""Evidence text as a short plain-text snippet: Markdown rendered, tags dropped, whitespace folded."""
from __future__ import annotations

import html
import re

import nh3

from ..evidence.sanitize import render_markdown

_SPACE = re.compile(r"\s+")


def plain_snippet(text: str | None, length: int = 220) -> str:
    """What a reader sees of the item, without Markdown marks (``**``, ``#``, ``- ``, links), cut at a word."""
    rendered = nh3.clean(str(render_markdown(text or "")), tags=set())
    plain = _SPACE.sub(" ", html.unescape(rendered)).strip()
    if len(plain) <= length:
        return plain
    cut = plain[:length].rsplit(" ", 1)[0]
    return (cut or plain[:length]).rstrip(" ,;:.") + "…"
