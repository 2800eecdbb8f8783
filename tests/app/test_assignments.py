"""Peer assignment in the app: proposals from the optimiser, hand edits kept on re-runs, conflicts never
assigned, publishing, and what reviewers may read before and after."""
from __future__ import annotations

import datetime as dt

import pytest

from peer_review.assignments import conflicts as conflict_ops
from peer_review.assignments import operations as ops
from peer_review.assignments.models import Assignment
from peer_review.errors import ValidationFailed
from peer_review.extensions import db
from tests.conftest import login_as

REGIONS = ["africa", "africa", "europe", "europe", "latin_america", "latin_america", "asia"]


@pytest.fixture
def network(app, make_city, make_user):
    from peer_review.cycles.models import Cycle
    from tests.fixtures.rubrics import store_rubric
    version = store_rubric(db)
    cities = [make_city(f"City {i}", slug=f"c{i}", region=r, peer_group="g1" if i % 2 else "g2")
              for i, r in enumerate(REGIONS)]
    cycle = Cycle(name="2027 round", starts_on=dt.date(2027, 1, 1), ends_on=dt.date(2027, 12, 1), state="open",
                  phase="self_assessment", cities=cities, rubric_version_id=version.id, reviewers_per_city=2,
                  even_load=True, no_swaps=True, avoid_repeats=True, preference="other_region", load_overrides={})
    db.session.add(cycle)
    db.session.commit()
    staff = make_user("sec@net.example", roles=["secretariat"])
    coordinator = make_user("coord@c0.example", city=cities[0], city_role="coordinator")
    return {"cycle": cycle, "cities": cities, "staff": staff, "coordinator": coordinator, "version": version}


def pairs(cycle, states=("proposed", "published")):
    return {(a.reviewer_city.slug, a.reviewed_city.slug) for a in ops.rows(cycle, states)}


def test_a_proposal_meets_every_rule_on_an_easy_network(network):
    cycle = network["cycle"]
    proposal = ops.propose(cycle, actor=network["staff"])
    db.session.commit()
    chosen = pairs(cycle)
    assert len(chosen) == 2 * len(network["cities"]) and not proposal.relaxed
    assert all(a != b for a, b in chosen)
    assert not any((b, a) in chosen for a, b in chosen)  # no direct swaps
    regions = {c.slug: c.region for c in network["cities"]}
    assert all(regions[a] != regions[b] for a, b in chosen)  # another region, as preferred
    loads = [sum(1 for a, _ in chosen if a == c.slug) for c in network["cities"]]
    assert max(loads) - min(loads) <= 1
    row = ops.rows(cycle)[0]
    assert len(row.alternates) == 2 and all(alt["reviewer_city_id"] != row.reviewer_city_id
                                            for alt in row.alternates)
    assert cycle.assignment_run["status"] == "optimal" and cycle.assignment_run["pairs"] == len(chosen)


def test_the_same_seed_gives_the_same_proposal(network):
    cycle = network["cycle"]
    ops.propose(cycle, seed=7)
    first = pairs(cycle)
    ops.propose(cycle, seed=7)
    assert pairs(cycle) == first


def test_hand_edits_are_kept_on_re_runs_and_checked_against_the_rules(network):
    cycle, cities = network["cycle"], network["cities"]
    ops.propose(cycle, seed=1)
    removed = ops.rows(cycle)[0]
    removed_pair = (removed.reviewer_city.slug, removed.reviewed_city.slug)
    ops.remove(removed)
    # a same-region pair added by hand: allowed (a preference, not a rule), kept on every re-run
    row, _warnings = ops.add(cycle, cities[1], cities[0])
    assert row.source == "manual"
    for seed in (1, 2, 3):
        ops.propose(cycle, seed=seed)
        assert ("c1", "c0") in pairs(cycle)
        assert removed_pair not in pairs(cycle)
    with pytest.raises(ValidationFailed, match="never reviews itself"):
        ops.add(cycle, cities[2], cities[2])
    with pytest.raises(ValidationFailed, match="already reviews"):
        ops.add(cycle, cities[1], cities[0])


