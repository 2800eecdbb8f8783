"""The codebook and coding: starter codebook, codes and sub-codes, merge and retire, coding passages, memos."""
from __future__ import annotations

import datetime as dt

import pytest

from peer_review.coding import operations as ops
from peer_review.coding.models import Coding, Memo
from peer_review.cycles.models import Cycle
from peer_review.errors import ValidationFailed
from peer_review.evidence.operations import create_item
from peer_review.extensions import db

TEXT = "Since the mural festival, neighbours trust each other more. Still, women avoid the underpass at night."


@pytest.fixture
def setting(make_city, make_user):
    city = make_city("Alpha", slug="alpha")
    cycle = Cycle(name="2026 round", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 1), state="open",
                  cities=[city])
    db.session.add(cycle)
    db.session.commit()
    ops.sync_codebook()
    member = make_user("m@a.example", city=city)
    item = create_item({"city": city, "cycle": cycle, "type": "narrative", "title": "Underpass", "text": TEXT,
                        "language": "en", "consent": "obtained", "visibility": "city"}, actor=member)
    db.session.commit()
    return {"city": city, "cycle": cycle, "item": item, "member": member,
            "facilitator": make_user("f@net.example", roles=["facilitator"], name="Fac One")}


def test_starter_codebook_loads_once_with_three_languages(app):
    assert ops.sync_codebook() == 17
    assert ops.sync_codebook() == 0
    trust = ops.get_code("trust")
    assert trust.direction == "more" and trust.family == "culture"
    assert trust.labels["es"] == "Confianza" and trust.label("fr") and trust.definition("es")
    assert ops.get_code("fear_of_crime").direction == "less"
    assert {c.family for c in ops.all_codes()} == {"process", "culture", "context"}


def test_code_a_passage_by_selection_offsets_words_and_whole_item(client, setting, login):
    item = setting["item"]
    login(client, setting["facilitator"])
    start = TEXT.index("women avoid")
    r = client.post(f"/coding/items/{item.id}/codings",
                    data={"codes": ["fear_of_crime", "gender_equity"], "start": start, "end": start + 32})
    assert r.status_code == 302
    r = client.post(f"/coding/items/{item.id}/codings", data={"codes": ["trust"], "passage": "neighbours trust each other"})
    assert r.status_code == 302
    r = client.post(f"/coding/items/{item.id}/codings", data={"codes": ["optimism_vibrancy"], "scope": "whole"})
    assert r.status_code == 302
    codings = db.session.execute(db.select(Coding).order_by(Coding.id)).scalars().all()
    assert [(c.code.key, c.passage()) for c in codings] == [
        # The selection cut "night": it is snapped to the whole word.
        ("fear_of_crime", "women avoid the underpass at night"), ("gender_equity", "women avoid the underpass at night"),
        ("trust", "neighbours trust each other"), ("optimism_vibrancy", TEXT)]
    page = client.get(f"/evidence/{item.id}").get_data(as_text=True)
    assert '<mark data-codes="trust" title="trust">neighbours trust each other</mark>' in page
    assert 'data-codes="fear_of_crime gender_equity"' in page
    # The text once, as stored for coding; the formatted copy folded away, not shown beneath it.
    assert '<div class="govuk-body pr-evidence-body"' not in page and "See the text formatted" in page


def test_passages_are_snapped_to_whole_words(setting):
    from peer_review.coding.operations import add_codings, snap_to_words
    text = TEXT
    start = text.index("women")
    assert snap_to_words(text, start, start + 4) == (start, start + 5)  # «Wome» -> «Women»
    assert snap_to_words(text, start - 1, start + 5) == (start, start + 5)  # spaces at the edges dropped
    assert snap_to_words(text, start + 2, start + 8) == (start, start + 11)  # «men av» -> «women avoid»
    with pytest.raises(ValidationFailed):
        snap_to_words(text, start - 1, start)
    (coding,) = add_codings(setting["item"], [ops.get_code("gender_equity")], setting["facilitator"], start,
                            start + 4)
    assert coding.passage() == "women"


