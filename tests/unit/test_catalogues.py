"""The Spanish and French catalogues are complete, and the templates show no English that escapes them.

The messages are extracted again in memory, exactly as ``make translations`` does (``pybabel extract -F babel.cfg
-k _l``), so a string added since the catalogues were last updated fails here until it is translated.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
TRANSLATIONS = ROOT / "peer_review" / "translations"
LANGUAGES = ("es", "fr")
# Only the folders babel.cfg names are walked (not .venv or frontend/node_modules).
EXTRACTED_FOLDERS = ("peer_review", "nlp", "templates")

PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%[sdifr]")


def extracted_messages() -> dict:
    """msgid (a string, or a (singular, plural) tuple) -> the places it comes from."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = dict(DEFAULT_KEYWORDS, _l=None)
    root = str(ROOT)

    def only_extracted_folders(path: str) -> bool:
        relative = Path(path).relative_to(root).parts
        return not relative or relative[0] in EXTRACTED_FOLDERS

    found: dict = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            root, method_map, options_map, keywords=keywords, directory_filter=only_extracted_folders):
        if context:  # pgettext: "context\x04msgid", as gettext itself keys it
            message = f"{context}\x04{message}"
        found.setdefault(message, []).append(f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def messages():
    found = extracted_messages()
    assert len(found) > 800, "extraction found too few messages: is babel.cfg still read?"
    return found


def _catalogue(lang: str):
    path = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
    assert path.is_file(), f"no {lang} catalogue at {path}"
    with open(path, "rb") as handle:
        return read_po(handle, locale=lang)


def _placeholders(text: str) -> list[str]:
    return sorted(m.group(1) or m.group(0) for m in PLACEHOLDER.finditer(text))


def _problems(catalogue, messages: dict) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {"missing": [], "empty": [], "fuzzy": [], "placeholders": []}
    for msgid, places in sorted(messages.items(), key=lambda item: str(item[0])):
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        context = None
        if "\x04" in key:
            context, key = key.split("\x04", 1)
        label = f"{key!r}{f' (context {context!r})' if context else ''}  ({places[0]})"
        entry = catalogue.get(key, context=context)
        if entry is None or not entry.id:
            problems["missing"].append(label)
            continue
        forms = list(entry.string) if isinstance(entry.string, (list, tuple)) else [entry.string]
        if not all(form and form.strip() for form in forms):
            problems["empty"].append(label)
            continue
        if entry.fuzzy:
            problems["fuzzy"].append(label)
        if isinstance(msgid, tuple):  # plural: each form uses the plural's placeholders or the singular's
            singular, plural = _placeholders(msgid[0]), _placeholders(msgid[1])
            if any(_placeholders(form) not in (singular, plural) or not set(_placeholders(form)) <= set(plural)
                   for form in forms):
                problems["placeholders"].append(label)
        elif _placeholders(forms[0]) != _placeholders(key):
            problems["placeholders"].append(f"{label}: {_placeholders(key)} -> {_placeholders(forms[0])}")
    return {kind: found for kind, found in problems.items() if found}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_has_every_extracted_message(messages, lang):
    problems = _problems(_catalogue(lang), messages)
    report = "\n".join(f"{kind} ({len(found)}):\n    " + "\n    ".join(found) for kind, found in problems.items())
    if problems:
        pytest.fail(f"the {lang} catalogue is incomplete (run `make translations`, then translate):\n{report}",
                    pytrace=False)


def test_placeholder_check_sees_a_changed_name():
    assert _placeholders("%(city)s has %(n)d items, %s") == ["%s", "city", "n"]
    assert _placeholders("100%% sure") == []


# Untranslated English in templates: a text node, or a user-visible attribute, with letters in it that is not
# inside {% trans %}, {{ … }} or another Jinja tag, nor a comment, script or style. Words that are the same in
# every language (names, formats, codes) are allowed.
ALLOWED = {
    "UN-Habitat", "Safer Cities", "CSV", "JSON", "PDF", "XLSX", "YAML", "SHA-256", "REFI-QDA", "QDC", "QDPX",
    "API", "ID", "URL", "Markdown", "HTML", "SVG", "ODT", "DOCX", "GOV.UK", "OpenAPI", "HiGHS", "BERTopic",
    "spaCy", "Vega", "Vega-Lite", "WeasyPrint", "kappa", "alpha", "κ", "α", "Cohen", "Krippendorff", "English",
    "Español", "Français", "ETag", "If-Match", "Bearer", "OK",
}
STRIPPED = [
    re.compile(r"<!--.*?-->", re.S),
    re.compile(r"<(script|style|pre|code|template)\b.*?</\1>", re.S | re.I),
]
TEXT_NODE = re.compile(r">([^<>]+)<")
VISIBLE_ATTRIBUTE = re.compile(r"""\s(?:aria-label|alt|title|placeholder)\s*=\s*(["'])(.*?)\1""", re.S)
LETTERS = re.compile(r"[^\W\d_]{2,}")
EXPRESSION = "\x00"  # where a {{ … }} or {% … %} was: never letters


def _outside_jinja(source: str) -> str:
    """The template's own text: Jinja's lexer drops comments, expressions and tags, and what sits inside
    {% trans %} … {% endtrans %} is dropped too (it is extracted for translation)."""
    from jinja2 import Environment
    env = Environment(extensions=["jinja2.ext.i18n"])
    out, depth, after_begin = [], 0, False
    for _line, kind, value in env.lex(source):
        if kind == "whitespace":
            continue
        if kind == "block_begin":
            after_begin = True
            continue
        if after_begin and kind == "name":
            depth += {"trans": 1, "pluralize": 0, "endtrans": -1}.get(value, 0)
        after_begin = False
        if kind == "data" and depth == 0:
            out.append(value)
        elif kind in ("variable_begin", "block_end"):
            out.append(EXPRESSION)
    return "".join(out)


def _untranslated(text: str) -> list[str]:
    text = _outside_jinja(text)
    for pattern in STRIPPED:
        text = pattern.sub(" ", text)
    candidates = [m.group(1) for m in TEXT_NODE.finditer(text)]
    candidates += [m.group(2) for m in VISIBLE_ATTRIBUTE.finditer(text)]
    found = []
    for candidate in candidates:
        words = " ".join(candidate.replace(EXPRESSION, " ").split())
        if not LETTERS.search(words) or words in ALLOWED:
            continue
        rest = words
        for allowed in sorted(ALLOWED, key=len, reverse=True):
            rest = rest.replace(allowed, " ")
        if LETTERS.search(rest):
            found.append(words)
    return found


def test_untranslated_detector_on_samples():
    sample = """<p>Hello there</p><p>{{ _("Fine") }}</p>{% trans %}Also <b>fine</b>{% endtrans %}
    <span>CSV</span> <a href="x" aria-label="Open it">{{ x }}</a> {# <p>A comment</p> #}
    <script type="application/json">{"a": "b"}</script><abbr>{{ _("e.g.") }}</abbr>"""
    assert _untranslated(sample) == ["Hello there", "Open it"]


def test_templates_show_no_untranslated_english():
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for words in _untranslated(path.read_text(encoding="utf-8")):
            found.append(f"{path.relative_to(TEMPLATES)}: {words!r}")
    if found:
        pytest.fail("English not wrapped for translation ({} places):\n    {}".format(len(found), "\n    ".join(found)),
                    pytrace=False)
