"""Lexicon analysis of items and code suggestions (lexicon score, optionally blended with a classifier)."""
from __future__ import annotations

import bisect
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

from .codebook import Codebook, load_codebook
from .lexicon import TIERS, get_compiled
from spacy.attrs import IDX, IS_ALPHA, IS_PUNCT, LENGTH, LOWER, NORM

from .text import (LANGS, all_stop_words, get_nlp, language_scores, segment_languages, sentence_ranges,
                   strip_accents)

DEFAULT_THRESHOLD = 0.5
SCORE_K = 1.1            # score = 1 - exp(-K * evidence)
HEDGE_FACTOR = 0.6       # "might be", "quizás", "peut-être": a hedged mention counts for less
GENERIC_FACTOR = 0.6     # a weak (generic) word with no stronger word of its code in its sentence or the next
GENERIC_CAP = 0.55        # ... and all such words of a code together never reach the threshold on their own
CALIBRATION_FILE = Path(__file__).resolve().parent / "data" / "calibration.json"
REPEAT_BONUS = 0.25      # extra evidence per repeated mention of the same term (max 2 repeats)
ABSENT_FACTOR = 0.9      # "more of" codes supported only by absence evidence ("no lighting")
NEG_WINDOW = 3           # tokens looked back for a negation cue

NEGATION_CUES = {
    "en": {"not", "no", "never", "without", "nobody", "none", "nothing", "neither", "nor", "n't", "lack", "lacks",
           "lacking", "absence", "hardly", "barely", "nowhere", "cannot"},
    "es": {"no", "sin", "nunca", "jamas", "ni", "nadie", "ningun", "ninguno", "ninguna", "nada", "falta", "faltan",
           "ausencia", "tampoco", "carece", "carecen", "carencia"},
    "fr": {"ne", "n'", "n’", "pas", "sans", "jamais", "aucun", "aucune", "rien", "ni", "manque", "absence", "nul", "nulle"},
}
# Cues that make a mention of an incident hypothetical or programmatic rather than a report of one:
# "fear of being attacked", "peur d'être agressée", "violence prevention", "prevención de la violencia".
# Applied to the codes in FRAME_CODES only (fear itself is fear_of_crime's evidence).
FRAME_CODES = {"violence_crime"}
FRAME_BEFORE = {
    "en": {"fear", "afraid", "scared", "worry", "worried", "risk", "prevent", "prevention", "prevention",
           "reduce", "reduction", "tackle", "tackling", "against", "combat", "end", "avoid", "if", "whether"},
    "es": {"miedo", "temor", "temer", "riesgo", "prevenir", "prevencion", "reducir", "reduccion", "contra",
           "combatir", "erradicar", "evitar", "si"},
    "fr": {"peur", "crainte", "craindre", "risque", "prevenir", "prevention", "reduire", "reduction", "contre",
           "lutte", "lutter", "combattre", "eviter", "si"},
}
FRAME_AFTER = {"prevention", "reduction", "prevencion", "reduction", "reduire"}
# A weak/medium mention of a code counts as medium-to-strong when a hit of a related code is close by
# ("women" near "afraid"/"assaulted"/"latrine" is about women's safety; "women" alone is not).
# (related codes, bonus, only when the code has no strong term of its own)
CONTEXT_BOOST = {"gender_equity": ({"fear_of_crime", "violence_crime", "safe_sanitation"}, 0.45, True)}
CONTEXT_CHARS = 120
HEDGE_CUES = {
    "en": {"might", "may", "could", "perhaps", "possibly", "maybe", "allegedly", "reportedly", "supposedly",
           "rumoured", "rumored", "unclear", "whether"},
    "es": {"quizas", "quiza", "tal", "posiblemente", "podria", "podrian", "supuestamente", "presuntamente",
           "aparentemente", "acaso"},
    "fr": {"peut-etre", "pourrait", "pourraient", "eventuellement", "supposement", "pretendument", "apparemment",
           "serait", "seraient"},
}
SCOPE_BREAKS = {"and", "or", "y", "e", "o", "u", "et", "ou", "but", "however", "although", "though", "yet", "pero", "sino", "aunque", "mais", "cependant",
                "pourtant", "toutefois", "because", "porque", "parce", "car"}


