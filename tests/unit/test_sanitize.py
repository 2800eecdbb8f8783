"""Markdown is rendered and then sanitised: nothing a submitter writes can run in a reader's browser."""

import pytest
from markupsafe import Markup

from peer_review.evidence.sanitize import clean_text, escape, render_markdown

DANGEROUS = [
    "<script>alert('xss')</script>",
    "Hello <script src=https://evil.example/x.js></script> world",
    '<img src="x" onerror="alert(1)">',
    '![photo](https://example.org/a.png" onerror="alert(1))',
    "![photo](x.png){: onerror=alert(1) }",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java&#x09;script:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<style>body { display: none }</style>",
    '<div style="background:url(javascript:alert(1))" onclick="alert(1)">raw block</div>',
    "<iframe src=https://evil.example></iframe>",
    '<svg onload="alert(1)"><circle/></svg>',
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![data](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "<object data=x.swf></object><embed src=x.swf>",
    '<form action="https://evil.example"><input name=p></form>',
    "<!-- comment --><p onmouseover=alert(1)>hover</p>",
]


@pytest.mark.parametrize("source", DANGEROUS)
def test_nothing_executable_survives(source):
    html = str(render_markdown(source)).lower()
    for needle in ("<script", "onerror", "onload", "onclick", "onmouseover", "javascript:", "<style", "<iframe",
                   "<svg", "data:", "<object", "<embed", "<form", "<input", "style=", "<!--", "<img"):
        assert needle not in html, (source, html)


def test_script_and_style_content_is_dropped_not_shown():
    html = str(render_markdown("<script>alert('xss')</script><style>.a{color:red}</style>Safe text"))
    assert "alert" not in html
    assert "color:red" not in html
    assert "Safe text" in html


def test_markdown_formatting_kept():
    html = str(render_markdown("# Title\n\n**bold** and *em*\n\n- one\n- two\n\n> quote"))
    for tag in ("<h1>", "<strong>bold</strong>", "<em>em</em>", "<ul>", "<li>one</li>", "<blockquote>"):
        assert tag in html


def test_links_get_rel_nofollow_noopener():
    html = str(render_markdown("[UN-Habitat](https://unhabitat.org/)"))
    assert 'href="https://unhabitat.org/"' in html
    assert 'rel="nofollow noopener"' in html


def test_tables_render():
    html = str(render_markdown("| a | b |\n|---|---|\n| 1 | 2 |"))
    assert "<table>" in html and "<td>1</td>" in html


def test_returns_markup_and_empty():
    assert isinstance(render_markdown("x"), Markup)
    assert render_markdown("") == Markup("")
    assert render_markdown(None) == Markup("")


def test_text_with_angle_brackets_is_escaped_or_removed_never_raw():
    html = str(render_markdown("a < b and 5 > 3 & so on"))
    assert "&lt;" in html and "&gt;" in html and "&amp;" in html


def test_clean_text_newlines_and_controls():
    assert clean_text("a\r\nb\rc\u2028d") == "a\nb\nc\nd"
    assert clean_text("a\x00b\x07c\td\n\x1b[31m") == "abc\td\n[31m"
    assert clean_text("\x85x\x9f") == "x"
    assert clean_text(None) == ""
    assert clean_text("") == ""


def test_clean_text_max_len_and_nfc():
    assert clean_text("abcdef", max_len=3) == "abc"
    assert clean_text("e\u0301") == "\u00e9"  # NFC, so stored offsets are stable


def test_escape_reexport():
    assert str(escape("<b>")) == "&lt;b&gt;"
