"""The one place where the app reaches the `nlp` package (which never imports Flask)."""
from __future__ import annotations

import os

from flask import current_app

from ..extensions import db
from . import operations as ops
from .models import Coding

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


def load_classifier():
    import nlp
    path = classifier_path()
    if not os.path.exists(path):
        return None
    try:
        return nlp.load_classifier(path)
    except (OSError, ValueError, KeyError):  # a damaged model is retrained, never fatal
        return None


def accepted_rows() -> list[dict]:
    """One row per counted coding: what the network accepted (single-coder or agreed, never blind work)."""
    rows = db.session.execute(
        db.select(Coding).filter(Coding.sample_id.is_(None))).scalars()
    return [{"id": c.item_id, "text": c.item.text, "code": c.code.key} for c in rows]


def train_from_codings(codebook: dict) -> dict:
    import nlp
    rows = accepted_rows()
    if len(rows) < MIN_CODINGS_TO_TRAIN:
        return {"trained": False, "codings": len(rows)}
    classifier = nlp.train_classifier(rows, codebook=codebook)
    classifier.save(classifier_path())
    return {"trained": True, "codings": len(rows)}


def suggest(items, codebook: dict, classifier=None) -> list[dict]:
    import nlp
    return nlp.suggest([{"id": i.id, "text": i.text, "lang": i.language} for i in items], codebook=codebook,
                       classifier=classifier)


def discover(items, seed: int, codebook: dict) -> dict:
    import nlp
    docs = [{"id": i.id, "text": i.text, "lang": i.language, "group": i.city.slug,
             **({"date": i.date.isoformat()} if i.date else {})} for i in items]
    return nlp.discover_topics(docs, seed=seed, codebook=codebook)
