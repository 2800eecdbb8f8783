"""Language detection and cached spaCy pipelines (blank + lookup lemmas + sentencizer), fully offline.

Every token gets ``token.norm_`` = lower-cased, accent-free lemma. Lexicon matching, the classifier
and topic discovery all work on these norms, so "Policía", "policias" and "policía" meet.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from bisect import bisect_right
from functools import lru_cache
from typing import Dict, Iterable, List, Tuple

import spacy
from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LENGTH, ORTH
from spacy.language import Language
from spacy.tokens import Doc

LANGS = ("en", "es", "fr")
DEFAULT_LANG = "en"

_lock = threading.Lock()


def strip_accents(s: str) -> str:
    """Remove combining marks; keeps the length stable for the common Latin letters we care about."""
    if s.isascii():
        return s
    nfkd = unicodedata.normalize("NFKD", s)
    return "".join(c for c in nfkd if not unicodedata.combining(c))


# ---------------------------------------------------------------- language detection
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)


@lru_cache(maxsize=1)
def _stop_profiles() -> Dict[str, Dict[str, float]]:
    _import_french_fast()  # importing spacy.lang.fr.stop_words imports the whole French package
    from spacy.lang.en.stop_words import STOP_WORDS as EN
    from spacy.lang.es.stop_words import STOP_WORDS as ES
    from spacy.lang.fr.stop_words import STOP_WORDS as FR

    # Only short, frequent function words: long "stop words" in spaCy's lists are often content words.
    extra = {
        "en": {"the", "and", "of", "to", "is", "are", "was", "were", "in", "that", "it", "they", "with", "for",
               "this", "there", "have", "has", "we", "our", "their", "at", "on", "not", "people", "would", "feel"},
        "es": {"el", "la", "los", "las", "que", "de", "y", "en", "es", "son", "por", "para", "con", "una", "del",
               "se", "no", "hay", "nos", "sus", "muy", "pero", "más", "también", "está", "están", "gente", "ya"},
        "fr": {"le", "la", "les", "des", "du", "et", "est", "sont", "que", "qui", "une", "dans", "pour", "avec",
               "pas", "ne", "nous", "ils", "elles", "il", "au", "aux", "sur", "plus", "très", "aussi", "c'est",
               "n'est", "d'un", "d'une", "l'on", "y", "ont", "été", "gens", "on"},
    }
    lists = {"en": {w for w in EN if len(w) <= 7} | extra["en"],
             "es": {w for w in ES if len(w) <= 7} | extra["es"],
             "fr": {w for w in FR if len(w) <= 7} | extra["fr"]}
    counts: Dict[str, int] = {}
    for words in lists.values():
        for w in words:
            counts[w] = counts.get(w, 0) + 1
    prof: Dict[str, Dict[str, float]] = {}
    for lang, words in lists.items():
        prof[lang] = {w: (1.0 if counts[w] == 1 else 0.25) for w in words}
    return prof


_CHAR_HINTS = {
    "es": (re.compile(r"[ñ¿¡]|ción\b|ciones\b|\bdel\b|\bhay\b"), 2.0),
    "fr": (re.compile(r"[çœèêâîûù]|\b[ldjnqs]['’][a-zàâéèêëîïôûù]|\bd['’]|tion\b|\beux\b"), 1.2),
    "en": (re.compile(r"\b\w+ing\b|['’](?:t|s|re|ve|ll)\b|\bthe\b"), 1.0),
}


@lru_cache(maxsize=1)
def _word_weights() -> Dict[str, Tuple[float, float, float]]:
    """word -> (en, es, fr) weights, French elisions included: one lookup per word."""
    prof = _stop_profiles()
    words = set().union(*prof.values())
    return {w: tuple(prof[lang].get(w, 0.0) for lang in LANGS) for w in words}


_ELISIONS = {"l", "d", "j", "n", "qu", "s", "c", "m", "t"}


def language_scores(text: str, max_chars: int = 2000) -> Dict[str, float]:
    """Evidence per language from function words and characteristic characters (on the first chars)."""
    sample = text[:max_chars].lower()
    weights = _word_weights()
    en = es = fr = 0.0
    for w in _WORD_RE.findall(sample):
        v = weights.get(w)
        if v is None and "’" in w:
            w = w.replace("’", "'")
            v = weights.get(w)
        if v is not None:
            en += v[0]
            es += v[1]
            fr += v[2]
        if "'" in w and w.split("'", 1)[0] in _ELISIONS:  # French elision: l'homme, d'une, qu'il
            fr += 0.8
    scores = {"en": en, "es": es, "fr": fr}
    for lang, (rx, weight) in _CHAR_HINTS.items():
        scores[lang] += weight * len(rx.findall(sample))
    return scores


def detect_language(text: str, default: str = DEFAULT_LANG) -> str:
    """Return 'en', 'es' or 'fr' for ``text`` (offline; function-word and character profile)."""
    if not text or not text.strip():
        return default
    scores = language_scores(text)
    best = max(LANGS, key=lambda l: (scores[l], l == default))
    return best if scores[best] > 0 else default


_SEG_RE = re.compile(r"[^\n.!?]+(?:[.!?]+|\n+|$)")


def segment_languages(text: str, lang: str, min_chars: int = 40) -> List[Tuple[int, int, str]]:
    """Split a text into (start, end, lang) runs when it clearly mixes languages.

    Sentences shorter than ``min_chars`` or without a clear winner inherit the item's language, so a
    single-language item is one run; consecutive runs in the same language are merged.
    """
    if len(text) < 2 * min_chars:
        return [(0, len(text), lang)]
    runs: List[Tuple[int, int, str]] = []
    for m in _SEG_RE.finditer(text):
        s, e = m.span()
        if s == e:
            continue
        seg_lang = lang
        if e - s >= min_chars:
            sc = language_scores(text[s:e])
            best = max(LANGS, key=lambda l: sc[l])
            ordered = sorted(sc.values(), reverse=True)
            if best != lang and ordered[0] >= 2.0 and ordered[0] >= 2 * ordered[1]:
                seg_lang = best
        if runs and runs[-1][2] == seg_lang:
            runs[-1] = (runs[-1][0], e, seg_lang)
        else:
            runs.append((s, e, seg_lang))
    if not runs:
        return [(0, len(text), lang)]
    # cover the whole text
    runs[0] = (0, runs[0][1], runs[0][2])
    runs[-1] = (runs[-1][0], len(text), runs[-1][2])
    return runs


# ---------------------------------------------------------------- spaCy pipelines
# accent-free norm -> accented lemma as first seen (for showing topic words with their accents)
DISPLAY: Dict[str, str] = {}


def display_form(norm: str) -> str:
    return " ".join(DISPLAY.get(w, w) for w in norm.split(" "))


@Language.factory("sc_norm", default_config={})
def _make_norm(nlp: Language, name: str):
    return NormComponent(nlp)


class NormComponent:
    """Sets the norm of every word to its accent-free lower-case lemma, looking up capitalised words too.

    The norm is set once per vocabulary entry (lexeme), not per token: tokens take their lexeme's norm, so a
    document costs one array read and only words never seen before are looked up."""

    def __init__(self, nlp: Language):
        self.lang = nlp.lang if nlp.lang in LANGS else DEFAULT_LANG
        self.vocab = nlp.vocab
        self.done: set = set()
        from .lemmas import lemmas_of  # here, not at the top: nlp.lemmas imports this module
        self.lemmas_of = lemmas_of

    def __call__(self, doc: Doc) -> Doc:
        done = self.done
        strings = self.vocab.strings
        new = set(doc.to_array([ORTH]).tolist()) - done
        if not new:
            return doc
        words = {orth: strings[orth] for orth in new}
        lemmas = self.lemmas_of(words.values(), self.lang)
        for orth, text in words.items():
            lem = lemmas[text]
            norm = strip_accents(lem)
            if norm != lem and len(DISPLAY) < 500_000:
                DISPLAY.setdefault(norm, lem)
            self.vocab[orth].norm_ = norm
            done.add(orth)
        return doc


_NEWLINE_RE = re.compile(r"\n\s*")


def _line_breaks(doc: Doc, text: str = None) -> Doc:
    """A line break ends a sentence too (Markdown lists, audit notes written one finding a line)."""
    text = doc.text if text is None else text
    if "\n" not in text:
        return doc
    for m in _NEWLINE_RE.finditer(text):
        if m.end() >= len(text):
            break
        span = doc.char_span(m.end(), m.end() + 1, alignment_mode="expand")
        if span is not None and span.start > 0:
            doc[span.start].is_sent_start = True
    return doc


# Sentence and clause ends: the sentencizer's defaults plus the semicolon (audit findings list clauses).
CLAUSE_PUNCT = [".", "!", "?", ";", "…", "。", "؟", "।"]


@lru_cache(maxsize=1)
def _clause_punct_ids() -> frozenset:
    from spacy.strings import get_string_id
    return frozenset(get_string_id(p) for p in CLAUSE_PUNCT)


def sentence_ranges(doc: Doc, text: str = None, off: int = 0) -> List[Tuple[int, int]]:
    """Sentence and clause ranges in characters (whitespace trimmed, blank ones dropped, shifted by ``off``).

    The boundaries are exactly those of spaCy's ``Sentencizer`` with ``CLAUSE_PUNCT`` after a line break has
    started a sentence (``split_sentences``; a test holds the two equal on every evaluation text). The
    component walks Token objects; this reads the doc's arrays, about four times faster, and leaves the doc as
    it is. ``text``: the doc's text, if at hand."""
    n = len(doc)
    if not n:
        return []
    text = doc.text if text is None else text
    rows = doc.to_array([ORTH, IS_PUNCT, IS_SPACE, IDX, LENGTH]).tolist()
    starts = [False] * n
    if "\n" in text:
        idxs = [r[3] for r in rows]
        for m in _NEWLINE_RE.finditer(text):
            pos = m.end()
            if pos >= len(text):
                break
            i = bisect_right(idxs, pos) - 1
            if i > 0 and pos < idxs[i] + rows[i][4]:
                starts[i] = True
    punct = _clause_punct_ids()
    seen_period = False
    for i, (orth, is_punct, _, _, _) in enumerate(rows):   # the Sentencizer's rule
        in_punct = orth in punct
        if seen_period and not is_punct and not in_punct:
            starts[i] = True
            seen_period = False
        elif in_punct:
            seen_period = True
    out, start, end = [], None, 0
    for k, (_, _, is_space, idx, length) in enumerate(rows):
        if (starts[k] or k == 0) and start is not None:
            out.append((start, end))
            start = None
        if not is_space:
            if start is None:
                start = idx
            end = idx + length
    if start is not None:
        out.append((start, end))
    return [(off + a, off + b) for a, b in out if b > a]