@pytest.mark.parametrize("data,message", [
    ({"codes": ["trust"], "start": "50", "end": "10"}, b"inside the text"),
    ({"codes": ["trust"], "start": "0", "end": "100000"}, b"inside the text"),
    ({"codes": ["trust"], "passage": "words that are not there"}, b"Select a passage"),
    ({"codes": [], "scope": "whole"}, b"Choose at least one code"),
    ({"codes": ["no_such_code"], "scope": "whole"}, b"Unknown code"),
])
def test_bad_codings_are_refused_with_a_message(client, setting, login, data, message):
    login(client, setting["facilitator"])
    r = client.post(f"/coding/items/{setting['item'].id}/codings", data=data, follow_redirects=True)
    assert message in r.data
    assert db.session.execute(db.select(Coding)).first() is None


def test_withdrawn_consent_cannot_be_coded(client, setting, login):
    item = setting["item"]
    item.consent = "withdrawn"
    db.session.commit()
    login(client, setting["facilitator"])
    assert client.post(f"/coding/items/{item.id}/codings", data={"codes": ["trust"], "scope": "whole"}).status_code == 403


def test_offsets_count_code_points_like_the_browser_does(setting):
    item = setting["item"]
    item.text = "Fiesta 🎉 en la plaza: la gente vuelve a salir."
    db.session.commit()
    start = item.text.index("la gente")
    coding = ops.add_codings(item, [ops.get_code("optimism_vibrancy")], setting["facilitator"], start, start + 8)[0]
    assert coding.passage() == "la gente"


def test_create_sub_code_edit_and_nested_listing(client, setting, login):
    login(client, setting["facilitator"])
    r = client.post("/coding/codes/new", data={"label_en": "Street lighting", "label_es": "Alumbrado público",
                                              "definition_en": "Lighting of streets and paths", "direction": "more",
                                              "family": "process", "parent": "spatial_investment"})
    assert r.status_code == 302
    code = ops.get_code("street_lighting")
    assert code.parent.key == "spatial_investment" and code.labels == {"en": "Street lighting",
                                                                        "es": "Alumbrado público"}
    assert b"Street lighting" in client.get("/coding/codes/").data
    r = client.post("/coding/codes/spatial_investment/edit", data={"label_en": "Spatial investment",
                                                                   "direction": "more", "family": "process",
                                                                   "parent": "street_lighting"})
    assert r.status_code == 400 and b"cannot be placed under itself" in r.data
    r = client.post("/coding/codes/new", data={"key": "trust", "label_en": "Dup", "direction": "more",
                                              "family": "culture"})
    assert r.status_code == 400 and b"already exists" in r.data


def test_merge_moves_codings_and_keeps_them_readable(client, setting, login):
    item = setting["item"]
    ops.add_codings(item, [ops.get_code("elitism")], setting["facilitator"], 0, 5)
    db.session.commit()
    login(client, setting["facilitator"])
    r = client.post("/coding/codes/elitism/merge", data={"target": "technocracy"})
    assert r.status_code == 302
    elitism = ops.get_code("elitism")
    assert elitism.retired and elitism.merged_into.key == "technocracy"
    coding = db.session.execute(db.select(Coding)).scalar_one()
    assert coding.code.key == "technocracy"
    assert b"Merged into" in client.get("/coding/codes/elitism").data
    passages = client.get("/coding/codes/technocracy").get_data(as_text=True)
    assert "Since" in passages and "Underpass" in passages
    assert client.post("/coding/codes/technocracy/merge", data={"target": "technocracy"}).status_code == 302
    assert not ops.get_code("technocracy").retired


def test_retired_code_stays_on_old_codings_but_is_not_offered(client, setting, login):
    item = setting["item"]
    ops.add_codings(item, [ops.get_code("substance_abuse")], setting["facilitator"], 0, 5)
    db.session.commit()
    login(client, setting["facilitator"])
    assert client.post("/coding/codes/substance_abuse/retire", data={"retired": "1"}).status_code == 302
    page = client.get(f"/evidence/{item.id}").get_data(as_text=True)
    assert 'value="substance_abuse"' not in page  # not offered
    assert "Retired" in page and "Substance abuse" in page  # old coding still shown, readable
    with pytest.raises(ValidationFailed):
        ops.add_codings(item, [ops.get_code("substance_abuse")], setting["facilitator"], 5, 9)


