"""How long the peer-assignment optimiser (peer_review.assignments.solver) takes on synthetic networks.

Seeded networks of 12, 100 and 500 cities, N = 3 reviewers each: regions drawn unevenly from seven world regions,
peer groups g1..g6, ~2% declared conflict pairs, a few max_load overrides (2 or 4), and last cycle's pairs from a
previous solve (so avoid_repeats has work to do). Each size is solved 3 times (seeds 0, 1, 2) and the median and
worst seconds printed, with the model size and the first run's objective and relaxations. Not a timed test.
Two harder 500-city variants follow (same_peer_group with 20 ungrouped cities, whose pairs cannot be free; 10%
conflicts), to exercise the pruned path when the optimum is not zero-cost.
Run: .venv/bin/python bench/bench_assignment.py            (add --full to also time the unpruned 500-city model)
"""
from __future__ import annotations

import os
import random
import statistics
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from peer_review.assignments import solver as S

SIZES = (12, 100, 500)
N = 3
REPEATS = 3
REGIONS = ("africa", "asia", "europe", "latin_america", "north_america", "oceania", "middle_east")
REGION_WEIGHTS = (22, 20, 25, 14, 9, 3, 7)


DEFAULT_RULES = S.Rules()


def network(n: int, seed: int, rules: S.Rules = DEFAULT_RULES, ungrouped: int = 0, conflict_rate: float = 0.02
            ) -> S.Problem:
    """A seeded network; ``ungrouped`` cities get no peer group (they cost 1 under same_peer_group)."""
    rng = random.Random(seed)
    cities = []
    for i in range(1, n + 1):
        max_load = rng.choice((2, 4)) if rng.random() < 0.03 else None
        group = f"g{rng.randint(1, 6)}" if i > ungrouped else None
        cities.append(S.CityNode(i, rng.choices(REGIONS, REGION_WEIGHTS)[0], group, max_load))
    if n >= 12 and not any(c.max_load for c in cities):   # always a few overrides, even on 12 cities
        cities[0] = S.CityNode(1, cities[0].region, cities[0].peer_group, 2)
    conflicts = {frozenset((a, b)) for a in range(1, n + 1) for b in range(a + 1, n + 1) if rng.random() < conflict_rate}
    last = S.solve(S.Problem(cities, N, rules, conflicts=conflicts), seed=seed + 1000)
    previous = {(p.reviewer_id, p.reviewed_id) for p in last.pairs}
    return S.Problem(cities, N, rules, conflicts=conflicts, previous_pairs=previous)


def relaxed(proposal: S.Proposal) -> str:
    counts = Counter(r.rule for r in proposal.relaxed)
    return ", ".join(f"{rule} {k}" for rule, k in sorted(counts.items())) or "none"


def main() -> None:
    import scipy
    print(f"scipy {scipy.__version__}; N = {N}; {REPEATS} runs per size (seeds 0..{REPEATS - 1}); "
          f"pruning above {S.PRUNE_MIN_CITIES} cities, K = {S.PRUNE_K}")
    head = (f"{'cities':>6} {'median s':>9} {'max s':>7} {'allowed':>8} {'cands':>6} {'vars':>6} {'rows':>5} "
            f"{'pricing':>7} {'cert':>5} {'status':>8} {'objective':>11}  relaxations (first run)")
    print(head)
    print("-" * len(head))
    cases = [(str(n), network(n, seed=n)) for n in SIZES] + [
        ("500 pg", network(500, seed=7, rules=S.Rules(preference="same_peer_group"), ungrouped=20)),
        ("500 cf", network(500, seed=8, conflict_rate=0.10)),
    ]
    for label, problem in cases:
        runs = [S.solve(problem, seed=seed) for seed in range(REPEATS)]
        first = runs[0]
        for run in runs:
            hard = [v for v in S.check(problem, [(p.reviewer_id, p.reviewed_id) for p in run.pairs]) if v.hard]
            assert not hard, hard
        st = first.stats
        seconds = [r.seconds for r in runs]
        print(f"{label:>6} {statistics.median(seconds):>9.3f} {max(seconds):>7.3f} {st['allowed']:>8} "
              f"{st['candidates']:>6} {st['variables']:>6} {st['constraints']:>5} {st['pricing']:>7} "
              f"{'yes' if all(r.stats['certified'] for r in runs) else 'NO':>5} {first.status:>8} "
              f"{first.objective:>11.4f}  {relaxed(first)}")
    print("500 pg: same_peer_group preference, 20 cities without a group; 500 cf: 10% conflict pairs")
    if "--full" in sys.argv:
        problem = network(500, seed=500)
        S.PRUNE_MIN_CITIES = 10 ** 9
        run = S.solve(problem, seed=0)
        print(f"unpruned 500: {run.seconds:.2f} s, {run.stats['variables']} variables, status {run.status}, "
              f"objective {run.objective:.4f}, relaxations {relaxed(run)}")


if __name__ == "__main__":
    main()