@dataclass
class Hit:
    code: str
    tier: str
    start: int           # char offsets into the original text
    end: int
    text: str
    term: str            # normalised term (lemma key)
    negated: bool
    lang: str
    framed: bool = False  # hypothetical / programmatic mention ("fear of being attacked", "violence prevention")
    hedged: bool = False  # "might", "quizás", "peut-être" just before
    sent: int = 0         # index into Analysis.sentences


@dataclass
class Analysis:
    id: object
    text: str
    lang: str
    hits: List[Hit] = field(default_factory=list)
    norms: List[str] = field(default_factory=list)   # content lemmas (accent-free), for classifier/topics
    surface: Dict[str, str] = field(default_factory=dict)  # norm -> the word as first written (for reasons)
    sentences: List[Tuple[int, int]] = field(default_factory=list)  # sentence/clause char ranges, whole text


class _Tokens:
    """Lower-case accent-free forms, norms, punctuation flags and offsets of a doc's tokens, read from its
    arrays: making spaCy Token objects for every look-back was the slow part of matching."""

    __slots__ = ("rows", "strings", "_low")

    def __init__(self, doc):
        self.rows = doc.to_array([LOWER, NORM, IS_PUNCT, IDX, LENGTH]).tolist()
        self.strings = doc.vocab.strings
        self._low: Dict[int, str] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def low(self, i: int) -> str:
        v = self._low.get(i)
        if v is None:
            v = self._low[i] = strip_accents(self.strings[self.rows[i][0]])
        return v

    def norm(self, i: int) -> str:
        return self.strings[self.rows[i][1]]

    def punct(self, i: int) -> bool:
        return bool(self.rows[i][2])

    def chars(self, s: int, e: int) -> Tuple[int, int]:
        return self.rows[s][3], self.rows[e - 1][3] + self.rows[e - 1][4]


def _cue_before(toks: _Tokens, start: int, cues, window: int, dash_continues: bool = False) -> bool:
    """A cue word within ``window`` tokens before ``start``, not across punctuation (a hyphen too, unless
    ``dash_continues``) nor a scope break ("and", "but", "pero", "mais" ...)."""
    for i in range(start - 1, max(-1, start - 1 - window), -1):
        low = toks.low(i)
        if toks.punct(i) and not (dash_continues and low == "-"):
            return False
        if low in SCOPE_BREAKS:
            return False
        if low in cues:
            return True
    return False


def _is_negated(toks: _Tokens, start: int, lang: str) -> bool:
    return _cue_before(toks, start, NEGATION_CUES.get(lang, NEGATION_CUES["en"]), NEG_WINDOW)


def _is_hedged(toks: _Tokens, start: int, lang: str) -> bool:
    return _cue_before(toks, start, HEDGE_CUES.get(lang, HEDGE_CUES["en"]), NEG_WINDOW + 1, dash_continues=True)


def _framed(toks: _Tokens, start: int, end: int, lang: str) -> bool:
    cues = FRAME_BEFORE.get(lang, FRAME_BEFORE["en"])
    i, steps = start - 1, 0
    while i >= 0 and steps < NEG_WINDOW:
        if toks.punct(i):
            break
        low = toks.low(i)
        if low in cues or toks.norm(i) in cues:
            return True
        if low in SCOPE_BREAKS:
            break
        i -= 1
        steps += 1
    if end < len(toks):
        if toks.low(end) in FRAME_AFTER or toks.norm(end) in FRAME_AFTER:
            return True
    return False