def test_a_declared_conflict_is_never_assigned_even_by_hand(network):
    cycle, cities = network["cycle"], network["cities"]
    conflict_ops.declare(cities[0], cities[4], "Twinning agreement with shared staff", actor=network["staff"])
    for seed in range(4):
        ops.propose(cycle, seed=seed)
        assert not pairs(cycle) & {("c0", "c4"), ("c4", "c0")}
    with pytest.raises(ValidationFailed, match="conflict of interest"):
        ops.add(cycle, cities[4], cities[0])


def test_a_conflict_declared_after_a_proposal_takes_the_pair_out(network):
    cycle = network["cycle"]
    ops.propose(cycle)
    a = ops.rows(cycle)[0]
    conflict_ops.declare(a.reviewer_city, a.reviewed_city, "The reviewer's mayor chairs the other's board")
    db.session.flush()
    assert (a.reviewer_city.slug, a.reviewed_city.slug) not in pairs(cycle)


def test_the_infeasible_case_says_which_rule_gave_way_and_for_whom(network):
    cycle = network["cycle"]
    cycle.cities = network["cities"][:3]
    cycle.reviewers_per_city = 3  # three cities can give each other at most two reviewers
    proposal = ops.propose(cycle)
    db.session.commit()
    rules = {r.rule for r in proposal.relaxed}
    assert "coverage" in rules
    covered = [r for r in proposal.relaxed if r.rule == "coverage"]
    assert {c for r in covered for c in r.city_ids} == {c.id for c in cycle.cities}
    names = {c.id: c.name for c in cycle.cities}
    words = ops.describe(covered[0], names)
    assert "gets 2 reviewer cities of the 3 wanted" in words


def test_publishing_gives_reviewers_access_only_once_the_city_submits_and_removal_takes_it_away(
        network, make_user):
    from peer_review.assessments import operations as assessment_ops
    from peer_review.assessments.models import Assessment
    from peer_review.permissions import forget_cached_rights, reviewing_city_ids
    cycle = network["cycle"]
    ops.propose(cycle)
    ops.publish(cycle, actor=network["staff"])
    db.session.commit()
    assert all(a.state == "published" for a in ops.rows(cycle))
    row = ops.rows(cycle)[0]
    reviewer = make_user("rev@example.org", city=row.reviewer_city)
    assessment = assessment_ops.get_or_start(row.reviewed_city, cycle)
    db.session.commit()
    forget_cached_rights()
    assert row.reviewed_city_id not in reviewing_city_ids(reviewer, cycle)  # a draft: not yet
    db.session.get(Assessment, assessment.id).state = "submitted"
    db.session.commit()
    forget_cached_rights()
    assert row.reviewed_city_id in reviewing_city_ids(reviewer, cycle)
    ops.remove(row)
    db.session.commit()
    assert row.reviewed_city_id not in reviewing_city_ids(reviewer, cycle)


def test_publishing_is_refused_while_a_pair_breaks_a_hard_rule(network):
    cycle, cities = network["cycle"], network["cities"]
    ops.propose(cycle)
    a = ops.rows(cycle)[0]
    a_pair = (a.reviewer_city_id, a.reviewed_city_id)
    ops.publish(cycle)
    # a conflict declared after publishing: the published pair stays (the page flags it) …
    conflict_ops.declare(a.reviewer_city, a.reviewed_city, "New funding tie")
    _extra, _w = ops.add(cycle, cities[6], cities[5]) if (cities[6].id, cities[5].id) != a_pair else \
        ops.add(cycle, cities[5], cities[6])
    with pytest.raises(ValidationFailed, match="conflict of interest"):
        ops.publish(cycle)


