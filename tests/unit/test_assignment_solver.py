"""The peer-assignment optimiser (peer_review.assignments.solver): one test per rule, each failing if the rule is
not enforced, plus determinism, rule switches, alternates, check() and the pruned path's optimality."""
from __future__ import annotations

import random
from collections import Counter

import pytest

from peer_review.assignments import solver as S
from peer_review.assignments.solver import (
    CityNode,
    Problem,
    Rules,
    check,
    load_targets,
    solve,
)


def nodes(n: int, regions: tuple[str, ...] = ("africa", "europe", "asia"), **max_loads: int) -> list[CityNode]:
    """Cities 1..n, regions round-robin; max_loads as m<id>=<load>."""
    return [CityNode(i, regions[(i - 1) % len(regions)], max_load=max_loads.get(f"m{i}")) for i in range(1, n + 1)]


def pairs_of(proposal: S.Proposal) -> set[tuple[int, int]]:
    return {(p.reviewer_id, p.reviewed_id) for p in proposal.pairs}


def reviewers(proposal: S.Proposal) -> Counter:
    return Counter(p.reviewed_id for p in proposal.pairs)


def loads(proposal: S.Proposal, cities: list[CityNode]) -> dict[int, int]:
    got = Counter(p.reviewer_id for p in proposal.pairs)
    return {c.id: got[c.id] for c in cities}


def rules_relaxed(proposal: S.Proposal) -> Counter:
    return Counter(r.rule for r in proposal.relaxed)


def swaps(pairs: set[tuple[int, int]]) -> set[frozenset[int]]:
    return {frozenset(p) for p in pairs if (p[1], p[0]) in pairs}


def network(n: int, seed: int, conflict_rate: float = 0.03) -> tuple[list[CityNode], set[frozenset[int]]]:
    rng = random.Random(seed)
    regions = ("africa", "asia", "europe", "latin_america", "north_america", "oceania", "middle_east")
    cities = [CityNode(i, rng.choices(regions, (20, 18, 25, 15, 10, 4, 8))[0], f"g{rng.randint(1, 6)}")
              for i in range(1, n + 1)]
    conflicts = {frozenset((a, b)) for a in range(1, n + 1) for b in range(a + 1, n + 1) if rng.random() < conflict_rate}
    return cities, conflicts


# --- hard rules ------------------------------------------------------------------------------------------------

def test_never_self_and_each_city_gets_exactly_n():
    cities = nodes(10)
    proposal = solve(Problem(cities, 3), seed=1)
    assert proposal.status == "optimal"
    assert all(a != b for a, b in pairs_of(proposal))
    assert reviewers(proposal) == {c.id: 3 for c in cities}
    assert proposal.relaxed == []


def test_conflicts_never_assigned_even_when_that_forces_a_coverage_shortfall():
    # 4 cities, N = 3: 1 and 2 may not review each other, so each can only get 2 reviewers.
    problem = Problem(nodes(4), 3, conflicts={frozenset((1, 2))})
    proposal = solve(problem)
    chosen = pairs_of(proposal)
    assert (1, 2) not in chosen and (2, 1) not in chosen
    coverage = {r.city_ids: r.detail for r in proposal.relaxed if r.rule == "coverage"}
    assert coverage == {(1,): {"wanted": 3, "got": 2}, (2,): {"wanted": 3, "got": 2}}
    assert reviewers(proposal)[3] == reviewers(proposal)[4] == 3


def test_forbidden_pairs_kept_out():
    cities = nodes(8)
    first = solve(Problem(cities, 2), seed=3)
    removed = sorted(pairs_of(first))[:3]
    again = solve(Problem(cities, 2, forbidden=set(removed)), seed=3)
    assert not set(removed) & pairs_of(again)
    assert reviewers(again) == {c.id: 2 for c in cities}


