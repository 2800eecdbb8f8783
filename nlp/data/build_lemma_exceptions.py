"""Build nlp/data/lemma_exceptions.yaml: corrections to the Spanish and French lookup lemmatiser's noun errors.

The lookup tables of spacy-lookups-data are context-free, and for words that are both a noun and a verb form they
give the verb: "mesas" -> "mesar", "partes" -> "partir", "aguas" -> "aguar", "calle" -> "callar",
"presupuesto" -> "presupuestar", and even function words: "para" -> "parir", "sobre" -> "sobrar". Evidence text is
about places and things, so the noun is what a facilitator expects to read (and what a topic is about).

Candidates come from the vocabulary of the evaluation sets (the real set's dev split only) and the demo evidence:
  * a word right after a determiner ("las mesas", "le marché") whose table lemma is a verb infinitive is a noun:
    it maps to its singular (plural determiner: drop -s / -es), and the singular maps to itself;
  * a stop word whose table lemma is not a stop word ("para" -> "parir", "uno" -> "unir") maps to itself.
Participles ("los detenidos", "les blessés") are left alone: the verb is a fine lemma for them. ``MANUAL`` holds
reviewed additions and removals. Run: .venv/bin/python nlp/data/build_lemma_exceptions.py
"""
from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

OUT = HERE / "lemma_exceptions.yaml"

DETERMINERS = {
    "es": {"singular": {"el", "la", "un", "una", "del", "al", "su", "mi", "tu", "nuestra", "nuestro", "esta", "este",
                        "esa", "ese", "cada", "otra", "otro", "aquella", "aquel", "cualquier", "ninguna", "ningún"},
           "plural": {"los", "las", "unos", "unas", "sus", "mis", "nuestras", "nuestros", "estas", "estos", "esas",
                      "esos", "otras", "otros", "algunas", "algunos", "muchas", "muchos", "varias", "varios",
                      "pocas", "pocos", "todas", "todos"}},
    "fr": {"singular": {"le", "la", "l'", "l’", "un", "une", "du", "au", "son", "sa", "mon", "ma", "notre", "votre",
                        "leur", "ce", "cet", "cette", "chaque"},
           "plural": {"les", "des", "aux", "ses", "mes", "nos", "vos", "leurs", "ces", "plusieurs", "quelques"}},
}
CLITICS = {"es": {"la", "las", "los", "lo", "le", "les"}, "fr": {"le", "la", "l'", "l’", "les"}}
VERB_ENDINGS = {"es": ("ar", "er", "ir", "ír"), "fr": ("er", "ir", "re", "oir")}
PARTICIPLE = {"es": re.compile(r"(ad|id)[oa]s?$"), "fr": re.compile(r"(é|ée|és|ées)$")}
# Conjugated verb endings: "los/las/la/le" are also object pronouns ("las acosan", "la consultaron", "le connais"),
# so a word with one of these endings after them is a verb and keeps its verb lemma.
CONJUGATED = {"es": re.compile(r"(an|en|aron|ieron|ó|aba|aban|ía|ían|amos|emos|imos|ara|iera|era|ando|iendo|á|án"
                               r"|e[ns]?|a|as)$"),
              "fr": re.compile(r"(ons|ez|ent|ait|aient|ais|ai|era|èrent|it|is|e|es)$")}
NOUNISH = {"es": re.compile(r"(ción|ciones|dad|dades|aje|ajes|miento|mientos|ura|uras|ería|erías)$"),
           "fr": re.compile(r"(tion|tions|age|ages|ment|ments|ure|ures|ière|ières|ée|ées|ité|ités)$")}
VOWELS = set("aeiouáéíóú")

