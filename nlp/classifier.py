"""Learned code classifier trained from the network's accepted codings.

TF-IDF over accent-free lemmas (unigrams + bigrams) plus lexicon concept features (``__lex_<code>``,
which carry evidence across languages), one logistic regression per code (scikit-learn). The model is
saved as plain JSON (no pickle), so the app can keep it under instance/ and load it safely.
"""
from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

from .codebook import Codebook, load_codebook

MODEL_FORMAT = "safer-cities-nlp-classifier/1"


def features(analysis, lex: Dict[str, dict]) -> List[str]:
    """Feature tokens of an analysed item: lemmas, lemma bigrams, lexicon concepts."""
    n = analysis.norms
    feats = list(n)
    feats += [f"{a}_{b}" for a, b in zip(n, n[1:])]
    for code, v in lex.items():
        feats.append(f"__lex_{code}" if v["polarity"] != "absent" else f"__lexabs_{code}")
        if v["score"] >= 0.8:
            feats.append(f"__lexhi_{code}")
    return feats


def _group_codings(accepted) -> List[dict]:
    """Accept [{"text", "codes": [...]}, ...] or one row per coding [{"id", "text", "code"}, ...]."""
    items: Dict[object, dict] = {}
    order = []
    for i, row in enumerate(accepted):
        if isinstance(row, (tuple, list)) and len(row) == 2:
            row = {"text": row[0], "codes": row[1]}
        key = row.get("id", f"__row{i}") if "code" in row and "codes" not in row else f"__row{i}"
        if key not in items:
            items[key] = {"id": row.get("id", i), "text": row.get("text") or "", "lang": row.get("lang"), "codes": set()}
            order.append(key)
        if "codes" in row:
            items[key]["codes"].update(row["codes"] or [])
        elif row.get("code"):
            items[key]["codes"].add(row["code"])
    return [items[k] for k in order]