def test_fixed_pairs_kept_across_seeds():
    # 1 and 4 are both in africa: the region preference alone would never pick (1, 4).
    cities = nodes(9)
    assert cities[0].region == cities[3].region
    for seed in range(4):
        proposal = solve(Problem(cities, 2, fixed={(1, 4)}), seed=seed)
        assert (1, 4) in pairs_of(proposal)
        assert [p.fixed for p in proposal.pairs if (p.reviewer_id, p.reviewed_id) == (1, 4)] == [True]
        assert sum(p.fixed for p in proposal.pairs) == 1
        assert reviewers(proposal) == {c.id: 2 for c in cities}


@pytest.mark.parametrize("fixed, code", [({(2, 2)}, "self"), ({(1, 2)}, "conflict"), ({(3, 4)}, "forbidden"),
                                         ({(1, 99)}, "unknown_city")])
def test_fixed_pair_breaking_a_hard_rule_raises(fixed, code):
    problem = Problem(nodes(5), 2, conflicts={frozenset((1, 2))}, forbidden={(3, 4)}, fixed=fixed)
    with pytest.raises(ValueError, match=code):
        solve(problem)


def test_more_fixed_reviewers_than_n_raises():
    with pytest.raises(ValueError, match="city 1"):
        solve(Problem(nodes(5), 2, fixed={(2, 1), (3, 1), (4, 1)}))


# --- soft rules --------------------------------------------------------------------------------------------------

def test_infeasible_coverage_reports_each_city():
    proposal = solve(Problem(nodes(3), 3))
    coverage = sorted((r.city_ids, r.detail) for r in proposal.relaxed if r.rule == "coverage")
    assert coverage == [((c,), {"wanted": 3, "got": 2}) for c in (1, 2, 3)]
    assert len(pairs_of(proposal)) == 6


def test_even_load_on_a_symmetric_problem():
    # One city in europe, seven in africa: with the region preference all seven want the European reviewer.
    cities = [CityNode(i, "africa") for i in range(1, 8)] + [CityNode(8, "europe")]
    even = solve(Problem(cities, 1), seed=2)
    assert set(loads(even, cities).values()) == {1}
    assert rules_relaxed(even) == Counter()
    uneven = solve(Problem(cities, 1, rules=Rules(even_load=False)), seed=2)
    assert loads(uneven, cities)[8] == 6           # the switch matters: all but the one reviewing it (no swaps)
    for seed in range(3):                         # and the spread stays <= 1 on a bigger symmetric problem
        spread = loads(solve(Problem(nodes(12), 3), seed=seed), nodes(12)).values()
        assert max(spread) - min(spread) <= 1


def test_even_load_relaxation_reported_when_forced():
    # N = 1 and only 2 may review 4 and 5: 2 must take two cities where the even share is one.
    forbidden = {(a, b) for a in (1, 3, 4, 5) for b in (4, 5) if a != b}
    proposal = solve(Problem(nodes(5, ("x",)), 1, forbidden=forbidden))
    assert reviewers(proposal) == {c: 1 for c in range(1, 6)}
    even = {r.city_ids: r.detail for r in proposal.relaxed if r.rule == "even_load"}
    assert even[(2,)] == {"load": 2, "target_min": 1, "target_max": 1}
    assert sorted(d["load"] for d in even.values()) == [0, 2]      # and one city is left without a review to do


def test_max_load_override_respected():
    cities = nodes(8, m1=0, m2=1)
    proposal = solve(Problem(cities, 2), seed=5)
    load = loads(proposal, cities)
    assert load[1] == 0 and load[2] <= 1
    assert reviewers(proposal) == {c.id: 2 for c in cities}
    assert max(load[c] for c in range(3, 9)) - min(load[c] for c in range(3, 9)) <= 1
    assert proposal.relaxed == []


