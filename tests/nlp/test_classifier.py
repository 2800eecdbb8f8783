"""The learned classifier improves suggestions once the network has accepted codings."""
import json

import nlp
from nlp.evaluate import evaluate


def test_training_improves_f1_on_held_out(labelled, tmp_path):
    train = [r for r in labelled if r["split"] == "dev"]
    test = [r for r in labelled if r["split"] == "test"]
    # The network adds a local code the lexicons know nothing about and codes it consistently.
    cb = nlp.load_codebook().to_dict()
    cb["codes"].append({"id": "night_time", "direction": "more", "seed_words": {"en": ["curfew hours"]}})
    night = lambda t: any(w in t.lower() for w in ("night", "noche", "nuit", "dark", "oscur", "sombre", "soir"))
    relabel = lambda rows: [dict(r, codes=r["codes"] + (["night_time"] if night(r["text"]) else [])) for r in rows]
    train, test = relabel(train), relabel(test)
    before = evaluate(test, codebook=cb)
    clf = nlp.train_classifier([{"id": r["id"], "text": r["text"], "codes": r["codes"]} for r in train], codebook=cb)
    path = clf.save(tmp_path / "instance" / "classifier.json")
    clf2 = nlp.load_classifier(path)
    after = evaluate(test, codebook=cb, classifier=clf2)
    assert after["micro"]["f1"] > before["micro"]["f1"] + 0.02
    assert after["per_code"]["night_time"]["f1"] > before["per_code"]["night_time"]["f1"]
    # the starter codes do not get worse on held-out data
    codes17 = [c for c in before["per_code"] if c != "night_time"]
    f1 = lambda res: sum(res["per_code"][c]["f1"] for c in codes17) / len(codes17)
    assert f1(after) >= f1(before) - 0.01
    # the model file is plain JSON and suggestions explain the model with the item's own words, never ids
    json.loads(path.read_text())
    text = test[0]["text"]
    out = nlp.suggest([text], codebook=cb, classifier=clf2, threshold=0.0)[0]["codes"]
    words = [w for c in out for w in c["model_words"]]
    assert words
    assert all(not w.startswith(("__", "model:")) and "_" not in w for w in words)
    assert all(part in text.lower() for w in words for part in w.split())


def test_training_from_one_row_per_coding():
    rows = [{"id": i, "text": f"The gang extorts shop {i}", "code": "organized_crime"} for i in range(6)]
    rows += [{"id": 100 + i, "text": f"The mural festival {i} filled the square", "code": "cultural_participation"}
             for i in range(6)]
    clf = nlp.train_classifier(rows, min_examples=5)
    assert set(clf.codes) == {"organized_crime", "cultural_participation"}
