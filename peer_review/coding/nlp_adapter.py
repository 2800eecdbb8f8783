"""The one place where the app reaches the `nlp` package (which never imports Flask)."""
from __future__ import annotations

import hashlib
import json
import os

from flask import current_app

from ..evidence.models import EvidenceItem
from ..extensions import db
from . import operations as ops
from .models import Code, Coding

MIN_CODINGS_TO_TRAIN = 20


def codebook_for_nlp() -> dict:
    """The network's live codebook (its own codes included), with the starter file's seed words."""
    data = ops.codebook_as_data(ops.all_codes())
    try:
        seeds = {entry["id"]: entry.get("seed_words") or {} for entry in ops.read_codebook_file()}
    except OSError:
        seeds = {}
    for entry in data["codes"]:
        entry["seed_words"] = seeds.get(entry["id"], {})
    return data


def classifier_path() -> str:
    folder = os.path.join(current_app.instance_path, "nlp")
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, "classifier.json")


_loaded: dict = {}


def load_classifier():
    """The network's saved model, read again only when its file changes (it is replaced whole on saving)."""
    import nlp
    path = classifier_path()
    try:
        stamp = (path, os.stat(path).st_mtime_ns, os.stat(path).st_size)
    except OSError:
        return None
    if _loaded.get("stamp") == stamp:
        return _loaded["model"]
    try:
        model = nlp.load_classifier(path)
    except (OSError, ValueError, KeyError):  # a damaged model is retrained, never fatal
        return None
    _loaded.update(stamp=stamp, model=model)
    return model


def accepted_rows() -> list[dict]:
    """One row per counted coding: what the network accepted (single-coder or agreed, never blind work)."""
    rows = db.session.execute(
        db.select(Coding.item_id, EvidenceItem.text, EvidenceItem.language, Code.key)
        .join(EvidenceItem, Coding.item_id == EvidenceItem.id).join(Code, Coding.code_id == Code.id)
        .filter(Coding.sample_id.is_(None)))
    return [{"id": item_id, "text": text, "lang": lang, "code": key} for item_id, text, lang, key in rows]


def codings_hash(rows: list[dict], codebook: dict) -> str:
    """What the model is learnt from: the accepted codings (item, code, text), the codebook's ids and the
    package's own training passages. The same hash means the saved model can be reused as it is."""
    import nlp.classifier as clf
    digest = hashlib.sha1()
    digest.update(json.dumps([clf.MODEL_FORMAT, clf.base_training_version(),
                              sorted(c["id"] for c in codebook.get("codes", []))]).encode())
    texts: dict = {}
    for row in sorted(rows, key=lambda r: (r["id"], r["code"])):
        if row["id"] not in texts:
            texts[row["id"]] = hashlib.sha1((row["text"] or "").encode()).hexdigest()
        digest.update(f"{row['id']}|{row['code']}|{texts[row['id']]}\n".encode())
    return digest.hexdigest()


def current_classifier(codebook: dict):
    """The model to suggest with right now, without training: the saved one if it still matches the accepted
    codings, else the model shipped with the package. Returns (model, fresh)."""
    import nlp.classifier as clf
    rows = accepted_rows()
    saved = load_classifier()
    if saved is not None and saved.meta.get("codings_hash") == codings_hash(rows, codebook):
        return saved, True
    if len(rows) < MIN_CODINGS_TO_TRAIN:
        return clf.bundled_classifier(), True
    return saved or clf.bundled_classifier(), False


def train_from_codings(codebook: dict) -> dict:
    """Train on the package's own labelled passages plus the network's accepted codings, once per change of
    those codings: a model saved for the same codings (same hash) is reused, not trained again."""
    import nlp
    import nlp.classifier as clf
    rows = accepted_rows()
    if len(rows) < MIN_CODINGS_TO_TRAIN:
        return {"trained": False, "codings": len(rows)}
    digest = codings_hash(rows, codebook)
    saved = load_classifier()
    if saved is not None and saved.meta.get("codings_hash") == digest:
        return {"trained": False, "reused": True, "codings": len(rows)}
    classifier = nlp.train_classifier(clf.base_training_rows() + rows, codebook=codebook)
    classifier.meta["codings_hash"] = digest
    classifier.save(classifier_path())
    return {"trained": True, "codings": len(rows)}


_warming: set = set()


def warm_up(languages, codebook: dict) -> None:
    """Load the language pipelines, lexicon matchers and bundled model in the background (once per process),
    so that the first suggestions of a job come in a second rather than after loading them."""
    import threading
    wanted = tuple(sorted({str(lang)[:2] for lang in languages} - _warming))
    if not wanted:
        return
    app = current_app._get_current_object() if current_app else None
    _warming.update(wanted)

    def load():
        import logging
        import time
        started = time.perf_counter()
        import nlp
        from nlp.classifier import bundled_classifier
        from nlp.lexicon import get_compiled
        from nlp.text import get_nlp
        compiled = get_compiled(nlp.load_codebook(codebook))
        for lang in wanted:
            get_nlp(lang)
            compiled.lang(lang)
        bundled_classifier()
        if app is not None:
            with app.app_context():
                load_classifier()
        logging.getLogger(__name__).info("NLP pipelines loaded for %s in %.1f s", ", ".join(wanted),
                                         time.perf_counter() - started)

    threading.Thread(target=load, name="nlp-warm-up", daemon=True).start()


def warm_up_for_network(app) -> None:
    """At the first request of a single-process server (`make demo`): load the pipelines of the languages the
    network's evidence is in, in the background, so that a facilitator's first "Suggest codes" does not wait for
    them (about 3 s for English, Spanish and French)."""
    import threading

    def find_languages():
        with app.app_context():
            try:
                languages = db.session.execute(db.select(EvidenceItem.language).distinct()).scalars().all()
                warm_up([lang for lang in languages if lang] or ["en"], codebook_for_nlp())
            finally:
                db.session.remove()

    threading.Thread(target=find_languages, name="nlp-warm-up-network", daemon=True).start()


def suggest(items, codebook: dict, classifier=None) -> list[dict]:
    import nlp
    return nlp.suggest([{"id": i.id, "text": i.text, "lang": i.language} for i in items], codebook=codebook,
                       classifier=classifier)


def sentences(text: str, lang: str | None) -> list[tuple[int, int]]:
    """Sentence and clause ranges of a text (spaCy's sentencizer), for widening or narrowing a passage."""
    import nlp
    return nlp.sentence_spans(text, lang)


def discover(items, seed: int, codebook: dict) -> dict:
    import nlp
    docs = [{"id": i.id, "text": i.text, "lang": i.language, "group": i.city.slug,
             **({"date": i.date.isoformat()} if i.date else {})} for i in items]
    return nlp.discover_topics(docs, seed=seed, codebook=codebook)