def test_max_load_relaxed_only_when_coverage_needs_it():
    # 3 cities, N = 2: every city must review both others, whatever 1's override says.
    proposal = solve(Problem(nodes(3, m1=1), 2, rules=Rules(no_swaps=False)))
    assert [(r.city_ids, r.detail) for r in proposal.relaxed if r.rule == "max_load"] == [
        ((1,), {"load": 2, "max_load": 1})]
    assert reviewers(proposal) == {1: 2, 2: 2, 3: 2}


def test_no_swaps_when_avoidable_and_the_switch():
    # 1, 2 in africa; 3, 4 in europe; N = 1. 4 may only review 3, 2 may only review 1: the zero-cost answer has
    # 1 and 3 reviewing each other; without a swap 3 must take 4 (same region, cost 1).
    cities = [CityNode(1, "africa"), CityNode(2, "africa"), CityNode(3, "europe"), CityNode(4, "europe")]
    forbidden = {(4, 1), (4, 2), (2, 3), (2, 4)}
    on = solve(Problem(cities, 1, rules=Rules(even_load=False), forbidden=forbidden))
    assert swaps(pairs_of(on)) == set()
    assert (4, 3) in pairs_of(on) and rules_relaxed(on) == Counter()
    off = solve(Problem(cities, 1, rules=Rules(even_load=False, no_swaps=False), forbidden=forbidden))
    assert swaps(pairs_of(off)) == {frozenset((1, 3))}
    assert off.objective < on.objective


def test_forced_swaps_reported():
    proposal = solve(Problem(nodes(3), 2))
    assert reviewers(proposal) == {1: 2, 2: 2, 3: 2}
    assert sorted(r.city_ids for r in proposal.relaxed if r.rule == "no_swaps") == [(1, 2), (1, 3), (2, 3)]
    assert len(swaps(pairs_of(proposal))) == 3


def test_swaps_absent_on_a_bigger_network():
    cities, conflicts = network(40, seed=4)
    for seed in range(2):
        proposal = solve(Problem(cities, 3, conflicts=conflicts), seed=seed)
        assert swaps(pairs_of(proposal)) == set()


def test_region_preference_honoured_when_possible():
    cities = [CityNode(i, "africa" if i <= 3 else "europe") for i in range(1, 7)]
    region = {c.id: c.region for c in cities}
    for seed in range(4):
        proposal = solve(Problem(cities, 1), seed=seed)
        assert all(region[a] != region[b] for a, b in pairs_of(proposal))
        assert all(p.costs["region"] == 0.0 for p in proposal.pairs)
        assert proposal.objective < S.W_PREFERENCE


def test_same_peer_group_preference():
    cities = [CityNode(i, "africa", peer_group="g1" if i <= 5 else "g2") for i in range(1, 11)]
    group = {c.id: c.peer_group for c in cities}
    proposal = solve(Problem(cities, 2, rules=Rules(preference="same_peer_group")), seed=1)
    assert all(group[a] == group[b] for a, b in pairs_of(proposal))
    assert all(p.costs["peer_group"] == 0.0 and "region" not in p.costs for p in proposal.pairs)
    assert proposal.relaxed == []
    # the other preferences ignore peer groups: all in one region, so other_region costs 1 everywhere
    other = solve(Problem(cities, 2), seed=1)
    assert all(p.costs["region"] == 1.0 for p in other.pairs)


def test_repeats_avoided_when_possible_and_the_switch():
    cities = nodes(5)
    last = pairs_of(solve(Problem(cities, 2, rules=Rules(preference="none")), seed=0))
    fresh = solve(Problem(cities, 2, rules=Rules(preference="none"), previous_pairs=last), seed=0)
    assert not pairs_of(fresh) & last
    assert fresh.relaxed == []
    same = solve(Problem(cities, 2, rules=Rules(preference="none", avoid_repeats=False), previous_pairs=last), seed=0)
    assert pairs_of(same) == last                 # with the rule off the same seed gives last cycle's pairs back