# Reviewed by hand: the errors named in issue 18 (kept even if the vocabulary changes) and removals.
MANUAL = {
    "es": {"mesa": "mesa", "mesas": "mesa", "parte": "parte", "partes": "parte", "agua": "agua", "aguas": "agua",
           "baño": "baño", "baños": "baño", "calle": "calle", "calles": "calle", "presupuesto": "presupuesto",
           "presupuestos": "presupuesto", "casa": "casa", "casas": "casa", "para": "para", "sobre": "sobre",
           "entre": "entre", "como": "como", "bajo": "bajo", "uno": "uno", "dos": "dos", "plaza": "plaza",
           "plazas": "plaza", "cuenta": "cuenta", "cuentas": "cuenta", "paso": "paso", "pasos": "paso",
           "camino": "camino", "caminos": "camino", "barrio": "barrio", "luz": "luz", "luces": "luz",
           "vecina": "vecina", "vecinas": "vecina", "niña": "niña", "niñas": "niña", "mujeres": "mujer",
           "junta": "junta", "juntas": "junta", "seguro": "seguro", "segura": "segura", "centro": "centro",
           "centros": "centro", "mercado": "mercado", "mercados": "mercado", "parque": "parque", "parques": "parque"},
    "fr": {"marchés": "marché", "marché": "marché", "toilettes": "toilettes"},
}
DROP = {"es": {"detuvo", "evitan", "estaciones"},
        "fr": {"connaît", "font", "peut", "vont", "lui", "proposent", "saluent", "reçu", "reçus", "vu"}}


def raw_table(lang: str) -> dict:
    import srsly
    import spacy_lookups_data
    return srsly.read_gzip_json(Path(spacy_lookups_data.__file__).parent / "data" / f"{lang}_lemma_lookup.json.gz")


def texts(lang: str):
    eval_dir = HERE / "eval"
    for name in ("labelled.jsonl", "realistic.jsonl", "real.jsonl"):
        path = eval_dir / name
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                # the real set's held-out test passages are never read for tuning, not even for vocabulary
                if row.get("lang") == lang and not (name == "real.jsonl" and row.get("split") != "dev"):
                    yield row["text"]
    for path in sorted((ROOT / "peer_review" / "demo" / "evidence").glob("*.json")):
        for item in json.loads(path.read_text(encoding="utf-8")):
            if item.get("language") == lang:
                yield item.get("text") or ""


def first(lemma):
    if isinstance(lemma, (list, tuple)):
        return lemma[0] if lemma else None
    return lemma


def singular(word: str, lang: str, table: dict) -> str:
    if not word.endswith("s"):
        return word
    if lang == "es" and word.endswith("es") and word[-3:-2] not in VOWELS:
        stem = word[:-2]
        if stem.endswith("c"):  # luces -> luz
            stem = stem[:-1] + "z"
        return stem
    return word[:-1]


def build() -> dict:
    import spacy
    out = {}
    for lang in ("es", "fr"):
        table = raw_table(lang)
        nlp = spacy.blank(lang)
        stops = {w.lower() for w in nlp.Defaults.stop_words}
        found: dict = {}
        seen = Counter()
        for doc in nlp.pipe(texts(lang)):
            toks = [t.text.lower() for t in doc]
            for i, w in enumerate(toks):
                seen[w] += 1
                lem = first(table.get(w))
                if not lem or lem == w or not w.isalpha():
                    continue
                if w in stops:
                    # "para" -> "parir", "uno" -> "unir": a function word is its own lemma; conjugated stop
                    # words ("están", "somos") keep theirs
                    if lem not in stops and not CONJUGATED[lang].search(w) and not w.endswith(("mos", "ron")):
                        found[w] = w
                    continue
                prev = toks[i - 1] if i else ""
                number = ("plural" if prev in DETERMINERS[lang]["plural"] else
                          "singular" if prev in DETERMINERS[lang]["singular"] else None)
                if number is None or not lem.endswith(VERB_ENDINGS[lang]) or PARTICIPLE[lang].search(w):
                    continue
                if (prev in CLITICS[lang] and CONJUGATED[lang].search(w) and not NOUNISH[lang].search(w)
                        and w not in MANUAL.get(lang, {})):
                    continue  # "las acosan": a pronoun and a verb
                noun = singular(w, lang, table) if number == "plural" else w
                if len(noun) < 3:
                    continue
                found[w] = noun
                if first(table.get(noun)) not in (None, noun):
                    found[noun] = noun
        for w in DROP[lang]:
            found.pop(w, None)
        found.update(MANUAL.get(lang, {}))
        out[lang] = dict(sorted(found.items()))
    return out


def write(data: dict) -> None:
    lines = ["# Generated by nlp/data/build_lemma_exceptions.py (edit MANUAL there, then run it again).",
             "# word (lower case) -> lemma; applied on top of spacy-lookups-data's lookup tables."]
    for lang, table in data.items():
        lines.append(f"{lang}:")
        lines.extend(f"  {json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}"
                     for k, v in table.items())
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    data = build()
    write(data)
    print(f"{OUT}: " + ", ".join(f"{lang} {len(t)}" for lang, t in data.items()))
