"""Safer Cities NLP: offline code suggestions and topic discovery for English, Spanish and French evidence.

Never imports Flask. Public API::

    detect_language(text) -> "en" | "es" | "fr"
    load_codebook(path=None) -> Codebook
    suggest(items, codebook=None, classifier=None, threshold=0.5) -> list[dict]
    train_classifier(accepted_codings, codebook=None, min_examples=5) -> CodeClassifier
    load_classifier(path) -> CodeClassifier            (CodeClassifier.save(path) to store it)
    discover_topics(docs, seed=42, n_topics=None, codebook=None) -> dict (JSON-able)
    evaluate(rows=None, codebook=None, classifier=None, threshold=0.5, split=None) -> dict
"""
from .codebook import Code, Codebook, load_codebook
from .engine import DEFAULT_THRESHOLD, suggest
from .text import detect_language


def sentence_spans(text: str, lang=None):
    """Sentence and clause ranges ``[(start, end), ...]`` of ``text`` (spaCy sentencizer; line breaks too)."""
    from .text import DEFAULT_LANG, LANGS, get_nlp, sentence_ranges
    if not text or not text.strip():
        return []
    lang = lang if lang in LANGS else detect_language(text)
    return sentence_ranges(get_nlp(lang or DEFAULT_LANG)(text), text)

__all__ = ["detect_language", "sentence_spans", "load_codebook", "Codebook", "Code", "suggest", "train_classifier",
           "load_classifier", "CodeClassifier", "discover_topics", "evaluate", "DEFAULT_THRESHOLD"]


def train_classifier(*args, **kwargs):
    from .classifier import train_classifier as _t
    return _t(*args, **kwargs)


def load_classifier(path):
    from .classifier import CodeClassifier as _C
    return _C.load(path)


def discover_topics(*args, **kwargs):
    from .topics import discover_topics as _d
    return _d(*args, **kwargs)


def evaluate(*args, **kwargs):
    from .evaluate import evaluate as _e
    return _e(*args, **kwargs)


def __getattr__(name):
    if name == "CodeClassifier":
        from .classifier import CodeClassifier
        return CodeClassifier
    raise AttributeError(name)
