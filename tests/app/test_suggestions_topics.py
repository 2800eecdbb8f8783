"""The NLP layer in the app: jobs with progress, suggestions to accept/reject/adjust, bulk accept, topics."""
from __future__ import annotations

import datetime as dt

import pytest

from peer_review.coding import operations as ops
from peer_review.coding import suggestions as sg
from peer_review.coding.models import Coding
from peer_review.coding.nlp_models import Suggestion, Topic, TopicRun
from peer_review.cycles.models import Cycle
from peer_review.evidence.operations import create_item
from peer_review.extensions import db
from peer_review.jobs.models import Job
from peer_review.jobs.worker import HANDLERS, enqueue, run_pending

TEXTS = [
    ("en", "Women feel unsafe at the bus stop at night because there is no lighting."),
    ("en", "The mural festival brought neighbours together; young people painted the walls with pride."),
    ("es", "Las mujeres tienen miedo de caminar solas por el parque de noche; falta alumbrado público."),
    ("es", "El festival de música del barrio llenó la plaza de alegría y orgullo."),
    ("fr", "Les habitants ont peur de traverser le passage souterrain la nuit, sans éclairage."),
    ("en", "Gangs extort small shops and the police are not trusted by residents."),
    ("es", "La mesa de trabajo entre la alcaldía, la policía y las ONG coordinó las acciones de prevención."),
    ("en", "The council cut the budget for youth workers and the prevention programme closed."),
    ("fr", "Le festival de quartier a réuni les familles autour de la musique et du sport."),
    ("en", "Public toilets in the market are locked at night, so women avoid the area."),
    ("es", "Los jóvenes del barrio sienten orgullo de su equipo de fútbol y de la escuela de música."),
    ("en", "Drug dealing near the school worries parents; alcohol sales continue late at night."),
]


@pytest.fixture
def setting(make_city, make_user):
    city = make_city("Alpha", slug="alpha")
    cycle = Cycle(name="2026 round", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 1), state="open",
                  cities=[city])
    db.session.add(cycle)
    db.session.commit()
    ops.sync_codebook()
    items = [create_item({"city": city, "cycle": cycle, "type": "narrative", "title": f"Item {i}", "text": text,
                          "language": lang, "consent": "obtained", "visibility": "city",
                          "date": dt.date(2026, 1 + i % 6, 10)}) for i, (lang, text) in enumerate(TEXTS)]
    db.session.commit()
    return {"city": city, "cycle": cycle, "items": items,
            "facilitator": make_user("f@net.example", roles=["facilitator"])}