class CodeClassifier:
    def __init__(self, vocab: List[str], idf: List[float], models: Dict[str, dict], meta: Optional[dict] = None):
        self.vocab = vocab
        self.index = {f: i for i, f in enumerate(vocab)}
        self.idf = idf
        self.models = models  # code -> {"coef": {idx: w}, "intercept": b, "n_pos": int, "n_neg": int}
        self.meta = meta or {}
        self.max_weight = float(self.meta.get("max_weight", 0.6))
        self.half_weight_at = float(self.meta.get("half_weight_at", 10))
        self.no_lexicon_codes = set(self.meta.get("no_lexicon_codes", []))

    # -------------------------------------------------------------- persistence
    def to_dict(self) -> dict:
        return {"format": MODEL_FORMAT, "meta": self.meta, "vocab": self.vocab,
                "idf": [round(x, 6) for x in self.idf],
                "models": {c: {"intercept": m["intercept"], "n_pos": m["n_pos"], "n_neg": m["n_neg"],
                               "coef": {str(k): v for k, v in m["coef"].items()}} for c, m in self.models.items()}}

    def save(self, path: Union[str, Path]) -> Path:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_suffix(p.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), ensure_ascii=False), encoding="utf-8")
        tmp.replace(p)
        return p

    @classmethod
    def load(cls, path: Union[str, Path]) -> "CodeClassifier":
        d = json.loads(Path(path).read_text(encoding="utf-8"))
        if d.get("format") != MODEL_FORMAT:
            raise ValueError(f"{path}: not a {MODEL_FORMAT} model")
        models = {c: {"intercept": m["intercept"], "n_pos": m["n_pos"], "n_neg": m["n_neg"],
                      "coef": {int(k): v for k, v in m["coef"].items()}} for c, m in d["models"].items()}
        return cls(d["vocab"], d["idf"], models, d.get("meta"))

    # -------------------------------------------------------------- prediction
    @property
    def codes(self) -> List[str]:
        return list(self.models)

    def blend_weight(self, code: str) -> float:
        m = self.models.get(code)
        if not m:
            return 0.0
        if code in self.no_lexicon_codes:
            return 1.0
        n = m["n_pos"]
        return min(self.max_weight, n / (n + self.half_weight_at))

    def _vector(self, feats: Sequence[str]) -> Dict[int, float]:
        tf = Counter(self.index[f] for f in feats if f in self.index)
        vec = {i: (1.0 + math.log(c)) * self.idf[i] for i, c in tf.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {i: v / norm for i, v in vec.items()}

    def _weights(self):
        """Coefficients as one dense matrix (features x codes): a whole batch is scored in one product."""
        if getattr(self, "_W", None) is None:
            import numpy as np
            codes = list(self.models)
            W = np.zeros((len(self.vocab), len(codes)), dtype=np.float64)
            for j, code in enumerate(codes):
                for i, w in self.models[code]["coef"].items():
                    W[i, j] = w
            self._codes = codes
            self._W = W
            self._b = np.array([self.models[c]["intercept"] for c in codes])
        return self._codes, self._W, self._b

    def predict_features(self, feats: Sequence[str], top: int = 3) -> Dict[str, dict]:
        x = self._vector(feats)
        out = {}
        for code, m in self.models.items():
            coef = m["coef"]
            contrib = [(x_i * coef[i], i) for i, x_i in x.items() if i in coef]
            z = m["intercept"] + sum(c for c, _ in contrib)
            prob = 1.0 / (1.0 + math.exp(-max(min(z, 30), -30)))
            best = sorted((c for c in contrib if c[0] > 0), reverse=True)[:top]
            out[code] = {"prob": prob, "features": [self.vocab[i] for _, i in best]}
        return out

    def predict_analysis(self, analysis, codebook: Codebook) -> Dict[str, dict]:
        from .engine import lexicon_scores
        return self.predict_features(features(analysis, lexicon_scores(analysis, codebook)))

    def predict_batch(self, analyses, lexes) -> List[Dict[str, dict]]:
        """Probabilities per code for analysed items (``lexes``: their lexicon scores), in one matrix product."""
        import numpy as np
        from scipy.sparse import csr_matrix
        codes, W, b = self._weights()
        indptr, indices, data = [0], [], []
        for a, lex in zip(analyses, lexes):
            vec = self._vector(features(a, lex)) if a.text.strip() else {}
            indices.extend(vec)
            data.extend(vec.values())
            indptr.append(len(indices))
        X = csr_matrix((np.array(data, dtype=np.float64), np.array(indices, dtype=np.int64), np.array(indptr)),
                       shape=(len(analyses), len(self.vocab)))
        Z = np.clip(X @ W + b, -30, 30)
        P = 1.0 / (1.0 + np.exp(-Z))
        out = []
        for n in range(len(analyses)):
            row = slice(indptr[n], indptr[n + 1])
            x = (indices[row], data[row])
            out.append({c: {"prob": float(P[n, j]), "x": x, "j": j} for j, c in enumerate(codes)})
        return out

    def explain(self, analysis, code: str, pred: dict, top: int = 4):
        """The item's words that pushed ``code`` up most, as written in the item (never feature ids), and the
        sentences that hold them."""
        _, W, _ = self._weights()
        idx, vals = pred.get("x") or ((), ())
        j = pred.get("j")
        if j is None or not idx:
            return [], []
        contrib = sorted(((v * W[i, j], i) for i, v in zip(idx, vals)), reverse=True)
        words: List[str] = []
        for c, i in contrib:
            if c <= 0 or len(words) >= top:
                break
            feat = self.vocab[i]
            if feat.startswith("__"):
                continue  # concept features repeat the lexicon's own triggers, already shown as mentions
            word = _as_written(analysis, [analysis.surface.get(part, part) for part in feat.split("_") if part])
            if word and word not in words and not any(word in w or w in word for w in words):
                words.append(word)
        spans = []
        low = analysis.text.lower()
        for w in words:
            at = low.find(w)
            if at >= 0:
                for s, e in analysis.sentences or [(0, len(analysis.text))]:
                    if s <= at < e and (s, e) not in spans:
                        spans.append((s, e))
        return words, spans

def _as_written(analysis, parts: List[str]) -> Optional[str]:
    """A feature's words as the item writes them: a lemma bigram ("trust police") becomes the stretch of text that
    holds both words in order, at most three words apart ("trust the police"); None when the text has no such
    stretch (the feature is then not shown)."""
    low = analysis.text.lower()
    if not parts or parts[0] not in low:
        return None
    if len(parts) == 1:
        return parts[0]
    first, second = parts[0], parts[1]
    at = low.find(first)
    while at >= 0:
        after = at + len(first)
        nxt = low.find(second, after)
        if nxt >= 0 and len(low[after:nxt].split()) <= 3 and nxt - after <= 40:
            return low[at:nxt + len(second)]
        at = low.find(first, at + 1)
    return None


def _calibration_shift(X, y, C: float) -> float:
    """Logit shift that puts the decision point where cross-validated F1 is best.

    With few positives a balanced logistic regression is under-confident: its probabilities for the code's
    own items sit around 0.35-0.45, below the suggestion threshold, so a network's new code would never be
    suggested. Cross-validated probabilities pick the best cut-off ``t`` on the training data; the intercept
    moves by logit(t) so that ``t`` lands on 0.5. The shift is capped so that a small sample cannot make a
    code fire everywhere.
    """
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    folds = int(min(5, y.sum(), len(y) - y.sum()))
    if folds < 3:
        return 0.0
    model = LogisticRegression(C=C, class_weight="balanced", solver="liblinear", max_iter=2000)
    probs = cross_val_predict(model, X, y, cv=StratifiedKFold(folds, shuffle=True, random_state=0),
                              method="predict_proba")[:, 1]
    best_t, best_f1 = 0.5, -1.0
    for t in np.arange(0.2, 0.81, 0.05):
        pred = probs >= t
        tp = float((pred & (y == 1)).sum())
        f1 = 2 * tp / (pred.sum() + y.sum()) if (pred.sum() + y.sum()) else 0.0
        if f1 > best_f1 + 1e-9 or (abs(f1 - best_f1) <= 1e-9 and abs(t - 0.5) < abs(best_t - 0.5)):
            best_t, best_f1 = float(t), f1
    return max(-1.5, min(1.5, math.log(best_t / (1 - best_t))))


def train_classifier(accepted, codebook=None, min_examples: int = 5, C: float = 2.0,
                     max_weight: Optional[float] = None, half_weight_at: float = 10.0,
                     calibrate: bool = True) -> CodeClassifier:
    """Train from accepted codings.

    ``accepted``: ``[{"text", "codes": [...], "lang"?}]`` (an item and all codes accepted for it; other codes
    count as negatives) or one row per coding ``[{"id", "text", "code"}]``. A code gets a model once it has at
    least ``min_examples`` positive and negative items; codes with fewer are left to the lexicon.
    """
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from .engine import analyze, lexicon_scores
    from .lexicon import get_compiled

    codebook = load_codebook(codebook)
    if max_weight is None:  # the blend weight chosen by nlp/calibrate.py (0.4 before calibration)
        from .engine import calibration
        max_weight = float(calibration().get("max_weight", 0.4))
    rows = [r for r in _group_codings(accepted) if str(r["text"]).strip()]
    if not rows:
        raise ValueError("no accepted codings with text to train from")
    analyses = analyze([{"id": i, "text": r["text"], "lang": r.get("lang")} for i, r in enumerate(rows)],
                       codebook, want_norms=True)
    feats = [features(a, lexicon_scores(a, codebook)) for a in analyses]
    vec = TfidfVectorizer(analyzer=lambda x: x, sublinear_tf=True, min_df=2 if len(rows) >= 200 else 1,
                          norm="l2")
    X = vec.fit_transform(feats)
    vocab = list(vec.get_feature_names_out())
    idf = [float(v) for v in vec.idf_]
    lexicons = get_compiled(codebook).lexicons
    models: Dict[str, dict] = {}
    for code in codebook.ids:
        y = np.array([1 if code in r["codes"] else 0 for r in rows])
        n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
        if n_pos < min_examples or n_neg < min_examples:
            continue
        clf = LogisticRegression(C=C, class_weight="balanced", solver="liblinear", max_iter=2000)
        clf.fit(X, y)
        w = clf.coef_[0]
        nz = np.flatnonzero(np.abs(w) > 1e-4)
        shift = _calibration_shift(X, y, C) if calibrate else 0.0
        models[code] = {"intercept": float(clf.intercept_[0]) - shift, "n_pos": n_pos, "n_neg": n_neg,
                        "coef": {int(i): round(float(w[i]), 5) for i in nz}}
    no_lex = [c for c in models if (lexicons.get(c) is None or lexicons[c].source == "codebook seed words")]
    meta = {"n_items": len(rows), "min_examples": min_examples, "C": C, "max_weight": max_weight,
            "half_weight_at": half_weight_at, "codebook_ids": codebook.ids, "no_lexicon_codes": no_lex}
    return CodeClassifier(vocab, idf, models, meta)


BUNDLED_MODEL = Path(__file__).resolve().parent / "data" / "model" / "classifier.json"
_BUNDLED: Dict[str, object] = {}


def bundled_classifier() -> Optional[CodeClassifier]:
    """The model shipped with the package (trained by ``nlp/calibrate.py`` on the project's own labelled
    passages: the labelled set's and the real set's dev splits), or None when it is missing."""
    if not BUNDLED_MODEL.exists():
        return None
    mtime = BUNDLED_MODEL.stat().st_mtime
    if _BUNDLED.get("mtime") != mtime:
        _BUNDLED.update(mtime=mtime, model=CodeClassifier.load(BUNDLED_MODEL))
    return _BUNDLED["model"]


TRAIN_FILE = Path(__file__).resolve().parent / "data" / "train" / "real_extra.jsonl"


def base_training_rows() -> List[dict]:
    """The project's own labelled passages that the bundled model learns from, as ``{"id", "text", "lang",
    "codes"}``: the labelled and real evaluation sets' dev splits (their test splits stay held out) and the extra
    training passages from real sources (``nlp/data/train/``, never evaluated on)."""
    from .evaluate import EVAL_SETS, load_labelled
    rows = []
    for name, path, split in (("labelled", EVAL_SETS.get("labelled"), "dev"), ("real", EVAL_SETS.get("real"), "dev"),
                              ("train", TRAIN_FILE, None)):
        if path is not None and Path(path).exists():
            rows += [{"id": f"{name}:{r.get('id')}", "text": r["text"], "lang": r.get("lang"), "codes": r["codes"]}
                     for r in load_labelled(path, split)]
    return rows


def base_training_version() -> str:
    """A fingerprint of the package's own training passages (changes when the eval files change)."""
    import hashlib
    from .evaluate import EVAL_SETS
    digest = hashlib.sha1()
    for path in (Path(EVAL_SETS["labelled"]), Path(EVAL_SETS["real"]), TRAIN_FILE):
        if path.exists():
            digest.update(hashlib.sha1(path.read_bytes()).digest())
    return digest.hexdigest()[:16]