def _negated_hit(toks: _Tokens, start: int, lang: str) -> bool:
    # a term that begins with its own negation ("no toilets", "sin consulta") is complete as written
    if toks.low(start) in NEGATION_CUES.get(lang, NEGATION_CUES["en"]):
        return False
    return _is_negated(toks, start, lang)


def _mixed(text: str) -> Optional[str]:
    sc = language_scores(text)
    ordered = sorted(LANGS, key=lambda l: -sc[l])
    best, second = ordered[0], ordered[1]
    if sc[best] <= 0:
        return None
    return best if sc[second] >= 3.0 and sc[second] >= 0.25 * sc[best] else best + "!"


def normalise_items(items) -> List[dict]:
    """Accept strings, dicts with id/text/lang, or (id, text) tuples; ids default to the position."""
    out = []
    for i, it in enumerate(items):
        if isinstance(it, str):
            out.append({"id": i, "text": it})
        elif isinstance(it, dict):
            d = dict(it)
            d.setdefault("id", i)
            t = d.get("text")
            d["text"] = "" if t is None else str(t)
            out.append(d)
        elif isinstance(it, (tuple, list)) and len(it) == 2:
            out.append({"id": it[0], "text": "" if it[1] is None else str(it[1])})
        else:
            raise TypeError(f"item {i}: expected str, dict or (id, text), got {type(it).__name__}")
    return out


def analyze(items, codebook: Optional[Codebook] = None, lexicon_dirs: Iterable[Path] = (),
            want_norms: bool = False, batch_size: int = 256) -> List[Analysis]:
    """Detect language per item (and per sentence run in mixed items), lemmatise, match lexicons."""
    codebook = load_codebook(codebook)
    comp = get_compiled(codebook, lexicon_dirs)
    items = normalise_items(items)
    analyses: List[Analysis] = []
    jobs: Dict[str, List[Tuple[int, int, str]]] = {l: [] for l in LANGS}  # lang -> (item idx, offset, text)
    for idx, it in enumerate(items):
        text = it["text"]
        given = (it.get("lang") or "").lower()[:2] or None
        if not text.strip():
            analyses.append(Analysis(id=it["id"], text=text, lang=given if given in LANGS else "en"))
            continue
        m = _mixed(text)
        if given in LANGS:
            lang = given
        else:
            lang = m.rstrip("!") if m else "en"
        analyses.append(Analysis(id=it["id"], text=text, lang=lang))
        if m is not None and not m.endswith("!") and len(text) >= 80:
            runs = segment_languages(text, lang)
        else:
            runs = [(0, len(text), lang)]
        for s, e, l in runs:
            jobs[l].append((idx, s, text[s:e]))
    stops = all_stop_words()
    content: Dict[int, Optional[str]] = {}  # norm id -> the norm if a content word, else None
    for lang, lst in jobs.items():
        if not lst:
            continue
        nlp = get_nlp(lang)
        for (idx, off, run_text), doc in zip(lst, nlp.pipe((t for _, _, t in lst), batch_size=batch_size)):
            a = analyses[idx]
            matches = comp.matches(doc, lang)
            if matches:
                base = len(a.sentences)
                sents = sentence_ranges(doc, run_text, off)
                a.sentences.extend(sents)
                starts = [st for st, _ in sents]
            toks = _Tokens(doc) if matches else None
            for code, tier, s, e in matches:
                cs, ce = toks.chars(s, e)
                hs = off + cs
                a.hits.append(Hit(code=code, tier=tier, start=hs, end=off + ce,
                                  text=run_text[cs:ce], term=" ".join(toks.norm(k) for k in range(s, e)),
                                  negated=_negated_hit(toks, s, lang), lang=lang,
                                  framed=code in FRAME_CODES and _framed(toks, s, e, lang),
                                  hedged=_is_hedged(toks, s, lang),
                                  sent=base + max(0, bisect.bisect_right(starts, hs) - 1)))
            if want_norms:
                surface = a.surface
                strings = nlp.vocab.strings
                for norm_id, is_alpha, lower_id in doc.to_array([NORM, IS_ALPHA, LOWER]).tolist():
                    if not is_alpha:
                        continue
                    n = content.get(norm_id, False)
                    if n is False:  # first sight of this norm in the batch: is it a content word?
                        n = strings[norm_id]
                        n = content[norm_id] = n if len(n) > 1 and n not in stops else None
                    if n is not None:
                        a.norms.append(n)
                        if n not in surface:
                            surface[n] = strings[lower_id]
    return analyses