def test_memos_on_items_codings_and_codes(client, setting, login):
    item = setting["item"]
    coding = ops.add_codings(item, [ops.get_code("trust")], setting["facilitator"], 0, 5)[0]
    db.session.commit()
    login(client, setting["facilitator"])
    for target, target_id in (("item", item.id), ("coding", coding.id), ("code", ops.get_code("trust").id)):
        assert client.post(f"/coding/memos/{target}/{target_id}", data={"memo": f"memo on {target}"}).status_code == 302
    assert db.session.execute(db.select(db.func.count(Memo.id))).scalar() == 3
    page = client.get(f"/evidence/{item.id}").get_data(as_text=True)
    assert "memo on item" in page and "memo on coding" in page
    assert "memo on code" in client.get("/coding/codes/trust").get_data(as_text=True)
    assert client.post("/coding/memos/elsewhere/1", data={"memo": "x"}).status_code == 404
    login(client, setting["member"])
    assert client.post(f"/coding/memos/item/{item.id}", data={"memo": "x"}).status_code == 403


def test_code_page_filters(client, setting, login, make_city, make_user):
    other = make_user("f2@net.example", roles=["facilitator"], name="Fac Two")
    ops.add_codings(setting["item"], [ops.get_code("trust")], setting["facilitator"], 0, 5)
    ops.add_codings(setting["item"], [ops.get_code("trust")], other, 6, 9)
    db.session.commit()
    login(client, setting["facilitator"])
    page = client.get(f"/coding/codes/trust?coder={other.id}").get_data(as_text=True)
    assert "1 result" in page and "Fac Two" in page
    assert "2 results" in client.get(f"/coding/codes/trust?city={setting['city'].id}&type=narrative").get_data(as_text=True)
    assert "0 results" in client.get("/coding/codes/trust?type=media_excerpt").get_data(as_text=True)
    assert "0 results" in client.get("/coding/codes/trust?group=migrants").get_data(as_text=True)


def test_codebook_and_codings_api(client, setting, api_token):
    headers = api_token(setting["facilitator"])
    codes = client.get("/api/v1/codes", headers=headers).json
    assert len(codes) == 17 and {"key", "labels", "definitions", "direction", "family"} <= set(codes[0])
    r = client.post("/api/v1/codes", json={"labels": {"en": "Night economy"}, "family": "context",
                                           "direction": "less", "parent": "substance_abuse"}, headers=headers)
    assert r.status_code == 201 and r.json["key"] == "night_economy" and r.json["parent"] == "substance_abuse"
    r = client.patch("/api/v1/codes/night_economy", json={"labels": {"en": "Night-time economy", "fr": "Vie nocturne"}},
                     headers=headers)
    assert r.status_code == 200 and r.json["labels"]["fr"] == "Vie nocturne"
    bad = client.post("/api/v1/codes", json={"labels": {"de": "Nein"}}, headers=headers)
    assert bad.status_code == 422
    item = setting["item"]
    r = client.post("/api/v1/codings", json={"item": item.id, "codes": ["trust"], "start": 26, "end": 58},
                    headers=headers)
    assert r.status_code == 201 and r.json[0]["passage"] == TEXT[26:58]
    bad = client.post("/api/v1/codings", json={"item": item.id, "codes": ["trust"], "start": 5, "end": 99999},
                      headers=headers)
    assert bad.status_code == 422
    listing = client.get(f"/api/v1/codings?item={item.id}&code=trust", headers=headers).json
    assert listing["total"] == 1
    coding_id = listing["items"][0]["id"]
    assert client.delete(f"/api/v1/codings/{coding_id}", headers=headers).status_code == 204
    member = api_token(setting["member"])
    assert client.post("/api/v1/codings", json={"item": item.id, "codes": ["trust"]}, headers=member).status_code == 403
