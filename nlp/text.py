"""Language detection and cached spaCy pipelines (blank + lookup lemmatizer), fully offline.

Every token gets ``token.norm_`` = lower-cased, accent-free lemma. Lexicon matching, the classifier
and topic discovery all work on these norms, so "Policía", "policias" and "policía" meet.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import Dict, Iterable, List, Tuple

import spacy
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


def language_scores(text: str, max_chars: int = 2000) -> Dict[str, float]:
    """Evidence per language from function words and characteristic characters (on the first chars)."""
    sample = text[:max_chars].lower()
    prof = _stop_profiles()
    scores = {lang: 0.0 for lang in LANGS}
    for m in _WORD_RE.finditer(sample):
        w = m.group(0).replace("’", "'")
        for lang in LANGS:
            v = prof[lang].get(w)
            if v:
                scores[lang] += v
        if "'" in w:  # French elision: l'homme, d'une, qu'il
            head = w.split("'", 1)[0]
            if head in {"l", "d", "j", "n", "qu", "s", "c", "m", "t"}:
                scores["fr"] += 0.8
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
    """Sets token.norm_ to the accent-free lower-case lemma, looking up capitalised words too."""

    def __init__(self, nlp: Language):
        self.nlp = nlp
        self.table = None
        self.cache: Dict[str, str] = {}

    def _lemma(self, text: str) -> str:
        low = text.lower()
        if self.table is None:
            try:
                self.table = self.nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
            except Exception:  # pragma: no cover - lookups data missing
                self.table = {}
        lem = self.table.get(low) or self.table.get(text) or low
        if isinstance(lem, (list, tuple)):  # some French entries list several lemmas
            lem = lem[0] if lem else low
        lem = str(lem).lower()
        norm = strip_accents(lem)
        if norm != lem and len(DISPLAY) < 500_000:
            DISPLAY.setdefault(norm, lem)
        return norm

    def __call__(self, doc: Doc) -> Doc:
        cache = self.cache
        for tok in doc:
            t = tok.text
            n = cache.get(t)
            if n is None:
                n = self._lemma(t)
                if len(cache) < 200_000:
                    cache[t] = n
            tok.norm_ = n
        return doc


@lru_cache(maxsize=None)
def get_nlp(lang: str) -> Language:
    """A cached blank spaCy pipeline for ``lang`` with lookup lemmas and accent-free norms."""
    if lang not in LANGS:
        lang = DEFAULT_LANG
    with _lock:
        nlp = spacy.blank(lang)
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.add_pipe("sc_norm")
        nlp.initialize()  # loads tables from the installed spacy-lookups-data package (no network)
        nlp.max_length = 5_000_000
    return nlp


def stop_words(lang: str) -> frozenset:
    return frozenset(strip_accents(w) for w in get_nlp(lang).Defaults.stop_words)


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
