"""Topic discovery with BERTopic, fully offline.

Embeddings: a scikit-learn pipeline (TF-IDF over spaCy lemmas plus cross-language "concept" tokens from the
code lexicons -> TruncatedSVD -> L2 normaliser); dimension reduction: PCA; clustering: k-means with k chosen by
silhouette (so small corpora never come back as all outliers); representation: c-TF-IDF over lemmas with
accents kept and the codebook's seed words boosted; guided by the codebook's seed words (seed_topic_list).
Topics in different languages are linked through the codes their members are about.
"""
from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from typing import Dict, List, Optional

import numpy as np

from .codebook import load_codebook
from .engine import DEFAULT_THRESHOLD, analyze, lexicon_scores, normalise_items
from .text import display_form, get_nlp

CONCEPT = "zzcode_"  # prefix of concept tokens (one per lexicon code found in a document)


def _split(s: str) -> List[str]:
    return s.split()


def _choose_k(X: np.ndarray, seed: int, k_min: int, k_max: int, sample: int = 2000) -> (int, Dict[int, float]):
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    n = X.shape[0]
    if k_max <= k_min:
        return max(1, min(k_min, n)), {}
    rng = np.random.RandomState(seed)
    idx = rng.choice(n, size=min(n, sample), replace=False)
    Xs = X[idx]
    if k_max - k_min <= 12:
        cands = list(range(k_min, k_max + 1))
    else:
        cands = sorted({int(round(x)) for x in np.geomspace(k_min, k_max, 12)})
    scores = {}
    for k in cands:
        if k >= len(Xs):
            break
        labels = KMeans(n_clusters=k, random_state=seed, n_init=3).fit_predict(Xs)
        if len(set(labels)) < 2:
            continue
        scores[k] = float(silhouette_score(Xs, labels, random_state=seed))
    if not scores:
        return k_min, scores
    best = max(scores.values())
    # silhouette favours very few clusters on text; take the largest k within 10% of the best score
    k = max(k for k, s in scores.items() if s >= best - 0.1 * abs(best))
    return k, scores


def _parse_date(v):
    import pandas as pd
    if v in (None, ""):
        return None
    try:
        t = pd.Timestamp(v)
        return None if pd.isna(t) else t.tz_localize(None) if t.tzinfo else t
    except (ValueError, TypeError):
        return None


def surface_namer(analyses):
    """Topic words as people write them: each lemma is shown as its most frequent written form in the corpus
    ("calles", "baños", "presupuesto"), never a lookup lemma that may be wrong ("callar", "bañar")."""
    forms: Dict[str, Counter] = defaultdict(Counter)
    for a in analyses:
        for norm in a.norms:
            forms[norm][a.surface.get(norm, norm)] += 1

    def shown(word: str) -> str:
        parts = []
        for part in word.split(" "):
            counts = forms.get(part)
            parts.append(counts.most_common(1)[0][0] if counts else display_form(part))
        return " ".join(parts)
    return shown