def _import_french_fast() -> None:
    """Import spaCy's French tokenizer exceptions without its 3-4 s regex compilation.

    The module builds one regular expression of about 1.4 million characters (every alternative repeats
    the full Unicode lower-case letter class) at import time. Under ``(?i)`` that class is equivalent to
    ``\\w`` for the words it guards (hyphenated and elided French compounds), and the equivalent pattern compiles
    in under 0.1 s. ``re.compile`` is replaced only while that one module is imported, under its own lock (the
    only difference: digits joined by a hyphen inside a French word, "A4-bis", stay one token).
    """
    import sys
    if "spacy.lang.fr.tokenizer_exceptions" in sys.modules:
        return
    with _french_lock:
        if "spacy.lang.fr.tokenizer_exceptions" not in sys.modules:
            _import_french_light()


_french_lock = threading.Lock()


def _import_french_light() -> None:
    import re as _re
    from spacy.lang.char_classes import ALPHA, ALPHA_LOWER
    original = _re.compile

    def compile_light(pattern, flags=0):
        if isinstance(pattern, str) and len(pattern) > 100_000:
            pattern = pattern.replace(ALPHA, r"\w").replace(ALPHA_LOWER, r"\w")
        return original(pattern, flags)

    _re.compile = compile_light
    try:
        import spacy.lang.fr.tokenizer_exceptions  # noqa: F401
    finally:
        _re.compile = original