def _confirmed(h: Hit, strong_sents: Dict[str, set]) -> bool:
    """A generic (weak) word counts fully only next to a stronger word of its code: same sentence or the next."""
    sents = strong_sents.get(h.code, ())
    return any(abs(h.sent - s) <= 1 for s in sents)


def _passages(counted: List[Tuple[Hit, float]], sentences: List[Tuple[int, int]]) -> List[Tuple[int, int]]:
    """The sentences holding a code's triggers, adjacent ones merged, strongest group first."""
    if not sentences:
        return [(min(h.start for h, _ in counted), max(h.end for h, _ in counted))] if counted else []
    weight: Dict[int, float] = {}
    for h, w in counted:
        i = min(h.sent, len(sentences) - 1)
        weight[i] = weight.get(i, 0.0) + w
    groups: List[List[int]] = []
    for i in sorted(weight):
        if groups and i == groups[-1][-1] + 1:
            groups[-1].append(i)
        else:
            groups.append([i])
    if len(groups) > 1:
        groups.sort(key=lambda g: (-sum([weight[i] for i in g]), g[0]))
    return [(sentences[g[0]][0], sentences[g[-1]][1]) for g in groups]


def lexicon_scores(a: Analysis, codebook: Codebook) -> Dict[str, dict]:
    """Per code: score (0..1), trigger spans, passage (sentence span), why, polarity, from an item's hits."""
    direction = {c.id: c.direction for c in codebook.codes}
    # spans of "less of" evidence (e.g. elitism's "without consultation"): a "more of" word inside one of them
    # ("consultation") is explained by that code and is not evidence of inclusion, present or absent
    harm_spans = [(h.start, h.end) for h in a.hits
                  if direction.get(h.code, "more") == "less" and not h.negated and h.tier != "weak"]
    strong_sents: Dict[str, set] = {}
    for h in a.hits:
        if h.tier != "weak" and not h.framed and not (h.negated and direction.get(h.code, "more") == "less"):
            strong_sents.setdefault(h.code, set()).add(h.sent)
    per: Dict[str, dict] = {}
    for h in a.hits:
        d = direction.get(h.code, "more")
        if h.framed:
            continue                # "fear of being attacked", "violence prevention": not an incident
        if d == "more" and any(hs <= h.start and h.end <= he and (hs, he) != (h.start, h.end)
                               or (h.negated and hs < h.end and h.start < he) for hs, he in harm_spans):
            continue
        absent = h.tier == "absent"
        if h.negated:
            if d == "less" and not absent:
                continue            # "no longer afraid", "no gangs": not evidence of the harm
            absent = not absent     # "no lighting" -> absence of a "more of" thing; "not dark" -> presence
        weight = TIERS[h.tier]
        if h.hedged:
            weight *= HEDGE_FACTOR
        generic = h.tier == "weak" and not _confirmed(h, strong_sents)
        if generic:
            weight *= GENERIC_FACTOR
        e = per.setdefault(h.code, {"terms": {}, "tw": {}, "spans": [], "why": [], "present": 0.0, "absent": 0.0,
                                    "counted": [], "confirmed": set()})
        if not generic:
            e["confirmed"].add(h.term)
        e["terms"][h.term] = e["terms"].get(h.term, 0) + 1
        e["tw"][h.term] = max(e["tw"].get(h.term, 0.0), weight)
        e["spans"].append((h.start, h.end))
        e["counted"].append((h, weight))
        word = ("no: " if h.negated else "") + h.text
        if word not in e["why"]:
            e["why"].append(word)
        e["absent" if absent else "present"] += weight
    for code, (ctx_codes, bonus, unless_strong) in CONTEXT_BOOST.items():
        e = per.get(code)
        if not e or (unless_strong and max(e["tw"].values()) >= TIERS["strong"]):
            continue
        mine = [h for h in a.hits if h.code == code and not h.negated and h.tier == "weak"
                or (h.code == code and unless_strong and not h.negated and h.tier == "medium")]
        near = [h for h in a.hits if h.code in ctx_codes and not h.framed and h.tier != "weak"
                and not (h.negated and direction.get(h.code, "more") == "less")]
        confirmed = [m for m in mine if any(abs(m.start - o.start) <= CONTEXT_CHARS and m.term != o.term
                                            for o in near)]
        if confirmed:
            e["tw"]["__context__"] = bonus
            e["terms"]["__context__"] = 1
            for m in confirmed:  # the context confirms the generic word: it counts fully
                if m.term in e["tw"]:
                    e["tw"][m.term] = max(e["tw"][m.term], TIERS[m.tier] * (HEDGE_FACTOR if m.hedged else 1.0))
    out = {}
    for code, e in per.items():
        generic = [t for t in e["terms"] if t not in e["confirmed"] and t != "__context__"
                   and e["tw"][t] <= TIERS["weak"] * GENERIC_FACTOR + 1e-9]
        ev = sum(e["tw"][t] + REPEAT_BONUS * min(n - 1, 2) for t, n in e["terms"].items() if t not in generic)
        ev += min(GENERIC_CAP, sum(e["tw"][t] for t in generic))
        score = 1.0 - math.exp(-SCORE_K * ev)
        # weighted: a weak present word ("street") does not outweigh "no lighting"
        if e["absent"] == 0:
            polarity = "present"
        elif e["present"] <= 0.5 * e["absent"]:
            polarity = "absent"
        else:
            polarity = "mixed"
        if polarity == "absent":
            score *= ABSENT_FACTOR
        passages = _passages(e["counted"], a.sentences)
        out[code] = {"score": score, "spans": sorted(set(e["spans"])), "why": e["why"][:12], "polarity": polarity,
                     "passages": passages}
    return out