def test_forced_repeats_reported():
    every = {(a, b) for a in (1, 2, 3) for b in (1, 2, 3) if a != b}
    proposal = solve(Problem(nodes(3), 2, previous_pairs=every))
    assert sorted(r.city_ids for r in proposal.relaxed if r.rule == "avoid_repeats") == sorted(every)
    assert all(p.costs["repeat"] == S.W_REPEAT for p in proposal.pairs)


# --- determinism, costs, alternates ---------------------------------------------------------------------------

def test_deterministic_for_a_seed_and_valid_across_seeds():
    cities, conflicts = network(30, seed=7)
    problem = Problem(cities, 3, conflicts=conflicts)
    a, b = solve(problem, seed=11), solve(problem, seed=11)
    assert [(p.reviewer_id, p.reviewed_id, p.costs) for p in a.pairs] == \
        [(p.reviewer_id, p.reviewed_id, p.costs) for p in b.pairs]
    assert a.pairs == sorted(a.pairs, key=lambda p: (p.reviewed_id, p.reviewer_id))
    seen = set()
    for seed in range(4):
        proposal = solve(problem, seed=seed)
        assert proposal.seed == seed
        assert check(problem, pairs_of(proposal)) == []
        seen.add(frozenset(pairs_of(proposal)))
    assert len(seen) > 1                          # different seeds, different (equally good) proposals


def test_costs_name_every_term():
    cities = nodes(6)
    last = {(2, 1)}
    proposal = solve(Problem(cities, 2, previous_pairs=last), seed=0)
    for p in proposal.pairs:
        assert set(p.costs) == {"region", "repeat", "tie_break"}
        assert 0 <= p.costs["tie_break"] <= S.W_TIE_BREAK
    total = sum(sum(p.costs.values()) for p in proposal.pairs)
    assert total == pytest.approx(proposal.objective, abs=1e-5)   # no slack in use: the pair costs are all of it


def test_alternates():
    cities = nodes(10)
    conflicts = {frozenset((1, 4)), frozenset((2, 5))}
    proposal = solve(Problem(cities, 2, conflicts=conflicts), seed=2)
    chosen_for = {c.id: {p.reviewer_id for p in proposal.pairs if p.reviewed_id == c.id} for c in cities}
    for p in proposal.pairs:
        assert len(p.alternates) == 2
        alt_ids = [alt.reviewer_id for alt in p.alternates]
        assert len(set(alt_ids)) == 2
        for alt in p.alternates:
            assert alt.reviewer_id != p.reviewed_id
            assert alt.reviewer_id not in chosen_for[p.reviewed_id]
            assert frozenset((alt.reviewer_id, p.reviewed_id)) not in conflicts
            assert alt.reason in {"higher_cost", "at_full_load", "would_swap", "repeat", "tie_break"}
            assert set(alt.costs) == set(p.costs)
        assert sum(p.alternates[0].costs.values()) <= sum(p.alternates[1].costs.values())
    # city 1 (africa) is reviewed by others; an african alternate costs more than the chosen cross-region pair
    reasons = {alt.reason for p in proposal.pairs for alt in p.alternates}
    assert reasons & {"higher_cost", "at_full_load", "would_swap", "tie_break"}


def test_alternates_fewer_when_not_available():
    proposal = solve(Problem(nodes(3), 1))
    for p in proposal.pairs:
        assert len(p.alternates) == 1
        assert p.alternates[0].reviewer_id not in (p.reviewer_id, p.reviewed_id)


# --- check() ---------------------------------------------------------------------------------------------------

