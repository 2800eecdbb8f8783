"""Suggestions are passages, not words: one per item and code, spanning the sentence or clause that holds the
triggers (adjacent ones merged); reasons are words a person reads; lemmas and topic labels are words people
recognise."""
from __future__ import annotations

import re

import pytest

import nlp
from nlp.lemmas import lemma_exceptions, raw_lemma


def _codes(text, **kw):
    (result,) = nlp.suggest([{"id": 1, "text": text}], **kw)
    return {c["code"]: c for c in result["codes"]}


def _sentences(text):
    return [(m.start(), m.end()) for m in re.finditer(r"[^.!?;]+[.!?;]", text)]


FEAR_ES = ("El mercado abre a las seis. Las vecinas dicen que de noche tienen miedo de cruzar la plaza. "
           "Una mujer contó que la amenazaban al volver del trabajo. Los domingos hay feria de artesanías.")


def test_one_suggestion_per_code_whose_passage_is_whole_sentences():
    codes = _codes(FEAR_ES)
    fear = codes["fear_of_crime"]
    start, end = fear["passage"]
    bounds = _sentences(FEAR_ES)
    starts = {s for s, _ in bounds} | {s + 1 for s, _ in bounds}  # a sentence starts after the space
    assert start in starts and end in {e for _, e in bounds}, (start, end)
    # Several triggers in adjacent sentences make one passage, not one suggestion per word.
    assert FEAR_ES[start:end] == ("Las vecinas dicen que de noche tienen miedo de cruzar la plaza. "
                                  "Una mujer contó que la amenazaban al volver del trabajo.")
    assert fear["passages"][0] == [start, end]
    # Every trigger span lies inside the passage; the sentences around it are not part of it.
    assert all(start <= a and b <= end for a, b in fear["spans"])
    assert "mercado" not in FEAR_ES[start:end] and "feria" not in FEAR_ES[start:end]


def test_triggers_in_distant_sentences_give_separate_passages_strongest_first():
    text = ("Los vecinos temen salir de noche por la inseguridad. El centro cultural ofrece talleres de música. "
            "La biblioteca abre los sábados. Una madre dice que tiene miedo de que asalten a su hija.")
    fear = _codes(text)["fear_of_crime"]
    assert len(fear["passages"]) == 2
    first, second = (text[a:b] for a, b in fear["passages"])
    assert "temen" in first + second and "miedo" in first + second
    assert "biblioteca" not in first and "biblioteca" not in second
    assert fear["passage"] == fear["passages"][0]


def test_a_semicolon_ends_a_clause_in_audit_findings():
    text = ("Finding 3: the underpass has no lighting and women avoid it after dark; "
            "the bins by the market are emptied every morning.")
    codes = _codes(text)
    assert "fear_of_crime" in codes or "spatial_investment" in codes
    for c in codes.values():
        a, b = c["passage"]
        # each clause's codes keep to their clause: the underpass is not about the bins, nor the other way round
        assert ("bins" in text[a:b]) != ("underpass" in text[a:b] or "women" in text[a:b]), (c["code"], text[a:b])
        if c["code"] in ("fear_of_crime", "spatial_investment"):
            assert "bins" not in text[a:b], (c["code"], text[a:b])


def test_reasons_are_words_from_the_text_never_feature_ids(tmp_path):
    from nlp.engine import resolve_classifier
    clf = resolve_classifier("bundled")
    text = ("Residents say they no longer trust the police after officers ignored repeated reports of "
            "harassment near the bus station, and the neighbourhood committee stopped meeting.")
    codes = _codes(text, classifier=clf)
    assert codes
    for c in codes.values():
        words = list(c["why"]) + list(c.get("model_words") or [])
        assert words, c
        for w in words:
            w = w[4:] if w.startswith("no: ") else w
            assert not w.startswith("__") and "_" not in w, w
            assert w.lower() in text.lower(), (c["code"], w)


@pytest.mark.parametrize("lang,word,lemma", [
    ("es", "mesas", "mesa"), ("es", "para", "para"), ("es", "aguas", "agua"), ("es", "baños", "baño"),
    ("es", "calle", "calle"), ("es", "presupuesto", "presupuesto"), ("es", "sobre", "sobre"),
    ("fr", "marché", "marché"),
])
def test_lemma_exceptions_fix_the_lookup_tables_noun_errors(lang, word, lemma):
    assert raw_lemma(word, lang) == lemma