_CALIBRATION: Dict[str, object] = {}


def calibration() -> dict:
    """Per-code thresholds and the cap on codes per item, learned on the real set's dev split
    (``nlp/calibrate.py``); defaults when the file is missing."""
    try:
        mtime = CALIBRATION_FILE.stat().st_mtime
    except OSError:
        return {"thresholds": {}, "default": DEFAULT_THRESHOLD, "max_codes": None}
    if _CALIBRATION.get("mtime") != mtime:
        data = json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))
        data.setdefault("thresholds", {})
        data.setdefault("default", DEFAULT_THRESHOLD)
        data.setdefault("max_codes", None)
        _CALIBRATION.clear()
        _CALIBRATION.update(mtime=mtime, data=data)
    return _CALIBRATION["data"]


def cap_for(n_sentences: int, cal: dict) -> Optional[int]:
    """How many codes an item may get: about as many as a person applies (~2 for a short passage),
    a few more for a long item."""
    base = cal.get("max_codes")
    if not base:
        return None
    per = cal.get("extra_code_per_sentences") or 0
    return int(base) + (n_sentences // int(per) if per else 0)


def suggest(items, codebook=None, classifier=None, threshold: Optional[float] = None,
            lexicon_dirs: Iterable[Path] = (), batch_size: int = 256, max_codes: Optional[int] = -1) -> List[dict]:
    """Suggest codes for each item.

    ``items``: strings, ``{"id", "text", "lang"?}`` dicts or ``(id, text)`` pairs. ``classifier``: a
    :class:`nlp.classifier.CodeClassifier`, a path to a saved one, or ``"bundled"`` (the model shipped in
    ``nlp/data/model/``), blended with the lexicon score. ``threshold``: ``None`` uses the calibrated per-code
    thresholds and caps the codes per item by score (``max_codes``: -1 = calibrated cap, None = no cap, or a
    number); a number applies that one threshold to every code and no cap unless ``max_codes`` is given.
    Returns ``[{"id", "lang", "codes": [{"code", "score", "spans", "passage", "passages", "why",
    "model_words", "polarity", "source"}]}]`` sorted by score (descending).
    """
    codebook = load_codebook(codebook)
    classifier = resolve_classifier(classifier)
    analyses = analyze(items, codebook, lexicon_dirs, want_norms=classifier is not None, batch_size=batch_size)
    known = set(codebook.ids)
    cal = calibration()
    thresholds = cal["thresholds"] if threshold is None else {}
    floor = cal["default"] if threshold is None else threshold
    if max_codes == -1:
        max_codes = cal.get("max_codes") if threshold is None else None
    lexes = [{c: v for c, v in lexicon_scores(a, codebook).items() if c in known} for a in analyses]
    probs_all = classifier.predict_batch(analyses, lexes) if classifier is not None else None
    results = []
    for n, a in enumerate(analyses):
        lex = lexes[n]
        combined: Dict[str, dict] = {}
        if probs_all is not None and a.text.strip():
            probs = probs_all[n]
            for code in known:
                p = probs.get(code)
                l = lex.get(code)
                if p is None:
                    if l:
                        combined[code] = dict(l, source="lexicon")
                    continue
                w = classifier.blend_weight(code)
                ls = l["score"] if l else 0.0
                score = (1 - w) * ls + w * p["prob"]
                entry = dict(l) if l else {"spans": [], "why": [], "polarity": "present", "passages": []}
                entry["score"] = score
                entry["model"] = p
                entry["source"] = "both" if l else "classifier"
                combined[code] = entry
        else:
            combined = {c: dict(v, source="lexicon") for c, v in lex.items()}
        codes = []
        for code, v in combined.items():
            if v["score"] < thresholds.get(code, floor):
                continue
            model_words = []
            passages = [list(x) for x in v.get("passages") or []]
            if "model" in v:
                words, spans = classifier.explain(a, code, v["model"])
                model_words = words
                if not passages and spans:  # classifier only: the sentence of its strongest words
                    passages = [list(x) for x in spans]
            codes.append({"code": code, "score": round(min(max(v["score"], 0.0), 1.0), 4),
                          "spans": [list(x) for x in v["spans"]],
                          "passage": passages[0] if passages else None, "passages": passages,
                          "why": v["why"], "model_words": model_words,
                          "polarity": v["polarity"], "source": v["source"]})
        codes.sort(key=lambda c: (-c["score"], c["code"]))
        cap = cap_for(len(a.sentences), dict(cal, max_codes=max_codes)) if max_codes else None
        if cap is not None:
            codes = codes[:cap]
        results.append({"id": a.id, "lang": a.lang, "codes": codes})
    return results


def resolve_classifier(classifier):
    """A classifier object from a path, ``"bundled"`` or an object (``None`` stays ``None``)."""
    if classifier is None or not isinstance(classifier, (str, Path)):
        return classifier
    from .classifier import CodeClassifier, bundled_classifier
    if str(classifier) == "bundled":
        return bundled_classifier()
    return CodeClassifier.load(classifier)


def _readable_feature(feature: str) -> str:
    """Classifier features as a facilitator can read them: concept features name the lexicon they stand for."""
    if feature.startswith("__lexabs_"):
        return f"words about missing {feature[len('__lexabs_'):]}"
    if feature.startswith("__lex_"):
        return f"words about {feature[len('__lex_'):]}"
    return feature
