"""Suggestions, training and topic discovery never touch the network."""
import socket

import pytest


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("network access attempted")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield


def test_no_network_during_suggest_train_and_topics(no_network, labelled):
    import nlp
    from nlp import text as text_mod
    text_mod.get_nlp.cache_clear()  # rebuild the spaCy pipelines with the network blocked
    out = nlp.suggest([r["text"] for r in labelled[:40]])
    assert any(o["codes"] for o in out)
    clf = nlp.train_classifier([{"text": r["text"], "codes": r["codes"]} for r in labelled[:120]])
    assert nlp.suggest(["Gangs extort shopkeepers."], classifier=clf)[0]["codes"]
    res = nlp.discover_topics([{"id": r["id"], "text": r["text"]} for r in labelled[:40]], seed=3)
    assert res["topics"]
