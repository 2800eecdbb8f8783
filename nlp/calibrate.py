"""Calibrate the engine on the real set's dev split and build the bundled classifier.

    python -m nlp.calibrate            # writes nlp/data/calibration.json and nlp/data/model/classifier.json

Only dev passages are read. The tuning set is the real set's dev split (the labelled set's dev split when the
real set is missing). Scores for it come from 5-fold cross-validation: each fold is scored by a classifier
trained on the package's training passages (labelled dev + real dev) *without* that fold, so thresholds are
chosen on scores the model has not seen, as they will be on new evidence. Chosen on those scores:

* the blend weight of the classifier against the lexicon score (one, for all codes);
* a threshold per code, only when PER_CODE_THRESHOLDS is set (off: see its comment);
* the cap on codes per item, ranked by score (about as many as a person applies).

The objective is micro-F1 with precision first: settings whose precision is below ``MIN_PRECISION`` lose.
"""
from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Dict, List

from .codebook import DATA_DIR, load_codebook
from .evaluate import EVAL_SETS, load_labelled

CALIBRATION_FILE = DATA_DIR / "calibration.json"
MODEL_FILE = DATA_DIR / "model" / "classifier.json"
FOLDS = 5
MIN_PRECISION = 0.70
GRID = [round(0.25 + 0.05 * i, 2) for i in range(12)]      # 0.25 .. 0.80
WEIGHTS = [0.3, 0.4, 0.5, 0.6, 0.7]
CAPS = [2, 3, 4]
EXTRA_PER = [0, 3, 5, 8]
MIN_GAIN = 0.002  # what a code's own threshold must add to the objective over the global one
# Per-code thresholds lost to the one global threshold in nested cross-validation on the tuning rows (micro-F1
# 0.702 with them, 0.708 without, 533 passages; also with MIN_GAIN 0.005 / 0.01: 0.706 / 0.705): with 10-60
# positives per code they fit noise. Each code is still calibrated by the classifier (its own intercept shift
# and a blend weight that grows with its number of examples). Set True to search them again.
PER_CODE_THRESHOLDS = False


def tuning_rows() -> (str, List[dict]):
    """The real set's dev split and the extra training passages from real sources (``real:`` and ``train:``
    ids, as in :func:`nlp.classifier.base_training_rows`)."""
    from .classifier import TRAIN_FILE
    real = EVAL_SETS["real"]
    if not Path(real).exists():
        return "labelled", [dict(r, id=f"labelled:{r['id']}") for r in load_labelled(EVAL_SETS["labelled"], "dev")]
    rows = [dict(r, id=f"real:{r['id']}") for r in load_labelled(real, "dev")]
    name = "real set dev split"
    if TRAIN_FILE.exists():
        rows += [dict(r, id=f"train:{r['id']}") for r in load_labelled(TRAIN_FILE)]
        name += " + extra training passages"
    return name, rows


def _fold(row_id) -> int:
    return int(hashlib.sha1(str(row_id).encode()).hexdigest(), 16) % FOLDS


def raw_scores(rows: List[dict], codebook, classifier) -> List[Dict[str, tuple]]:
    """Per row and code: (lexicon score, classifier probability or None, n_pos, number of sentences)."""
    from .engine import analyze, lexicon_scores
    analyses = analyze([{"id": i, "text": r["text"], "lang": r.get("lang")} for i, r in enumerate(rows)],
                       codebook, want_norms=classifier is not None)
    lexes = [lexicon_scores(a, codebook) for a in analyses]
    probs = classifier.predict_batch(analyses, lexes) if classifier is not None else [{}] * len(rows)
    out = []
    for a, lex, pr in zip(analyses, lexes, probs):
        row = {}
        for code in codebook.ids:
            p = pr.get(code)
            n_pos = classifier.models[code]["n_pos"] if p is not None else 0
            row[code] = (lex[code]["score"] if code in lex else 0.0, p["prob"] if p else None, n_pos)
        out.append({"codes": row, "sentences": len(a.sentences)})
    return out


def combine(raw: dict, max_weight: float, half_weight_at: float = 10.0) -> Dict[str, float]:
    out = {}
    for code, (lex, prob, n_pos) in raw["codes"].items():
        if prob is None:
            out[code] = lex
        else:
            w = min(max_weight, n_pos / (n_pos + half_weight_at))
            out[code] = (1 - w) * lex + w * prob
    return out


