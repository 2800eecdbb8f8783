"""Per-code multilingual lexicons (data files in nlp/data/lexicons/<code>.yaml) compiled to spaCy matchers.

Lexicon file format::

    code: fear_of_crime
    en:
      strong: [afraid, feel unsafe, ...]   # weight 1.0: one mention suggests the code
      medium: [dangerous, ...]             # weight 0.7: one mention is usually enough
      weak:   [night, ...]                 # weight 0.3: needs other evidence
      absent: [...]                        # terms that denote a LACK of a "more of" thing (weight 0.7)
      exclude: [...]                       # other senses that contain a term ("tick-box", "juegos infantiles"):
                                           # weight 0, they block overlapping matches of this code
    es: {...}
    fr: {...}

Terms are lemmatised with the same pipeline as the text and matched on ``token.norm_`` (lower-case,
accent-free lemma), so inflections and accent-less spellings match. ``...`` inside a term allows a gap
of up to three words ("feel ... unsafe").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

from spacy.attrs import NORM
from spacy.matcher import Matcher, PhraseMatcher

from .codebook import DATA_DIR, Codebook, load_yaml
from .text import LANGS, get_nlp

LEXICON_DIR = DATA_DIR / "lexicons"
TIERS = {"strong": 1.0, "medium": 0.7, "weak": 0.3, "absent": 0.7, "exclude": 0.0}
# order in which overlapping matches of one code are preferred at equal length ("exclude" always wins)
_TIER_RANK = {"exclude": -3.0, "absent": -1.5, "strong": -1.0, "medium": -0.7, "weak": -0.3}
SEED_TIER = "medium"  # codebook seed words are used as medium terms for codes without a lexicon file


@dataclass
class Lexicon:
    code: str
    terms: Dict[str, Dict[str, List[str]]] = field(default_factory=dict)  # lang -> tier -> terms
    source: Optional[str] = None

    def n_terms(self) -> int:
        return sum(len(v) for tiers in self.terms.values() for v in tiers.values())


def read_lexicon(path: Path) -> Lexicon:
    data = load_yaml(Path(path).read_text(encoding="utf-8")) or {}
    code = str(data.get("code") or Path(path).stem)
    terms: Dict[str, Dict[str, List[str]]] = {}
    for lang in LANGS:
        tiers = data.get(lang) or {}
        if not isinstance(tiers, dict):
            raise ValueError(f"{path}: '{lang}' must map tiers (strong/medium/weak/absent) to lists")
        for tier, words in tiers.items():
            if tier not in TIERS:
                raise ValueError(f"{path}: unknown tier {tier!r} (use {', '.join(TIERS)})")
            terms.setdefault(lang, {})[tier] = [str(w).strip() for w in (words or []) if str(w).strip()]
    return Lexicon(code=code, terms=terms, source=str(path))


def load_lexicons(codebook: Codebook, extra_dirs: Iterable[Path] = ()) -> Dict[str, Lexicon]:
    """Lexicons for the codebook's codes: bundled files, then files in ``extra_dirs`` (added to / override),
    then the codebook's seed words for codes that still have no terms."""
    found: Dict[str, Lexicon] = {}
    for d in [LEXICON_DIR, *[Path(x) for x in extra_dirs]]:
        if not d.is_dir():
            continue
        for f in sorted(d.glob("*.yaml")):
            lex = read_lexicon(f)
            if lex.code in found:  # merge: later directories add terms
                for lang, tiers in lex.terms.items():
                    for tier, words in tiers.items():
                        found[lex.code].terms.setdefault(lang, {}).setdefault(tier, []).extend(words)
            else:
                found[lex.code] = lex
    out: Dict[str, Lexicon] = {}
    for code in codebook.codes:
        lex = found.get(code.id)
        if lex is None or lex.n_terms() == 0:
            lex = Lexicon(code=code.id, terms={l: {SEED_TIER: list(ws)} for l, ws in code.seed_words.items()
                                               if l in LANGS}, source="codebook seed words")
        out[code.id] = lex
    return out


ALWAYS = -1


@dataclass
class CompiledLang:
    phrase: PhraseMatcher
    gap: Matcher
    # match label -> (code, tier)
    labels: Dict[int, Tuple[str, str]]
    # the norms (string ids) that begin a gapped term: a doc with none of them needs no gap matching
    gap_first: frozenset = frozenset()


