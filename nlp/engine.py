"""Lexicon analysis of items and code suggestions (lexicon score, optionally blended with a classifier)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

from .codebook import Codebook, load_codebook
from .lexicon import TIERS, get_compiled
from .text import LANGS, language_scores, segment_languages, get_nlp, strip_accents, all_stop_words

DEFAULT_THRESHOLD = 0.5
SCORE_K = 1.1            # score = 1 - exp(-K * evidence)
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


@dataclass
class Analysis:
    id: object
    text: str
    lang: str
    hits: List[Hit] = field(default_factory=list)
    norms: List[str] = field(default_factory=list)   # content lemmas (accent-free), for classifier/topics


def _is_negated(doc, start: int, lang: str) -> bool:
    cues = NEGATION_CUES.get(lang, NEGATION_CUES["en"])
    i = start - 1
    steps = 0
    while i >= 0 and steps < NEG_WINDOW:
        t = doc[i]
        if t.is_punct:
            return False
        low = strip_accents(t.lower_)
        if low in SCOPE_BREAKS:
            return False
        if low in cues:
            return True
        i -= 1
        steps += 1
    return False


def _framed(doc, start: int, end: int, lang: str) -> bool:
    cues = FRAME_BEFORE.get(lang, FRAME_BEFORE["en"])
    i, steps = start - 1, 0
    while i >= 0 and steps < NEG_WINDOW:
        t = doc[i]
        if t.is_punct:
            break
        low = strip_accents(t.lower_)
        if low in cues or t.norm_ in cues:
            return True
        if low in SCOPE_BREAKS:
            break
        i -= 1
        steps += 1
    if end < len(doc):
        t = doc[end]
        if strip_accents(t.lower_) in FRAME_AFTER or t.norm_ in FRAME_AFTER:
            return True
    return False


def _negated_hit(doc, start: int, lang: str) -> bool:
    # a term that begins with its own negation ("no toilets", "sin consulta") is complete as written
    if strip_accents(doc[start].lower_) in NEGATION_CUES.get(lang, NEGATION_CUES["en"]):
        return False
    return _is_negated(doc, start, lang)


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
    for lang, lst in jobs.items():
        if not lst:
            continue
        nlp = get_nlp(lang)
        for (idx, off, _), doc in zip(lst, nlp.pipe((t for _, _, t in lst), batch_size=batch_size)):
            a = analyses[idx]
            for code, tier, s, e in comp.matches(doc, lang):
                span = doc[s:e]
                a.hits.append(Hit(code=code, tier=tier, start=off + span.start_char, end=off + span.end_char,
                                  text=span.text, term=" ".join(t.norm_ for t in span),
                                  negated=_negated_hit(doc, s, lang), lang=lang,
                                  framed=code in FRAME_CODES and _framed(doc, s, e, lang)))
            if want_norms:
                a.norms.extend(t.norm_ for t in doc
                               if t.is_alpha and len(t.norm_) > 1 and t.norm_ not in stops)
    return analyses


def lexicon_scores(a: Analysis, codebook: Codebook) -> Dict[str, dict]:
    """Per code: score (0..1), spans, why, polarity, from an item's lexicon hits."""
    direction = {c.id: c.direction for c in codebook.codes}
    # spans of "less of" evidence (e.g. elitism's "without consultation"): a "more of" word inside one of them
    # ("consultation") is explained by that code and is not evidence of inclusion, present or absent
    harm_spans = [(h.start, h.end) for h in a.hits
                  if direction.get(h.code, "more") == "less" and not h.negated and h.tier != "weak"]
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
        e = per.setdefault(h.code, {"terms": {}, "spans": [], "why": [], "present": 0, "absent": 0})
        e["terms"][h.term] = e["terms"].get(h.term, 0) + 1
        e["tw"] = e.get("tw", {})
        e["tw"][h.term] = max(e["tw"].get(h.term, 0.0), TIERS[h.tier])
        e["spans"].append((h.start, h.end))
        word = ("no: " if h.negated else "") + h.text
        if word not in e["why"]:
            e["why"].append(word)
        e["absent" if absent else "present"] += TIERS[h.tier]
    for code, (ctx_codes, bonus, unless_strong) in CONTEXT_BOOST.items():
        e = per.get(code)
        if not e or (unless_strong and max(e["tw"].values()) >= TIERS["strong"]):
            continue
        mine = [h for h in a.hits if h.code == code and not h.negated and h.tier == "weak"
                or (h.code == code and unless_strong and not h.negated and h.tier == "medium")]
        near = [h for h in a.hits if h.code in ctx_codes and not h.framed and h.tier != "weak"
                and not (h.negated and direction.get(h.code, "more") == "less")]
        if any(abs(m.start - o.start) <= CONTEXT_CHARS and m.term != o.term for m in mine for o in near):
            e["tw"]["__context__"] = bonus
            e["terms"]["__context__"] = 1
    out = {}
    for code, e in per.items():
        ev = sum(e["tw"][t] + REPEAT_BONUS * min(n - 1, 2) for t, n in e["terms"].items())
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
        out[code] = {"score": score, "spans": sorted(set(e["spans"])), "why": e["why"][:12], "polarity": polarity}
    return out


def suggest(items, codebook=None, classifier=None, threshold: float = DEFAULT_THRESHOLD,
            lexicon_dirs: Iterable[Path] = (), batch_size: int = 256) -> List[dict]:
    """Suggest codes for each item.

    ``items``: strings, ``{"id", "text", "lang"?}`` dicts or ``(id, text)`` pairs. ``classifier``: a
    :class:`nlp.classifier.CodeClassifier` (or a path to a saved one) blended with the lexicon score.
    Returns ``[{"id", "lang", "codes": [{"code", "score", "spans", "why", "polarity", "source"}]}]`` with
    codes above ``threshold`` sorted by score (descending).
    """
    codebook = load_codebook(codebook)
    if isinstance(classifier, (str, Path)):
        from .classifier import CodeClassifier
        classifier = CodeClassifier.load(classifier)
    analyses = analyze(items, codebook, lexicon_dirs, want_norms=classifier is not None, batch_size=batch_size)
    known = set(codebook.ids)
    results = []
    for a in analyses:
        lex = {c: v for c, v in lexicon_scores(a, codebook).items() if c in known}
        combined: Dict[str, dict] = {}
        if classifier is not None and a.text.strip():
            probs = classifier.predict_analysis(a, codebook)
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
                entry = dict(l) if l else {"spans": [], "why": [], "polarity": "present"}
                entry["score"] = score
                entry["why"] = list(entry["why"]) + [f"model: {_readable_feature(f)}" for f in p["features"]]
                entry["source"] = "both" if l else "classifier"
                combined[code] = entry
        else:
            combined = {c: dict(v, source="lexicon") for c, v in lex.items()}
        codes = []
        for code, v in combined.items():
            if v["score"] >= threshold:
                codes.append({"code": code, "score": round(min(max(v["score"], 0.0), 1.0), 4),
                              "spans": [list(s) for s in v["spans"]], "why": v["why"],
                              "polarity": v["polarity"], "source": v["source"]})
        codes.sort(key=lambda c: (-c["score"], c["code"]))
        results.append({"id": a.id, "lang": a.lang, "codes": codes})
    return results


def _readable_feature(feature: str) -> str:
    """Classifier features as a facilitator can read them: concept features name the lexicon they stand for."""
    if feature.startswith("__lexabs_"):
        return f"words about missing {feature[len('__lexabs_'):]}"
    if feature.startswith("__lex_"):
        return f"words about {feature[len('__lex_'):]}"
    return feature