def predict(scores: List[Dict[str, float]], sentences: List[int], thresholds: Dict[str, float], default: float,
            cap, extra_per) -> List[set]:
    preds = []
    for sc, n_sent in zip(scores, sentences):
        kept = sorted(((s, c) for c, s in sc.items() if s >= thresholds.get(c, default)), reverse=True)
        if cap:
            kept = kept[:cap + (n_sent // extra_per if extra_per else 0)]
        preds.append({c for _, c in kept})
    return preds


def micro(gold: List[set], pred: List[set]) -> dict:
    tp = sum(len(g & p) for g, p in zip(gold, pred))
    fp = sum(len(p - g) for g, p in zip(gold, pred))
    fn = sum(len(g - p) for g, p in zip(gold, pred))
    pr = tp / (tp + fp) if tp + fp else 0.0
    rc = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": pr, "recall": rc, "f1": 2 * pr * rc / (pr + rc) if pr + rc else 0.0}


def objective(m: dict) -> float:
    return m["f1"] - (0.0 if m["precision"] >= MIN_PRECISION else 2 * (MIN_PRECISION - m["precision"]))


def code_f1(gold: List[set], pred: List[set], code: str) -> float:
    tp = sum(1 for g, p in zip(gold, pred) if code in g and code in p)
    n = sum(1 for g in gold if code in g) + sum(1 for p in pred if code in p)
    return 2 * tp / n if n else 1.0


def search(raws, gold, sentences, codes) -> dict:
    best = None
    for w in WEIGHTS:
        scores = [combine(r, w) for r in raws]
        for cap in CAPS:
            for extra in (EXTRA_PER if cap else [0]):
                for t in GRID:
                    m = micro(gold, predict(scores, sentences, {}, t, cap, extra))
                    key = objective(m)
                    if best is None or key > best[0] + 1e-9:
                        best = (key, {"max_weight": w, "max_codes": cap, "extra_code_per_sentences": extra,
                                      "default": t, "thresholds": {}}, m)
    _, params, m = best
    scores = [combine(r, params["max_weight"]) for r in raws]
    thresholds: Dict[str, float] = {}
    for _ in range(2 if PER_CODE_THRESHOLDS else 0):  # coordinate ascent over the codes, twice (the cap couples them)
        for code in codes:
            def value_of(th):
                pred = predict(scores, sentences, th, params["default"], params["max_codes"],
                               params["extra_code_per_sentences"])
                return objective(micro(gold, pred)) + 0.02 * min(code_f1(gold, pred, code), 0.5)
            base = value_of(thresholds)
            choice, gain = thresholds.get(code), 0.0
            for t in GRID:
                trial = dict(thresholds, **{code: t})
                value = value_of(trial)
                # a code's own threshold must clearly do better than the global one (small samples)
                if value > base + gain + MIN_GAIN:
                    choice, gain = t, value - base
            if choice is not None:
                thresholds[code] = choice
    params["thresholds"] = dict(sorted(thresholds.items()))
    params["cv_micro"] = {k: round(v, 4) for k, v in micro(gold, predict(
        scores, sentences, thresholds, params["default"], params["max_codes"],
        params["extra_code_per_sentences"])).items()}
    return params


def per_code(gold: List[set], pred: List[set], codes) -> Dict[str, dict]:
    out = {}
    for c in codes:
        tp = sum(1 for g, p in zip(gold, pred) if c in g and c in p)
        fp = sum(1 for g, p in zip(gold, pred) if c not in g and c in p)
        fn = sum(1 for g, p in zip(gold, pred) if c in g and c not in p)
        pr = tp / (tp + fp) if tp + fp else 0.0
        rc = tp / (tp + fn) if tp + fn else 0.0
        out[c] = {"precision": round(pr, 3), "recall": round(rc, 3),
                  "f1": round(2 * pr * rc / (pr + rc), 3) if pr + rc else 0.0, "support": tp + fn}
    return out


def main(argv=None) -> int:
    import argparse
    from .classifier import base_training_rows, train_classifier
    ap = argparse.ArgumentParser(prog="python -m nlp.calibrate")
    ap.add_argument("--dry-run", action="store_true", help="print the cross-validated figures, write nothing")
    ap.add_argument("--C", type=float, default=2.0)
    args = ap.parse_args(argv)
    t0 = time.time()
    codebook = load_codebook()
    name, tune = tuning_rows()
    base = base_training_rows()
    raws: List[dict] = [None] * len(tune)
    for k in range(FOLDS):
        held = {i for i, r in enumerate(tune) if _fold(r["id"]) == k}
        held_ids = {str(tune[i]["id"]) for i in held}
        clf = train_classifier([r for r in base if r["id"] not in held_ids], codebook=codebook, C=args.C)
        fold_rows = [tune[i] for i in sorted(held)]
        for i, raw in zip(sorted(held), raw_scores(fold_rows, codebook, clf)):
            raws[i] = raw
        print(f"fold {k + 1}/{FOLDS}: {len(held)} passages scored ({time.time() - t0:.0f} s)", file=sys.stderr)
    gold = [set(r["codes"]) for r in tune]
    params = search(raws, gold, [r["sentences"] for r in raws], codebook.ids)
    params["tuned_on"] = f"{name} ({len(tune)} passages), {FOLDS}-fold cross-validation"
    params["C"] = args.C
    scores = [combine(r, params["max_weight"]) for r in raws]
    pred = predict(scores, [r["sentences"] for r in raws], params["thresholds"], params["default"],
                   params["max_codes"], params["extra_code_per_sentences"])
    params["cv_per_code"] = per_code(gold, pred, codebook.ids)
    params["cv_codes_per_passage"] = round(sum(len(p) for p in pred) / max(1, len(pred)), 2)
    if args.dry_run:
        print(json.dumps(params, indent=1))
        return 0
    CALIBRATION_FILE.write_text(json.dumps(params, indent=1) + "\n", encoding="utf-8")
    clf = train_classifier(base, codebook=codebook, max_weight=params["max_weight"], C=args.C)
    MODEL_FILE.parent.mkdir(parents=True, exist_ok=True)
    clf.save(MODEL_FILE)
    print(json.dumps(params, indent=1))
    print(f"bundled model: {len(clf.models)} codes, {clf.meta['n_items']} passages -> {MODEL_FILE} "
          f"({time.time() - t0:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