class CompiledLexicons:
    """spaCy PhraseMatcher (attr NORM) + Matcher (gapped terms) per language."""

    def __init__(self, lexicons: Dict[str, Lexicon]):
        self.lexicons = lexicons
        self.langs: Dict[str, CompiledLang] = {}  # compiled on first need per language

    def lang(self, lang: str) -> CompiledLang:
        if lang not in LANGS:
            lang = "en"
        compiled = self.langs.get(lang)
        if compiled is None:
            compiled = self.langs[lang] = self._compile(lang)
        return compiled

    def _compile(self, lang: str) -> CompiledLang:
        nlp = get_nlp(lang)
        phrase = PhraseMatcher(nlp.vocab, attr="NORM")
        gap = Matcher(nlp.vocab)
        labels: Dict[int, Tuple[str, str]] = {}
        gap_first = set()
        for code, lex in self.lexicons.items():
            for tier, words in lex.terms.get(lang, {}).items():
                key = f"{code}|{tier}"
                kid = nlp.vocab.strings.add(key)
                labels[kid] = (code, tier)
                plain = [w for w in words if "..." not in w]
                gapped = [w for w in words if "..." in w]
                if plain:
                    docs = list(nlp.pipe(plain))
                    phrase.add(key, [d for d in docs if len(d)])
                for w in gapped:
                    pattern = []
                    for part in [p.strip() for p in w.split("...")]:
                        if pattern:
                            pattern.append({"OP": "{0,3}"})
                        pattern.extend({"NORM": t.norm_} for t in nlp(part))
                    if pattern and "NORM" in pattern[0]:
                        gap_first.add(nlp.vocab.strings.add(pattern[0]["NORM"]))
                    else:  # a term starting with a gap: match every doc
                        gap_first.add(ALWAYS)
                    gap.add(key, [pattern])
        return CompiledLang(phrase=phrase, gap=gap, labels=labels, gap_first=frozenset(gap_first))

    def matches(self, doc, lang: str) -> List[Tuple[str, str, int, int]]:
        """(code, tier, start_token, end_token), longest match kept among overlaps of the same code."""
        cl = self.lang(lang)
        raw = [(cl.labels[m], s, e) for m, s, e in cl.phrase(doc)]
        if len(cl.gap) and (ALWAYS in cl.gap_first or not cl.gap_first.isdisjoint(doc.to_array(NORM).tolist())):
            raw += [(cl.labels[m], s, e) for m, s, e in cl.gap(doc)]
        by_code: Dict[str, List[Tuple[str, int, int]]] = {}
        for (code, tier), s, e in raw:
            by_code.setdefault(code, []).append((tier, s, e))
        out = []
        for code, ms in by_code.items():
            # prefer longer spans, then stronger tiers; drop overlapping shorter ones
            # an "exclude" match blocks every overlapping match of the code, even a longer one
            ms.sort(key=lambda x: (x[0] != "exclude", -(x[2] - x[1]), _TIER_RANK.get(x[0], 0.0), x[1]))
            taken: List[Tuple[int, int]] = []
            for tier, s, e in ms:
                if any(s < te and ts < e for ts, te in taken):
                    continue
                taken.append((s, e))
                if tier != "exclude":
                    out.append((code, tier, s, e))
        out.sort(key=lambda x: (x[2], x[0]))
        return out


_CACHE: Dict[Tuple, CompiledLexicons] = {}


def get_compiled(codebook: Codebook, extra_dirs: Iterable[Path] = ()) -> CompiledLexicons:
    extra = tuple(str(Path(d).resolve()) for d in extra_dirs)
    mtimes = tuple(sorted((f.name, f.stat().st_mtime) for f in LEXICON_DIR.glob("*.yaml")))
    key = (tuple((c.id, tuple(sorted((l, tuple(w)) for l, w in c.seed_words.items()))) for c in codebook.codes),
           extra, mtimes)
    comp = _CACHE.get(key)
    if comp is None:
        comp = CompiledLexicons(load_lexicons(codebook, extra))
        if len(_CACHE) > 8:
            _CACHE.clear()
        _CACHE[key] = comp
    return comp