def test_the_assignment_page_explains_each_pair_and_the_relaxed_rules(client, network):
    cycle = network["cycle"]
    login_as(client, network["staff"])
    page = client.get(f"/cycles/{cycle.id}/assignments").get_data(as_text=True)
    assert "No reviewer city yet." in page and "Propose assignments" in page
    assert client.post(f"/cycles/{cycle.id}/assignments/propose").status_code == 302
    page = client.get(f"/cycles/{cycle.id}/assignments").get_data(as_text=True)
    assert "Every rule held." in page and "Publish 14 proposed pairs" in page
    assert page.count("govuk-tag--blue") >= 14
    # settings: three reviewers each, and a load cap for one city
    answer = client.post(f"/cycles/{cycle.id}/assignments/settings", data={
        "reviewers_per_city": "3", "even_load": "y", "no_swaps": "y", "preference": "same_peer_group",
        "assignment_seed": "4", "override_c0": "1"})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:1500]
    db.session.expire_all()
    assert cycle.reviewers_per_city == 3 and cycle.avoid_repeats is False and cycle.load_overrides == {
        str(network["cities"][0].id): 1}
    bad = client.post(f"/cycles/{cycle.id}/assignments/settings", data={"reviewers_per_city": "3",
                                                                      "override_c0": "many"})
    assert bad.status_code == 400 and "Enter a whole number" in bad.get_data(as_text=True)
    client.post(f"/cycles/{cycle.id}/assignments/propose")
    chosen = pairs(cycle)
    assert sum(1 for a, _ in chosen if a == "c0") <= 1
    assert client.post(f"/cycles/{cycle.id}/assignments/publish").status_code == 302
    assert all(a.state == "published" for a in ops.rows(cycle))


def test_a_member_cannot_see_or_change_assignments(client, network, make_user):
    cycle = network["cycle"]
    member = make_user("m@c1.example", city=network["cities"][1])
    login_as(client, member)
    assert client.get(f"/cycles/{cycle.id}/assignments").status_code == 403
    assert client.post(f"/cycles/{cycle.id}/assignments/propose").status_code == 403
    assert Assignment.query.count() == 0


def test_conflicts_through_pages_for_a_coordinator_and_the_secretariat(client, network):
    cities = network["cities"]
    login_as(client, network["coordinator"])
    answer = client.post("/conflicts/new", data={"city": "c0", "other": "c3", "reason": "Shared police chief"})
    assert answer.status_code == 302
    # a coordinator declares only for their own city
    assert client.post("/conflicts/new", data={"city": "c2", "other": "c3", "reason": "x"}).status_code in (400, 404)
    page = client.get("/conflicts/").get_data(as_text=True)
    assert "Shared police chief" in page and "Withdraw" not in page
    conflict = conflict_ops.find(cities[0].id, cities[3].id)
    assert conflict.declared_by_city_id == cities[0].id
    assert client.post(f"/conflicts/{conflict.id}/delete").status_code == 403
    login_as(client, network["staff"])
    assert client.post("/conflicts/new", data={"city": "c3", "other": "c0", "reason": "again"}).status_code == 400
    assert client.post(f"/conflicts/{conflict.id}/delete").status_code == 302
    assert conflict_ops.find(cities[0].id, cities[3].id) is None


def test_the_api_proposes_edits_and_publishes(client, network, api_token):
    cycle = network["cycle"]
    headers = api_token(network["staff"])
    answer = client.post(f"/api/v1/cycles/{cycle.id}/assignments/propose", json={"seed": 3}, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert len(body["items"]) == 14 and body["run"]["seed"] == 3 and body["violations"] == []
    assert all(len(item["alternates"]) == 2 for item in body["items"])
    first = body["items"][0]
    assert client.delete(f"/api/v1/assignments/{first['id']}", headers=headers).status_code == 204
    answer = client.post(f"/api/v1/cycles/{cycle.id}/assignments", json={"reviewer": "c1", "reviewed": "c1"},
                         headers=headers)
    assert answer.status_code == 422 and "reviewer" in answer.get_json()["error"]["fields"]
    answer = client.post(f"/api/v1/cycles/{cycle.id}/assignments",
                         json={"reviewer": first["reviewer"], "reviewed": first["reviewed"]}, headers=headers)
    assert answer.status_code == 201 and answer.get_json()["source"] == "manual"
    answer = client.post("/api/v1/conflicts", json={"city": "c5", "other": "c6", "reason": "Twinned"},
                         headers=headers)
    assert answer.status_code == 201
    assert client.post(f"/api/v1/cycles/{cycle.id}/assignments/publish", headers=headers).status_code == 200
    member = api_token(network["coordinator"])
    mine = client.get(f"/api/v1/cycles/{cycle.id}/assignments", headers=member).get_json()["items"]
    assert mine and all("c0" in (m["reviewer"], m["reviewed"]) for m in mine) and "costs" not in mine[0]
