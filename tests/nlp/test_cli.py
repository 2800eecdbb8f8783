"""The `python -m nlp code` contract, run as a subprocess."""
import json

import pytest

from nlp_helpers import run_nlp, to_jsonl

MIXED = ("The municipality installed new street lighting around the park last year, and the council approved it. "
         "Pero las vecinas dicen que todavía tienen miedo de cruzar el parque de noche por las pandillas.")
BIG = ("Residents said they are afraid to walk home at night because of the gangs. " * 1400)[:100_000]

ITEMS = [
    {"id": "en-1", "text": "Women are afraid to walk through the dark underpass; the streetlights have been broken for months."},
    {"id": 42, "text": "Les commerçants paient un racket à la bande du quartier et le point de deal fonctionne jour et nuit."},
    {"id": "empty", "text": ""},
    {"id": "ws", "text": "   \n\t  "},
    {"id": "mixed", "text": MIXED},
    {"id": "es-given", "lang": "es", "text": "El cabildo aprobó una estrategia de prevención y un presupuesto plurianual."},
    {"id": "big", "text": BIG},
    {"id": "accents", "text": "Políticas públicas: la policía de proximidad recuperó la confianza de los vecinos."},
]


@pytest.fixture(scope="module")
def coded():
    proc = run_nlp(["code"], to_jsonl(ITEMS))
    assert proc.returncode == 0, proc.stderr.decode()
    lines = proc.stdout.decode("utf-8").splitlines()
    return [json.loads(l) for l in lines]


def test_shape_and_ids_preserved(coded):
    assert [r["id"] for r in coded] == [it["id"] for it in ITEMS]
    for r in coded:
        assert set(r) == {"id", "lang", "codes"}
        assert r["lang"] in ("en", "es", "fr")
        scores = [c["score"] for c in r["codes"]]
        assert scores == sorted(scores, reverse=True)
        for c in r["codes"]:
            assert {"code", "score", "spans"} <= set(c)
            assert 0.0 <= c["score"] <= 1.0
            assert c["why"], "every suggestion explains why"
    assert coded[1]["id"] == 42 and isinstance(coded[1]["id"], int)


def test_offsets_slice_to_matched_words(coded):
    texts = {it["id"]: it["text"] for it in ITEMS}
    n = 0
    for r in coded:
        text = texts[r["id"]]
        for c in r["codes"]:
            words = {w.split(": ", 1)[-1].lower() for w in c["why"]}
            for s, e in c["spans"]:
                assert 0 <= s < e <= len(text)
                piece = text[s:e]
                assert piece == piece.strip() and piece
                assert piece.lower() in words, (piece, c["why"])
                n += 1
    assert n > 10


def test_expected_codes(coded):
    by = {r["id"]: {c["code"] for c in r["codes"]} for r in coded}
    assert {"fear_of_crime", "spatial_investment"} <= by["en-1"]
    assert "organized_crime" in by[42]
    assert coded[1]["lang"] == "fr"
    assert {"leadership", "sustainable_funding"} <= by["es-given"]
    assert "trust" in by["accents"]


def test_empty_and_whitespace(coded):
    by = {r["id"]: r for r in coded}
    assert by["empty"]["codes"] == [] and by["ws"]["codes"] == []


def test_mixed_language_item(coded):
    r = next(r for r in coded if r["id"] == "mixed")
    codes = {c["code"]: c for c in r["codes"]}
    # English part and Spanish part are both coded, each with its own language pipeline
    assert "spatial_investment" in codes and "fear_of_crime" in codes and "organized_crime" in codes
    fear_spans = [MIXED[s:e] for s, e in codes["fear_of_crime"]["spans"]]
    assert any("miedo" in p for p in fear_spans)


def test_100kb_text(coded):
    r = next(r for r in coded if r["id"] == "big")
    codes = {c["code"] for c in r["codes"]}
    assert {"fear_of_crime", "organized_crime"} <= codes
    assert all(e <= len(BIG) for c in r["codes"] for s, e in c["spans"])


def test_mixed_languages_across_items():
    rows = [{"id": i, "text": t} for i, t in enumerate([
        "People avoid the park at night.", "La gente evita el parque de noche por miedo.",
        "Les gens évitent le parc la nuit par peur."])]
    proc = run_nlp(["code"], to_jsonl(rows))
    out = [json.loads(l) for l in proc.stdout.decode().splitlines()]
    assert [o["lang"] for o in out] == ["en", "es", "fr"]
    assert all("fear_of_crime" in {c["code"] for c in o["codes"]} for o in out)


@pytest.mark.parametrize("bad,line", [
    ('{"id": 1, "text": "ok"}\n{"id": 2, "text": "broken"\n{"id": 3, "text": "ok"}\n', 2),
    ('{"id": 1, "text": "ok"}\n\n{"id": 2, "text": "ok"}\nnot json at all\n', 4),
    ('{"id": 1, "text": "ok"}\n[1, 2]\n', 2),
    ('{"id": 1, "text": 5}\n', 1),
])
def test_invalid_line_clear_error_no_partial_output(bad, line):
    proc = run_nlp(["code"], bad)
    assert proc.returncode != 0
    assert proc.stdout == b""
    err = proc.stderr.decode()
    assert f"line {line}" in err and "Traceback" not in err


def test_custom_codebook_ids(tmp_path):
    cb = tmp_path / "cb.json"
    cb.write_text(json.dumps({"version": 2, "codes": [
        {"id": "fear_of_crime", "direction": "less"},
        {"id": "night_economy", "direction": "more", "seed_words": {"en": ["nightlife", "late-night shops"]}}]}))
    proc = run_nlp(["code", "--codebook", str(cb)], to_jsonl([
        {"id": "x", "text": "The nightlife is back and late-night shops stay open, though some still feel unsafe."}]))
    assert proc.returncode == 0, proc.stderr.decode()
    codes = {c["code"] for c in json.loads(proc.stdout)["codes"]}
    assert codes == {"fear_of_crime", "night_economy"}


def test_large_batches_on_several_processes_give_the_same_results(monkeypatch, labelled):
    from nlp import parallel
    from nlp.engine import suggest
    items = [{"id": r["id"], "text": r["text"]} for r in labelled[:60]]
    monkeypatch.setattr(parallel, "MIN_ITEMS_PER_WORKER", 20)
    assert parallel.suggest_many(items, classifier="bundled", workers=2) == suggest(items, classifier="bundled")
    assert parallel.suggest_many(items[:5], workers=2) == suggest(items[:5])  # too few: this process