def test_suggestion_job_runs_in_the_background_with_progress(client, setting, login):
    login(client, setting["facilitator"])
    cycle = setting["cycle"]
    r = client.post(f"/coding/cycles/{cycle.id}/suggest", data={"scope": "uncoded"})
    assert r.status_code == 302
    job = db.session.execute(db.select(Job)).scalar_one()
    assert job.state == "queued"  # the request only queued it
    page = client.get(f"/coding/jobs/{job.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'hx-trigger="every 2s"' in page and "<progress" in page
    assert run_pending() == 1
    db.session.refresh(job)
    assert job.state == "done" and job.progress == 100 and job.result["items"] == len(TEXTS)
    assert job.result["suggestions"] > 0
    page = client.get(f"/coding/jobs/{job.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "hx-trigger" not in page and "Review suggestions" in page
    keys = {s.code.key for s in db.session.execute(db.select(Suggestion)).scalars()}
    assert {"fear_of_crime", "cultural_participation"} <= keys
    for s in db.session.execute(db.select(Suggestion)).scalars():
        if s.start_offset is not None:
            assert 0 <= s.start_offset < s.end_offset <= len(s.item.text) and s.why


def test_a_failing_job_is_marked_failed_and_keeps_earlier_results(app, setting, monkeypatch):
    def explode(job, report):
        report(40, "half way")
        raise RuntimeError("model file damaged")
    monkeypatch.setitem(HANDLERS, "explode", explode)
    job = enqueue("explode", cycle=setting["cycle"])
    good = enqueue("suggest", cycle=setting["cycle"], params={"only_uncoded": True})
    db.session.commit()
    assert run_pending() == 2
    db.session.refresh(job)
    db.session.refresh(good)
    assert job.state == "failed" and "model file damaged" in job.message and job.progress == 40
    assert good.state == "done"  # the next job still ran


def test_topic_job_needs_enough_items(setting):
    for item in setting["items"][3:]:
        item.consent = "withdrawn"
    db.session.commit()
    job = enqueue("topics", cycle=setting["cycle"])
    db.session.commit()
    run_pending()
    db.session.refresh(job)
    assert job.state == "failed" and "at least" in job.message


def _suggest(setting):
    enqueue("suggest", cycle=setting["cycle"], params={"only_uncoded": False})
    db.session.commit()
    run_pending()


def test_accept_adjust_and_reject_on_the_item_page(client, setting, login):
    _suggest(setting)
    login(client, setting["facilitator"])
    item = setting["items"][0]
    page = client.get(f"/evidence/{item.id}").get_data(as_text=True)
    assert "Suggested codes" in page and 'class="pr-mark--suggested"' in page
    pending = sg.pending_for(item)
    fear = next(s for s in pending if s.code.key == "fear_of_crime")
    start = item.text.index("feel unsafe")
    r = client.post(f"/coding/suggestions/{fear.id}/accept", data={"start": start, "end": start + 11})
    assert r.status_code == 302
    coding = db.session.execute(db.select(Coding)).scalar_one()
    assert coding.code.key == "fear_of_crime" and coding.passage() == "feel unsafe" and coding.origin == "suggestion"
    assert coding.coder_id == setting["facilitator"].id
    other = next(s for s in sg.pending_for(item) if s.id != fear.id)
    other_key, other_span = other.code.key, (other.start_offset, other.end_offset)
    assert client.post(f"/coding/suggestions/{other.id}/reject").status_code == 302
    assert client.post(f"/coding/suggestions/{other.id}/accept").status_code == 302  # refused: already decided
    assert db.session.execute(db.select(db.func.count(Coding.id))).scalar() == 1
    _suggest(setting)  # a second run remembers the rejection and the accepted coding
    again = [s for s in sg.pending_for(item) if s.code.key == other_key
             and (s.start_offset, s.end_offset) == other_span]
    assert again == []
    assert not [s for s in sg.pending_for(item) if s.code.key == "fear_of_crime"
                and s.start_offset is not None and s.start_offset < start + 11 and start < s.end_offset]


def test_bulk_accept_by_code_with_preview(client, setting, login):
    _suggest(setting)
    login(client, setting["facilitator"])
    cycle = setting["cycle"]
    page = client.get(f"/coding/cycles/{cycle.id}/suggestions").get_data(as_text=True)
    assert "cultural_participation" in page
    preview = client.get(f"/coding/cycles/{cycle.id}/suggestions?code=cultural_participation").get_data(as_text=True)
    ids = [s.id for s in db.session.execute(sg.pending_for_code(cycle.id, ops.get_code("cultural_participation"))).scalars()]
    assert len(ids) >= 2 and all(f'value="{i}"' in preview for i in ids)
    r = client.post(f"/coding/cycles/{cycle.id}/suggestions",
                    data={"code": "cultural_participation", "suggestion": [str(i) for i in ids[:-1]]})
    assert r.status_code == 302
    coded = db.session.execute(db.select(Coding).filter(Coding.code_id == ops.get_code("cultural_participation").id)).scalars().all()
    assert len(coded) == len(ids) - 1
    left = db.session.execute(sg.pending_for_code(cycle.id, ops.get_code("cultural_participation"))).scalars().all()
    assert [s.id for s in left] == ids[-1:]


def test_topics_page_rename_merge_and_map(client, setting, login):
    job = enqueue("topics", cycle=setting["cycle"], params={"seed": 7})
    db.session.commit()
    run_pending()
    db.session.refresh(job)
    assert job.state == "done", job.error
    run = db.session.get(TopicRun, job.result["run"])
    assert len(run.topics) >= 2
    assert sorted(i for t in run.topics for i in t.member_ids) == sorted(i.id for i in setting["items"])
    login(client, setting["facilitator"])
    page = client.get(f"/coding/cycles/{setting['cycle'].id}/topics").get_data(as_text=True)
    assert "Topics per city" in page and "Alpha" in page
    first, second = run.topics[0], run.topics[1]
    first_id, second_id = first.id, second.id
    assert client.post(f"/coding/topics/{first_id}/rename", data={"label": "Night-time fear"}).status_code == 302
    assert client.post(f"/coding/topics/{first_id}/rename", data={"label": ""}).status_code == 302
    members = set(first.member_ids) | set(second.member_ids)
    assert client.post(f"/coding/topics/{first_id}/merge", data={"other": second_id}).status_code == 302
    assert client.post(f"/coding/topics/{first_id}/map", data={"code": "fear_of_crime"}).status_code == 302
    db.session.expire_all()
    first = db.session.get(Topic, first_id)
    assert first.label == "Night-time fear" and set(first.member_ids) == members
    assert db.session.get(Topic, second_id).merged_into_id == first_id
    assert first.mapped_code.key == "fear_of_crime"
    proposed = db.session.execute(db.select(Suggestion).filter_by(source="topic")).scalars().all()
    assert {s.item_id for s in proposed} <= members and proposed
    assert all(s.code.key == "fear_of_crime" and s.start_offset is None for s in proposed)
    assert "Night-time fear" in client.get(f"/coding/cycles/{setting['cycle'].id}/topics").get_data(as_text=True)


def test_the_classifier_learns_from_accepted_codings(app, setting):
    from peer_review.coding import nlp_adapter
    for item in setting["items"]:
        ops.add_codings(item, [ops.get_code("trust")], setting["facilitator"])
    ops.add_codings(setting["items"][0], [ops.get_code("gender_equity")], setting["facilitator"])
    for item in setting["items"][1:9]:
        ops.add_codings(item, [ops.get_code("leadership")], setting["facilitator"])
    db.session.commit()
    info = nlp_adapter.train_from_codings(nlp_adapter.codebook_for_nlp())
    assert info["trained"] and info["codings"] >= 20
    assert nlp_adapter.load_classifier() is not None


def test_home_page_shows_what_is_waiting_for_facilitators_and_cities(client, setting, login, make_user):
    ops.add_codings(setting["items"][0], [ops.get_code("trust")], setting["facilitator"])
    db.session.commit()
    login(client, setting["facilitator"])
    page = client.get("/").get_data(as_text=True)
    assert f"2026 round: {len(TEXTS) - 1} items not coded yet" in page
    member = make_user("m@a.example", city=setting["city"])
    login(client, member)
    page = client.get("/").get_data(as_text=True)
    assert f"Alpha, 2026 round: {len(TEXTS)} evidence items" in page and "items not coded yet" not in page


PASSAGE_TEXT = ("The market opens at six. Women say they feel unsafe at the bus stop at night because the lamps are "
                "broken. One said she is afraid to walk home alone. The choir meets on Sundays.")


def _walk_item(setting):
    item = create_item({"city": setting["city"], "cycle": setting["cycle"], "type": "narrative", "title": "Walk",
                        "text": PASSAGE_TEXT, "language": "en", "consent": "obtained", "visibility": "city",
                        "date": dt.date(2026, 3, 1)})
    db.session.commit()
    return item


def test_one_suggestion_per_item_and_code_and_accepting_codes_the_passage(client, setting, login):
    item = _walk_item(setting)
    _suggest(setting)
    pending = sg.pending_for(item)
    keys = [s.code.key for s in pending]
    assert len(keys) == len(set(keys)), keys  # never one suggestion per trigger word
    fear = next(s for s in pending if s.code.key == "fear_of_crime")
    assert fear.passage() == ("Women say they feel unsafe at the bus stop at night because the lamps are broken. "
                              "One said she is afraid to walk home alone.")
    # The reasons are the words of the text, never feature ids.
    words = [w for r in fear.why for w in r["words"]]
    assert words and all(not w.startswith("__") and w.lower() in PASSAGE_TEXT.lower() for w in words)
    login(client, setting["facilitator"])
    page = client.get(f"/evidence/{item.id}").get_data(as_text=True)
    assert "mentions: «" in page and "__lex" not in page and "model:" not in page
    assert "Add the sentence before" in page and 'data-sentences="' in page
    # Accepted as proposed, the coding is the whole passage.
    assert client.post(f"/coding/suggestions/{fear.id}/accept",
                       data={"start": fear.start_offset, "end": fear.end_offset}).status_code == 302
    coding = db.session.execute(db.select(Coding).filter_by(item_id=item.id)).scalar_one()
    assert coding.passage() == fear.passage() and coding.code.key == "fear_of_crime"


def test_a_widened_passage_is_coded_as_widened(client, setting, login):
    item = _walk_item(setting)
    _suggest(setting)
    fear = next(s for s in sg.pending_for(item) if s.code.key == "fear_of_crime")
    sentences = fear.sentences()
    assert sentences[0] == (0, len("The market opens at six."))
    login(client, setting["facilitator"])
    client.post(f"/coding/suggestions/{fear.id}/accept", data={"start": 0, "end": fear.end_offset})
    coding = db.session.execute(db.select(Coding).filter_by(item_id=item.id)).scalar_one()
    assert coding.passage().startswith("The market opens at six. Women say")


def test_the_classifier_is_trained_once_per_change_of_the_accepted_codings(app, setting):
    from peer_review.coding import nlp_adapter
    for item in setting["items"][:11]:
        ops.add_codings(item, [ops.get_code("trust")], setting["facilitator"])
    for item in setting["items"][:nlp_adapter.MIN_CODINGS_TO_TRAIN]:
        ops.add_codings(item, [ops.get_code("leadership")], setting["facilitator"])
    db.session.commit()
    codebook = nlp_adapter.codebook_for_nlp()
    first = nlp_adapter.train_from_codings(codebook)
    assert first["trained"]
    again = nlp_adapter.train_from_codings(codebook)
    assert again.get("reused") and not again.get("trained")
    _clf, fresh = nlp_adapter.current_classifier(codebook)
    assert fresh
    ops.add_codings(setting["items"][11], [ops.get_code("trust")], setting["facilitator"])
    db.session.commit()
    _clf, fresh = nlp_adapter.current_classifier(codebook)
    assert not fresh  # the codings changed: the next run learns again
    assert nlp_adapter.train_from_codings(codebook)["trained"]


def test_topics_page_shows_code_names_plain_snippets_and_no_preselected_code(client, setting, login):
    setting["items"][0].text = "**Women** feel unsafe at the [bus stop](https://example.org) at night."
    db.session.commit()
    job = enqueue("topics", cycle=setting["cycle"], params={"seed": 7})
    db.session.commit()
    run_pending()
    login(client, setting["facilitator"])
    page = client.get(f"/coding/cycles/{setting['cycle'].id}/topics").get_data(as_text=True)
    assert "**Women**" not in page and "](https://" not in page
    assert "Fear of crime" in page and "fear_of_crime</" not in page
    assert page.count('<option value="" selected>') >= 2  # "map to code" starts empty for every topic
    topic = db.session.execute(db.select(Topic)).scalars().first()
    r = client.post(f"/coding/topics/{topic.id}/map", data={"code": ""}, follow_redirects=True)
    assert db.session.get(Topic, topic.id).mapped_code is None
    assert "Choose a code" in r.get_data(as_text=True)
