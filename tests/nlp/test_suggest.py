"""Library-level behaviour: language detection, negation and "less of" codes, codebook loading."""
import pytest

import nlp


def codes(text, **kw):
    return {c["code"]: c for c in nlp.suggest([text], **kw)[0]["codes"]}


@pytest.mark.parametrize("text,lang", [
    ("Residents say the new lighting has made the park feel safer.", "en"),
    ("Los vecinos dicen que el nuevo alumbrado hizo que el parque se sienta más seguro.", "es"),
    ("Les habitants disent que le nouvel éclairage rend le parc plus sûr.", "fr"),
    ("¿Dónde están las luminarias?", "es"),
    ("", "en"),
])
def test_detect_language(text, lang):
    assert nlp.detect_language(text) == lang


def test_language_detection_on_eval_set(labelled):
    ok = sum(nlp.detect_language(r["text"]) == r["lang"] for r in labelled)
    assert ok / len(labelled) >= 0.98


def test_codebook_default_has_17_ids():
    cb = nlp.load_codebook()
    assert len(cb.ids) == 17 and "fear_of_crime" in cb
    assert cb.get("fear_of_crime").direction == "less"
    assert all(set(c.labels) >= {"en", "es", "fr"} for c in cb.codes)


@pytest.mark.parametrize("text", [
    "I no longer feel afraid walking home.",
    "Ya no tengo miedo de volver caminando.",
    "Je n'ai plus peur de rentrer à pied.",
    "There are no gangs in this neighbourhood any more.",
])
def test_negated_less_of_code_is_not_suggested(text):
    c = codes(text)
    assert "fear_of_crime" not in c and "organized_crime" not in c


@pytest.mark.parametrize("text", ["There is no lighting on this street.", "No hay alumbrado en esta calle.",
                                  "Il n'y a pas d'éclairage dans cette rue."])
def test_negated_more_of_code_is_flagged_absent(text):
    c = codes(text)
    assert c["spatial_investment"]["polarity"] == "absent"


def test_positive_mentions():
    c = codes("Women feel unsafe at the bus stop; the new street lighting has not been installed yet.")
    assert c["fear_of_crime"]["polarity"] == "present"
    assert "gender_equity" in c


def test_threshold_and_items_forms():
    out = nlp.suggest([("a", "Gangs extort the shopkeepers."), {"id": "b", "text": "Drug use rose."}, "hello"],
                      threshold=0.0)
    assert [o["id"] for o in out] == ["a", "b", 2]
    assert all(all(0 <= c["score"] <= 1 for c in o["codes"]) for o in out)