def test_check_reports_hard_and_soft_violations():
    problem = Problem(nodes(4), 1, conflicts={frozenset((1, 2))}, forbidden={(4, 3)}, fixed={(3, 4)})
    found = check(problem, [(1, 1), (2, 1), (3, 2), (2, 3), (4, 3)])
    hard = {(v.rule, v.city_ids) for v in found if v.hard}
    soft = {(v.rule, v.city_ids) for v in found if not v.hard}
    assert {("self", (1,)), ("conflict", (2, 1)), ("forbidden", (4, 3)), ("fixed", (3, 4))} <= hard
    assert ("no_swaps", (2, 3)) in soft
    assert ("coverage", (4,)) in soft           # nobody reviews 4
    assert ("coverage", (3,)) in soft           # 3 has two reviewers (2 and 4), N = 1
    assert check(problem, [(1, 1)]) and not [v for v in check(Problem(nodes(3), 1), [(1, 2), (2, 3), (3, 1)])]


def test_check_soft_rules_follow_the_switches():
    every = {(a, b) for a in (1, 2, 3) for b in (1, 2, 3) if a != b}
    on = check(Problem(nodes(3), 2, previous_pairs=every), every)
    assert Counter(v.rule for v in on) == Counter({"no_swaps": 3, "avoid_repeats": 6})
    off = check(Problem(nodes(3), 2, rules=Rules(no_swaps=False, avoid_repeats=False), previous_pairs=every), every)
    assert off == []


# --- load targets and the pruned path -------------------------------------------------------------------------

def test_load_targets_water_filling():
    lo, hi = load_targets({a: 9 for a in range(5)}, [0, 1, 2, 3, 4], {0: 1, 1: 5}, 12)
    assert (lo[0], hi[0]) == (1, 1)               # below the share of 12/5: takes its override
    assert all((lo[a], hi[a]) == (2, 3) for a in (1, 2, 3, 4))   # the rest share 11/4
    assert sum(lo.values()) <= 12 <= sum(hi.values())


def test_pruned_model_matches_the_full_model(monkeypatch):
    """Candidate pruning with pricing gives the full model's optimum (here forced on a small network with tiny K,
    so column generation has work to do)."""
    cities, conflicts = network(40, seed=3)
    cities = [CityNode(c.id, c.region, c.peer_group, 2 if c.id % 13 == 0 else None) for c in cities]
    last = pairs_of(solve(Problem(cities, 3, conflicts=conflicts), seed=9))
    problem = Problem(cities, 3, conflicts=conflicts, previous_pairs=last, fixed={(1, 2)})
    full = solve(problem, seed=4)
    monkeypatch.setattr(S, "PRUNE_MIN_CITIES", 0)
    monkeypatch.setattr(S, "PRUNE_K", 2)
    pruned = solve(problem, seed=4)
    assert pruned.stats["pruned"] and pruned.stats["certified"]
    assert pruned.objective == pytest.approx(full.objective, abs=2e-6)
    assert rules_relaxed(pruned) == rules_relaxed(full)
    assert check(problem, pairs_of(pruned)) == [v for v in check(problem, pairs_of(full))]
    assert (1, 2) in pairs_of(pruned)


def test_pruned_path_with_forced_swaps_and_shortfall(monkeypatch):
    monkeypatch.setattr(S, "PRUNE_MIN_CITIES", 0)
    monkeypatch.setattr(S, "PRUNE_K", 1)
    proposal = solve(Problem(nodes(4), 3, conflicts={frozenset((1, 2))}), time_limit=5)
    assert proposal.status == "optimal" and proposal.stats["certified"] and proposal.seconds < 2
    assert rules_relaxed(proposal) == Counter({"coverage": 2, "no_swaps": 5})
    assert (1, 2) not in pairs_of(proposal) and (2, 1) not in pairs_of(proposal)


def test_large_network_keeps_every_rule():
    cities, conflicts = network(220, seed=1, conflict_rate=0.02)
    proposal = solve(Problem(cities, 3, conflicts=conflicts), seed=0)
    assert proposal.stats["pruned"] and proposal.stats["certified"]
    chosen = pairs_of(proposal)
    assert not any(frozenset(p) in conflicts for p in chosen)
    assert reviewers(proposal) == {c.id: 3 for c in cities}
    assert check(Problem(cities, 3, conflicts=conflicts), chosen) == []