@lru_cache(maxsize=None)
def get_nlp(lang: str) -> Language:
    """A cached blank spaCy pipeline for ``lang``: sentences/clauses, accent-free lookup lemmas as norms.

    Built on first need per language, so an English-only batch never loads the Spanish or French tables."""
    if lang not in LANGS:
        lang = DEFAULT_LANG
    with _lock:
        if lang == "fr":
            _import_french_fast()
        nlp = spacy.blank(lang)
        nlp.add_pipe("sc_norm")
        nlp.max_length = 5_000_000
    return nlp


def split_sentences(doc: Doc, text: str = None) -> Doc:
    """Mark sentences and clauses on a processed doc with spaCy's sentencizer (line breaks end one too).
    Run on demand: only items with a trigger need their sentences. ``text``: the doc's text, if at hand
    (``Doc.text`` rebuilds it from the tokens)."""
    return _sentencizer(doc.lang_ if doc.lang_ in LANGS else DEFAULT_LANG)(_line_breaks(doc, text))


@lru_cache(maxsize=None)
def _sentencizer(lang: str):
    from spacy.pipeline import Sentencizer
    return Sentencizer(punct_chars=CLAUSE_PUNCT)


def stop_words(lang: str) -> frozenset:
    """spaCy's stop words for ``lang``, accent-free (read from the language's module: no pipeline is built)."""
    import importlib
    if lang not in LANGS:
        lang = DEFAULT_LANG
    if lang == "fr":
        _import_french_fast()
    words = importlib.import_module(f"spacy.lang.{lang}.stop_words").STOP_WORDS
    return frozenset(strip_accents(w) for w in words)


@lru_cache(maxsize=None)
def all_stop_words() -> frozenset:
    out = set()
    for l in LANGS:
        out |= stop_words(l)
    return frozenset(out)


def norm_tokens(doc: Doc, drop_stop: bool = True) -> List[str]:
    """Content norms of a doc (no punctuation, numbers, stop words, 1-char tokens)."""
    stops = all_stop_words() if drop_stop else frozenset()
    out = []
    for t in doc:
        n = t.norm_
        if len(n) < 2 or not t.is_alpha and not ("-" in n or "'" in n) or n in stops:
            continue
        out.append(n)
    return out


def pipe_texts(texts: Iterable[str], lang: str, batch_size: int = 256):
    return get_nlp(lang).pipe(texts, batch_size=batch_size)