def discover_topics(docs, seed: int = 42, n_topics: Optional[int] = None, codebook=None,
                    top_n_words: int = 10, n_representative: int = 3, nr_bins: int = 10,
                    guided: bool = True, k_max: int = 40) -> dict:
    """Discover topics in ``docs`` (strings or dicts with id, text and optional lang, group, date).

    Returns a JSON-able dict: ``topics`` (id, label, words, size, member_ids, representative_ids, languages,
    codes, mapped_code), ``documents`` (id, topic, lang), ``per_group``, ``over_time``, ``related``
    (topics in different languages about the same codes) and ``params``.
    """
    from bertopic import BERTopic
    from bertopic.vectorizers import ClassTfidfTransformer
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA, TruncatedSVD
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import Normalizer

    t0 = time.time()
    codebook = load_codebook(codebook)
    rows = normalise_items(docs)
    analyses = analyze(rows, codebook, want_norms=True)
    shown = surface_namer(analyses)
    code_sets, repr_docs, embed_docs = [], [], []
    for a in analyses:
        lex = lexicon_scores(a, codebook)
        codes = sorted(c for c, v in lex.items() if v["score"] >= DEFAULT_THRESHOLD)
        code_sets.append(codes)
        repr_docs.append(" ".join(a.norms))
        concepts = [CONCEPT + c for c, v in lex.items() if v["score"] >= 0.3]
        embed_docs.append(" ".join(a.norms + concepts))
    usable = [i for i, d in enumerate(embed_docs) if d.strip()]
    n = len(usable)
    result = {"n_docs": len(rows), "topics": [], "documents": [], "per_group": None, "over_time": None,
              "related": [], "params": {"seed": seed}}
    doc_topic = [-1] * len(rows)
    if n == 0:
        result["documents"] = [{"id": r["id"], "topic": -1, "lang": a.lang} for r, a in zip(rows, analyses)]
        return result

    # ---------------------------------------------------------------- embeddings
    tfidf = TfidfVectorizer(analyzer=_split, sublinear_tf=True, min_df=2 if n >= 500 else 1,
                            max_df=0.9 if n >= 50 else 1.0, max_features=100_000)
    u_embed = [embed_docs[i] for i in usable]
    Xt = tfidf.fit_transform(u_embed)
    dim = max(2, min(100, Xt.shape[1] - 1, n - 1))
    svd = TruncatedSVD(n_components=dim, random_state=seed)
    pipe = make_pipeline(tfidf, svd, Normalizer(copy=False))
    emb = Normalizer().fit_transform(svd.fit_transform(Xt))
    pipe.steps[-1][1].fit(emb)  # everything in the pipeline is fitted (used for seed topic embeddings)

    # ---------------------------------------------------------------- number of topics
    pca_dim = max(1, min(10, dim, n - 1))
    Xr = PCA(n_components=pca_dim, random_state=seed).fit_transform(emb) if n > 2 else emb
    if n_topics:
        k, sil = max(1, min(int(n_topics), n)), {}
    elif n < 6:
        k, sil = 1, {}
    else:
        k, sil = _choose_k(Xr, seed, 2, max(2, min(k_max, n // 5, int(math.sqrt(n) * 2))))

    # ---------------------------------------------------------------- BERTopic
    seed_topics, seed_words = [], []
    if guided:
        for code in codebook.codes:
            words = []
            for lang, ws in code.seed_words.items():
                nlp = get_nlp(lang)
                for d in nlp.pipe(ws):
                    words.extend(t.norm_ for t in d if t.is_alpha and len(t.norm_) > 2)
            words = sorted(set(words))
            if words:
                seed_topics.append(words + [CONCEPT + code.id])
                seed_words.extend(words)
    u_repr = [repr_docs[i] if repr_docs[i] else "_" for i in usable]
    vec = CountVectorizer(token_pattern=r"(?u)[^\s]+", lowercase=False, strip_accents=None, ngram_range=(1, 2),
                          min_df=2 if n >= 200 else 1, max_features=200_000)
    model = BERTopic(
        embedding_model=pipe, umap_model=PCA(n_components=pca_dim, random_state=seed),
        hdbscan_model=KMeans(n_clusters=k, random_state=seed, n_init=3), vectorizer_model=vec,
        ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True, seed_words=sorted(set(seed_words)) or None,
                                           seed_multiplier=2),
        seed_topic_list=seed_topics or None, top_n_words=top_n_words, calculate_probabilities=False,
        language=None, verbose=False)
    if k == 1:
        topics = [0] * n
        model = None
    else:
        topics, _ = model.fit_transform(u_repr, embeddings=emb.copy())
    for j, i in enumerate(usable):
        doc_topic[i] = int(topics[j])

    # ---------------------------------------------------------------- topic table
    members: Dict[int, List[int]] = defaultdict(list)
    for i, t in enumerate(doc_topic):
        if t >= 0:
            members[t].append(i)
    pos = {i: j for j, i in enumerate(usable)}
    topic_info = {}
    for t in sorted(members):
        idx = members[t]
        if model is not None:
            words = [(shown(w), round(float(s), 4)) for w, s in (model.get_topic(t) or []) if w]
        else:
            cnt = Counter(w for i in idx for w in repr_docs[i].split())
            words = [(shown(w), c) for w, c in cnt.most_common(top_n_words)]
        vecs = emb[[pos[i] for i in idx]]
        centroid = vecs.mean(axis=0)
        sims = vecs @ centroid
        order = np.argsort(-sims, kind="stable")[:n_representative]
        langs = Counter(analyses[i].lang for i in idx)
        ccount = Counter(c for i in idx for c in code_sets[i])
        codes = [{"code": c, "share": round(v / len(idx), 3)} for c, v in ccount.most_common(5)]
        topic_info[t] = {
            "id": t, "label": "_".join([str(t)] + [w for w, _ in words[:4]]),
            "words": [[w, s] for w, s in words], "size": len(idx),
            "member_ids": [rows[i]["id"] for i in idx],
            "representative_ids": [rows[idx[o]]["id"] for o in order],
            "languages": dict(langs.most_common()), "main_language": langs.most_common(1)[0][0],
            "codes": codes,
            "mapped_code": codes[0]["code"] if codes and codes[0]["share"] >= 0.3 else None,
        }
    result["topics"] = list(topic_info.values())
    result["documents"] = [{"id": r["id"], "topic": doc_topic[i], "lang": analyses[i].lang}
                           for i, r in enumerate(rows)]

    # ---------------------------------------------------------------- related topics across languages
    code_ids = codebook.ids
    vecs = {t: np.array([next((c["share"] for c in info["codes"] if c["code"] == cid), 0.0) for cid in code_ids])
            for t, info in topic_info.items()}
    related = []
    ts = sorted(topic_info)
    for a_i, ta in enumerate(ts):
        for tb in ts[a_i + 1:]:
            la, lb = topic_info[ta]["main_language"], topic_info[tb]["main_language"]
            if la == lb:
                continue
            va, vb = vecs[ta], vecs[tb]
            na, nb = np.linalg.norm(va), np.linalg.norm(vb)
            if not na or not nb:
                continue
            sim = float(va @ vb / (na * nb))
            if sim >= 0.5:
                shared = [cid for cid, x, y in zip(code_ids, va, vb) if x >= 0.2 and y >= 0.2]
                related.append({"topics": [ta, tb], "languages": [la, lb], "similarity": round(sim, 3),
                                "shared_codes": shared})
    related.sort(key=lambda r: (-r["similarity"], r["topics"]))
    result["related"] = related

    # ---------------------------------------------------------------- per group and over time
    groups = [r.get("group") for r in rows]
    if any(g not in (None, "") for g in groups):
        table: Dict[str, Dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for g, t in zip(groups, doc_topic):
            table[str(g) if g not in (None, "") else "(none)"][str(t)] += 1
        per_group = {"counts": {g: dict(v) for g, v in sorted(table.items())}, "words": []}
        if model is not None:
            cls = [str(groups[i]) if groups[i] not in (None, "") else "(none)" for i in usable]
            df = model.topics_per_class(u_repr, classes=cls)
            per_group["words"] = [{"topic": int(r.Topic), "group": str(r.Class), "size": int(r.Frequency),
                                   "words": [shown(w) for w in str(r.Words).split(", ")]}
                                  for r in df.itertuples()]
        result["per_group"] = per_group
    dates = [_parse_date(r.get("date")) for r in rows]
    dated = [j for j, i in enumerate(usable) if dates[i] is not None]
    if dated:
        table = defaultdict(lambda: defaultdict(int))
        for i, t in enumerate(doc_topic):
            if dates[i] is not None:
                table[dates[i].strftime("%Y-%m")][str(t)] += 1
        over = {"by_month": {m: dict(v) for m, v in sorted(table.items())}, "words": []}
        if model is not None and len({dates[usable[j]] for j in dated}) > 1:
            df = model.topics_over_time([u_repr[j] for j in dated], [dates[usable[j]] for j in dated],
                                        topics=[int(topics[j]) for j in dated], nr_bins=nr_bins)
            over["words"] = [{"topic": int(r.Topic), "timestamp": str(r.Timestamp)[:10], "size": int(r.Frequency),
                              "words": [shown(w) for w in str(r.Words).split(", ")]}
                             for r in df.itertuples()]
        result["over_time"] = over

    result["params"] = {"seed": seed, "n_topics": k, "chosen_by": "fixed" if n_topics else "silhouette",
                        "silhouette": {str(a): round(b, 4) for a, b in sil.items()}, "embedding_dim": dim,
                        "pca_dim": pca_dim, "guided_seed_topics": len(seed_topics), "n_used_docs": n,
                        "seconds": round(time.time() - t0, 2)}
    return result
