import json

import pytest

import nlp


@pytest.fixture(scope="module")
def corpus(labelled):
    rows = [r for r in labelled if r["lang"] == "en"][:15] + [r for r in labelled if r["lang"] == "es"][:15]
    return [{"id": r["id"], "text": r["text"], "group": "city-" + r["lang"], "date": f"2024-{1 + i % 4:02d}-10"}
            for i, r in enumerate(rows)]


@pytest.fixture(scope="module")
def result(corpus):
    return nlp.discover_topics(corpus, seed=7)


def test_small_corpus_not_all_outliers(result, corpus):
    assert result["n_docs"] == 30
    assert len(result["topics"]) >= 2
    assigned = [d for d in result["documents"] if d["topic"] >= 0]
    assert len(assigned) == 30
    t = result["topics"][0]
    assert {"id", "label", "words", "size", "member_ids", "representative_ids", "codes", "mapped_code"} <= set(t)
    assert sum(t["size"] for t in result["topics"]) == 30
    ids = {d["id"] for d in corpus}
    assert all(set(t["member_ids"]) <= ids and set(t["representative_ids"]) <= set(t["member_ids"])
               for t in result["topics"])


def test_json_able_with_groups_and_time(result):
    json.loads(json.dumps(result))
    assert set(result["per_group"]["counts"]) == {"city-en", "city-es"}
    assert result["over_time"]["by_month"]
    assert result["over_time"]["words"]


def test_accents_kept_in_topic_words(result):
    words = {w for t in result["topics"] for w, _ in t["words"]}
    assert not any(w.startswith("jvenes") for w in words)


def test_deterministic_for_seed(corpus, result):
    again = nlp.discover_topics(corpus, seed=7)
    strip = lambda r: {k: v for k, v in r.items() if k != "params"}
    assert strip(again) == strip(result)


def test_cross_language_related_topics(labelled):
    docs = [{"id": r["id"], "text": r["text"]} for r in labelled]
    res = nlp.discover_topics(docs, seed=1, n_topics=12)
    assert len(res["topics"]) == 12
    # topics are about codes in several languages: each code-mapped topic mixes languages or has a related one
    multi = [t for t in res["topics"] if len(t["languages"]) > 1]
    assert multi or res["related"]


def test_empty_corpus():
    res = nlp.discover_topics(["", "  "])
    assert res["topics"] == [] and [d["topic"] for d in res["documents"]] == [-1, -1]


def test_topics_cli(tmp_path, corpus):
    from nlp_helpers import run_nlp, to_jsonl
    src = tmp_path / "in.jsonl"
    src.write_text(to_jsonl(corpus), encoding="utf-8")
    out = tmp_path / "topics.json"
    proc = run_nlp(["topics", str(src), "--out", str(out), "--seed", "7"])
    assert proc.returncode == 0, proc.stderr.decode()
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["topics"] and len(data["documents"]) == 30
