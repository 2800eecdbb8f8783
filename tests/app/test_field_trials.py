"""Field trials: ratings saved and checked, the summary against hand-computed means (overall and per region),
tier decisions making a new set version while a pinned cycle keeps its set, the pages and API, per role."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from tests.conftest import login_as


@pytest.fixture
def trial(app, make_city, make_user):
    from peer_review.cycles.models import Cycle
    from peer_review.extensions import db
    from peer_review.indicators import definitions
    definitions.ensure_loaded()
    alpha = make_city("Alpha", slug="alpha", region="europe")
    beta = make_city("Beta", slug="beta", region="africa")
    gamma = make_city("Gamma", slug="gamma", region="europe")
    outside = make_city("Outside", slug="outside", region="asia")
    cycle = Cycle(name="2026 round", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 1), state="open",
                  cities=[alpha, beta, gamma])
    db.session.add(cycle)
    db.session.commit()
    people = {
        "member": make_user("m@alpha.example", city=alpha),
        "coordinator": make_user("c@alpha.example", city=alpha, city_role="coordinator"),
        "beta_coord": make_user("c@beta.example", city=beta, city_role="coordinator"),
        "outside_coord": make_user("c@outside.example", city=outside, city_role="coordinator"),
        "facilitator": make_user("f@net.example", roles=["facilitator"]),
        "secretariat": make_user("s@net.example", roles=["secretariat"]),
    }
    return {"cycle": cycle, "alpha": alpha, "beta": beta, "gamma": gamma, "outside": outside, **people}


def _save(cycle, city, ratings, user=None):
    from peer_review.extensions import db
    from peer_review.indicators import trials
    n = trials.save_ratings(cycle, city, ratings, user)
    db.session.commit()
    return n


def test_ratings_are_saved_replaced_and_audited(trial):
    from peer_review.audit.models import AuditEntry
    from peer_review.extensions import db
    from peer_review.indicators import trials
    cycle, alpha = trial["cycle"], trial["alpha"]
    assert _save(cycle, alpha, {"trust": {"ease": 4, "universality": "5", "relevance": "", "credibility": None,
                                          "comment": " Hard to get "}}, trial["member"]) == 1
    assert trials.ratings_of(cycle, alpha) == {"trust": {"ease": 4, "universality": 5, "relevance": None,
                                                         "credibility": None, "comment": "Hard to get"}}
    assert _save(cycle, alpha, {"trust": {"ease": 2}}) == 1  # a cell given is replaced whole
    assert trials.ratings_of(cycle, alpha)["trust"] == {"ease": 2, "universality": None, "relevance": None,
                                                        "credibility": None, "comment": ""}
    assert _save(cycle, alpha, {"trust": {"ease": 2}}) == 0  # nothing changed, nothing recorded
    entries = db.session.execute(db.select(AuditEntry).filter_by(action="trial.rate")).scalars().all()
    assert len(entries) == 2 and entries[0].after["trust"]["ease"] == 4
    assert cycle.indicator_set_id is not None  # rating pins the cycle to its definitions


@pytest.mark.parametrize("value", [0, 6, -1, "7", "x", 3.5, True, [1]])
def test_out_of_range_ratings_are_refused(trial, value):
    from peer_review.errors import ValidationFailed
    from peer_review.indicators import trials
    with pytest.raises(ValidationFailed) as err:
        trials.save_ratings(trial["cycle"], trial["alpha"], {"trust": {"ease": 3, "relevance": value}})
    assert list(err.value.fields) == ["trust__relevance"]
    assert trials.ratings_of(trial["cycle"], trial["alpha"]) == {}


def test_unknown_indicators_criteria_and_long_comments_are_refused(trial):
    from peer_review.errors import ValidationFailed
    from peer_review.indicators import trials
    with pytest.raises(ValidationFailed) as err:
        trials.save_ratings(trial["cycle"], trial["alpha"], {
            "no_such": {"ease": 1}, "trust": {"speed": 3, "comment": "x" * 2001}})
    assert set(err.value.fields) == {"no_such", "trust__speed", "trust__comment"}


def test_summary_means_distributions_and_regions_by_hand(trial):
    from peer_review.indicators import trials
    cycle = trial["cycle"]
    _save(cycle, trial["alpha"], {"trust": {"ease": 2, "universality": 4, "relevance": 5, "credibility": 3,
                                            "comment": "Police data are late"}})
    _save(cycle, trial["beta"], {"trust": {"ease": 4, "universality": 4, "relevance": 1},
                                 "inclusion": {"comment": "Only a comment"}})
    _save(cycle, trial["gamma"], {"trust": {"ease": 5, "comment": "Easy here"}})
    data = trials.summary(cycle)
    trust = next(i for i in data["indicators"] if i["id"] == "trust")
    assert trust["cities"] == 3
    assert trust["criteria"]["ease"] == {"n": 3, "mean": 3.67, "distribution": {"1": 0, "2": 1, "3": 0, "4": 1,
                                                                              "5": 1}}  # (2+4+5)/3
    assert trust["criteria"]["universality"]["mean"] == 4.0
    assert trust["criteria"]["relevance"]["mean"] == 3.0  # (5+1)/2
    assert trust["criteria"]["credibility"] == {"n": 1, "mean": 3.0, "distribution": {"1": 0, "2": 0, "3": 1,
                                                                                     "4": 0, "5": 0}}
    assert trust["overall"] == {"n": 8, "mean": 3.5}  # (2+4+5+3 + 4+4+1 + 5) / 8
    assert set(trust["regions"]) == {"europe", "africa"}
    assert trust["regions"]["europe"]["cities"] == 2
    assert trust["regions"]["europe"]["criteria"]["ease"]["mean"] == 3.5  # (2+5)/2
    assert trust["regions"]["africa"]["criteria"]["relevance"]["mean"] == 1.0
    # comments are listed by city name, never by rating
    assert [c["city"] for c in trust["comments"]] == ["Alpha", "Gamma"]
    inclusion = next(i for i in data["indicators"] if i["id"] == "inclusion")
    assert inclusion["cities"] == 0 and inclusion["comments"][0]["text"] == "Only a comment"
    assert inclusion["criteria"]["ease"]["mean"] is None  # no rating: no number, never zero
    europe = trials.summary(cycle, region="europe")
    trust_eu = next(i for i in europe["indicators"] if i["id"] == "trust")
    assert trust_eu["cities"] == 2 and trust_eu["criteria"]["relevance"]["mean"] == 5.0
    # the summary is per indicator: no city appears as a row of its own
    assert all(set(i) >= {"id", "criteria"} and "city" not in i for i in data["indicators"])


def test_decision_makes_a_new_version_and_the_pinned_cycle_keeps_its_set(trial):
    from peer_review.audit.models import AuditEntry
    from peer_review.cycles.models import Cycle
    from peer_review.errors import ValidationFailed
    from peer_review.extensions import db
    from peer_review.indicators import definitions, trials
    cycle = trial["cycle"]
    base = trials.cycle_set(cycle, pin=True)
    db.session.commit()
    assert base.get("trust")["tier"] == "core" and base.get("safe_sanitation")["tier"] == "second"
    with pytest.raises(ValidationFailed) as err:
        trials.decide_tiers(cycle, {"trust": "core"}, "", trial["secretariat"])
    assert set(err.value.fields) == {"reason", "changes"}  # no reason, and nothing actually moves
    new = trials.decide_tiers(cycle, {"trust": "second", "safe_sanitation": "core"}, "Ratings were low",
                              trial["secretariat"])
    db.session.commit()
    assert new.version == base.version + "+t1" and new.supersedes_id == base.id
    assert new.get("trust")["tier"] == "second" and new.get("safe_sanitation")["tier"] == "core"
    assert "Ratings were low" in new.note
    assert cycle.indicator_set_id == base.id  # the pinned cycle keeps its set
    assert base.get("trust")["tier"] == "core"
    later = Cycle(name="2027 round", starts_on=dt.date(2027, 1, 1), ends_on=dt.date(2027, 12, 1), state="open")
    db.session.add(later)
    db.session.flush()
    assert definitions.set_for_cycle(later).version == new.version  # a cycle not yet pinned takes the new one
    again = trials.decide_tiers(cycle, {"elitism": "core"}, "Second look", trial["secretariat"])
    assert again.version == base.version + "+t2"
    assert again.get("trust")["tier"] == "second" and again.get("elitism")["tier"] == "core"  # decisions add up
    assert db.session.execute(db.select(AuditEntry).filter_by(action="indicator.tiers")).scalars().first()
    summary = trials.summary(cycle)
    trust = next(i for i in summary["indicators"] if i["id"] == "trust")
    assert trust["tier"] == "core" and trust["tier_now"] == "second" and summary["newest"] == again.version


def test_rating_page_saves_all_and_shows_errors(client, trial):
    login_as(client, trial["member"])
    url = f"/indicators/cycles/{trial['cycle'].id}/field-trial/alpha"
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "1 – poor" in html and "5 – good" in html and "Ease of collection" in html and "Trust" in html
    bad = client.post(url, data={"trust__ease": "9", "trust__relevance": "4"})
    assert bad.status_code == 400 and "Trust, Ease of collection: choose a rating from 1 to 5" in bad.get_data(as_text=True)
    good = client.post(url, data={"trust__ease": "4", "trust__comment": "Fine", "inclusion__credibility": "2"})
    assert good.status_code == 302
    from peer_review.indicators import trials
    saved = trials.ratings_of(trial["cycle"], trial["alpha"])
    assert saved["trust"]["ease"] == 4 and saved["trust"]["comment"] == "Fine"
    assert saved["inclusion"]["credibility"] == 2
    assert 'selected' in client.get(url).get_data(as_text=True)


@pytest.mark.parametrize("who,code", [("member", 200), ("coordinator", 200), ("beta_coord", 403), ("outside_coord", 403),
                                      ("facilitator", 403), ("secretariat", 200)])
def test_who_rates_a_city(client, trial, who, code):
    login_as(client, trial[who])
    assert client.get(f"/indicators/cycles/{trial['cycle'].id}/field-trial/alpha").status_code == code


def test_a_closed_cycle_takes_no_ratings_and_a_city_outside_the_cycle_has_no_form(client, trial):
    from peer_review.extensions import db
    login_as(client, trial["outside_coord"])
    assert client.get(f"/indicators/cycles/{trial['cycle'].id}/field-trial/outside").status_code == 404
    trial["cycle"].state = "closed"
    db.session.commit()
    login_as(client, trial["member"])
    assert client.get(f"/indicators/cycles/{trial['cycle'].id}/field-trial/alpha").status_code == 403


def test_summary_page_downloads_and_decision_form(client, trial):
    cycle = trial["cycle"]
    _save(cycle, trial["alpha"], {"trust": {"ease": 2, "comment": "<b>late</b>"}})
    _save(cycle, trial["beta"], {"trust": {"ease": 5}})
    login_as(client, trial["member"])  # a city member is sent to its own form
    assert client.get(f"/indicators/cycles/{cycle.id}/field-trial").headers["Location"].endswith(
        "/field-trial/alpha")
    login_as(client, trial["facilitator"])
    page = client.get(f"/indicators/cycles/{cycle.id}/field-trial").get_data(as_text=True)
    assert "3.5" in page and "&lt;b&gt;late&lt;/b&gt;" in page and "Make the new version" not in page
    assert client.post(f"/indicators/cycles/{cycle.id}/field-trial/tiers",
                       data={"move": ["trust"], "reason": "x"}).status_code == 403
    login_as(client, trial["secretariat"])
    page = client.get(f"/indicators/cycles/{cycle.id}/field-trial?region=africa").get_data(as_text=True)
    assert "Make the new version" in page and "Cities of Africa only" in page
    rows = list(csv.reader(io.StringIO(client.get(
        f"/indicators/cycles/{cycle.id}/field-trial.csv").get_data(as_text=True).lstrip("\ufeff"))))
    trust_rows = [r for r in rows if r[0] == "trust"]
    assert trust_rows[0][5] == "All regions" and trust_rows[0][7] == "3.5"
    assert {r[5] for r in trust_rows} == {"All regions", "Europe", "Africa"}
    as_json = client.get(f"/indicators/cycles/{cycle.id}/field-trial.json?region=europe").get_json()
    assert as_json["region"] == "europe"
    refused = client.post(f"/indicators/cycles/{cycle.id}/field-trial/tiers", data={"move": ["trust"]})
    assert refused.status_code == 400 and "Say why the indicators move" in refused.get_data(as_text=True)
    done = client.post(f"/indicators/cycles/{cycle.id}/field-trial/tiers",
                       data={"move": ["trust"], "reason": "Too hard to collect"}, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "+t1" in html and "keeps it" in html


def test_api_ratings_and_summary(client, trial, api_token):
    cycle = trial["cycle"]
    url = f"/api/v1/cycles/{cycle.id}/field-trial/alpha"
    member = api_token(trial["member"])
    assert client.put(url, json={"ratings": {"trust": {"ease": 6}}}, headers=member).status_code == 422
    ok = client.put(url, json={"ratings": {"trust": {"ease": 3, "relevance": 4}}}, headers=member)
    assert ok.status_code == 200 and ok.get_json()["ratings"]["trust"]["relevance"] == 4
    assert client.get(url, headers=member).get_json()["ratings"]["trust"]["ease"] == 3
    assert client.get(url, headers=api_token(trial["beta_coord"])).status_code == 403
    assert client.put(url, json={"ratings": {}}, headers=api_token(trial["facilitator"])).status_code == 403
    assert client.get(f"/api/v1/cycles/{cycle.id}/field-trial", headers=member).status_code == 403
    summary = client.get(f"/api/v1/cycles/{cycle.id}/field-trial", headers=api_token(trial["facilitator"]))
    trust = next(i for i in summary.get_json()["indicators"] if i["id"] == "trust")
    assert trust["criteria"]["ease"]["mean"] == 3.0
    assert client.get(f"/api/v1/cycles/{cycle.id}/field-trial?region=mars",
                      headers=api_token(trial["secretariat"])).status_code == 422