def test_lemma_exceptions_only_correct_what_the_tables_get_wrong():
    import srsly
    import spacy_lookups_data
    from pathlib import Path
    exceptions = lemma_exceptions()
    assert len(exceptions["es"]) > 50 and len(exceptions["fr"]) > 20
    table = dict(srsly.read_gzip_json(Path(spacy_lookups_data.__file__).parent / "data" / "es_lemma_lookup.json.gz"))
    # The errors the table makes are real (so the exceptions are needed) ...
    assert table["mesas"] == "mesar" and table["para"] == "parir"
    # ... and verbs keep their infinitive: the exceptions never turn a verb form into something else.
    assert raw_lemma("caminaban", "es") == table["caminaban"]
    assert raw_lemma("vivimos", "es") == table["vivimos"]


def test_topic_words_are_shown_as_people_write_them():
    from nlp.engine import analyze
    from nlp.codebook import load_codebook
    from nlp.topics import surface_namer
    docs = ["Las calles del barrio están oscuras y los baños del parque cerrados.",
            "Piden arreglar las calles y abrir los baños públicos.",
            "El presupuesto para las calles no alcanza."]
    analyses = analyze([{"id": i, "text": t, "lang": "es"} for i, t in enumerate(docs)], load_codebook(),
                       want_norms=True)
    shown = surface_namer(analyses)
    assert shown("calle") == "calles"
    assert shown("bano") == "baños"
    assert shown("presupuesto") == "presupuesto"
    for wrong in ("callar", "bañar", "presupuestar"):
        assert wrong not in {shown(n) for a in analyses for n in a.norms}


def test_lemma_lookup_file_is_built_once_and_reads_only_the_words_asked(tmp_path, monkeypatch):
    import os
    from nlp import lemmas
    monkeypatch.setenv("NLP_CACHE_DIR", str(tmp_path))
    lookup = lemmas.LemmaLookup("es")
    assert lookup.path is not None and lookup.path.parent == tmp_path and lookup.path.exists()
    assert lookup.lemmas(["mesas", "caminaban", "zzzz-no-word"]) == {"mesas": "mesa", "caminaban": "caminar"}
    stamp = lookup.path.stat().st_mtime_ns
    again = lemmas.LemmaLookup("es")
    assert again.path == lookup.path and again.path.stat().st_mtime_ns == stamp  # reused, not rebuilt
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
    # A forked child opens its own connection and reads the same lemmas.
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        os.write(write, again.lemmas(["baños"]).get("baños", "?").encode())
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 100).decode() == "baño"


def test_lemma_lookup_falls_back_to_memory_when_the_cache_cannot_be_written(tmp_path, monkeypatch):
    from nlp import lemmas
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    monkeypatch.setenv("NLP_CACHE_DIR", str(blocked / "cache"))
    lookup = lemmas.LemmaLookup("fr")
    assert lookup.path is None
    assert lookup.lemmas(["marché"]) == {"marché": "marché"}


def test_sentence_ranges_are_exactly_spacys_sentencizer_on_every_evaluation_text():
    """The engine reads sentence boundaries from the doc's arrays; they must be the Sentencizer's own."""
    from nlp.evaluate import EVAL_SETS, load_labelled
    from nlp.text import get_nlp, sentence_ranges, split_sentences

    def reference(doc, text):
        doc = split_sentences(doc, text)
        out = []
        for sent in doc.sents:
            words = [t for t in sent if not t.is_space]
            if words:
                out.append((words[0].idx, words[-1].idx + len(words[-1])))
        return out

    texts = [r["text"] for name in ("labelled", "realistic", "real") for r in load_labelled(EVAL_SETS[name])]
    texts += ["Primera línea\n- segunda; tercera\n\n  cuarta!! ¿Quinta?", "“Quoted.” Then (this). And… that",
              "", "   ", "No punctuation at all", "Deux points : puis. Fin\nnouvelle ligne"]
    checked = 0
    for text in texts:
        lang = nlp.detect_language(text) if text.strip() else "en"
        doc = get_nlp(lang)(text)
        assert sentence_ranges(doc, text) == reference(get_nlp(lang)(text), text), text
        checked += 1
    assert checked > 600
