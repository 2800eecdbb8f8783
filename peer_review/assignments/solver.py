"""The peer-assignment optimiser: who reviews whom in one review cycle, as ONE mixed-integer programme.

Pure Python (stdlib + numpy + scipy): no Flask, no database. The app builds a :class:`Problem`, calls
:func:`solve` and stores the :class:`Proposal`; :func:`check` re-validates any set of pairs (e.g. after hand edits).

Model (``scipy.optimize.milp``, HiGHS)
--------------------------------------
* One binary ``x[a, b]`` per *allowed* ordered pair, reviewer ``a`` reviews city ``b``. A pair is allowed unless it is
  a self pair, a declared conflict (either direction) or ``forbidden``: those pairs have no variable at all, so the
  hard rules cannot be broken. ``fixed`` pairs have bounds [1, 1].
* Soft rules give way only through penalised continuous slack variables (at an optimum they take integer values,
  since every constraint has 0/1 coefficients on binaries and integer right-hand sides):

  - coverage        ``sum_a x[a,b] + short_b = N``              (never more than N: it is an equality)
  - max_load        ``sum_b x[a,b] - m_a <= max_load_a``
  - even_load       ``lo_a <= sum_b x[a,b] (+ under_a, - over_a) <= hi_a``  (targets: :func:`load_targets`)
  - no_swaps        ``x[a,b] + x[b,a] - s_ab <= 1``
  - avoid_repeats   a cost ``W_REPEAT`` on every pair of last cycle
  - preference      a cost ``W_PREFERENCE`` on every pair that misses the preference
  - tie-break       a tiny cost in [0, ``W_TIE_BREAK``) per pair from ``random.Random(seed)``

  The weights below are ordered coverage >> max_load >> even_load >> no_swaps >> repeats >> preference >> tie-break
  (a factor 10 between neighbours; HiGHS is about twice as slow with a factor 20, the objective range being wider),
  so a rule only gives way when the rules above it force it, or when keeping it would cost more than ten units of
  the rule below. The tie-breaks of all chosen pairs together stay below one preference unit. Every slack in use is
  reported as a :class:`Relaxation`.

* No-swap rows are added lazily: solve without them, add one for every swapped pair in the answer, solve again,
  until the answer has no swap that lacks its row. Exact (the last model's optimum is feasible for the full model,
  which has more rows and so no lower optimum), and usually one round instead of n(n-1)/2 rows. The tie-break is
  anti-correlated (tie[b, a] = w - tie[a, b]) so that both directions are rarely cheap together.

* Candidate pruning with an optimality certificate (networks above ``PRUNE_MIN_CITIES`` cities; 500 cities have
  ~245k allowed pairs, and HiGHS needs ~20 s on the full model on this 2-core machine). Start with, for each
  reviewed city, its ``PRUNE_K`` cheapest allowed reviewers and, for each reviewer, its ``PRUNE_K`` cheapest allowed
  cities (cost = preference + repeat + tie-break), plus every fixed pair. Then column generation on the LP
  relaxation (``linprog``, HiGHS interior point with crossover, for the duals): add every pruned-out pair with a
  negative reduced cost until there is none, so the pruned LP optimum is a lower bound of the full model. Then
  solve the MILP on the candidates. If its optimum is within ``CERTIFY_TOL`` of that bound it is the full model's
  optimum; else every outside pair whose reduced cost is below the gap is added (no other outside pair can be in
  a better solution, since a solution using pair j costs at least bound + rc_j) and the MILP is solved again.
  So the pruned answer is the full model's optimum (up to 1e-6, HiGHS' absolute MIP gap): pruning never changes
  which rules are kept, only how fast. ``Proposal.stats["certified"]`` says whether that was proven in time.

Modules: this one holds the tunables and :func:`solve` (the pricing / certification loop) and re-exports the whole
public interface; :mod:`.solver_types` the public dataclasses and weights; :mod:`.solver_model` the preparation,
the MILP, its pricing and the candidate pruning; :mod:`.solver_report` costs, relaxations, alternates and
:func:`check`.
"""
from __future__ import annotations

import math
import time

import numpy as np

from .solver_model import (
    _candidates,
    _hard_check_fixed,
    _prepare,
    _price,
    _solve_model,
    load_targets,
)
from .solver_report import _alternates, _pair_costs, _relaxations, check
from .solver_types import (
    PREFERENCES,
    RELAXATION_RULES,
    W_COVERAGE,
    W_EVEN_LOAD,
    W_MAX_LOAD,
    W_NO_SWAPS,
    W_PREFERENCE,
    W_REPEAT,
    W_TIE_BREAK,
    Alternate,
    CityNode,
    Pair,
    Problem,
    Proposal,
    Relaxation,
    Rules,
    Violation,
)

__all__ = [
    "CERTIFY_TOL",
    "DISP",
    "MIP_REL_GAP",
    "PREFERENCES",
    "PRICING_TOL",
    "PRUNE_K",
    "PRUNE_MIN_CITIES",
    "RELAXATION_RULES",
    "W_COVERAGE",
    "W_EVEN_LOAD",
    "W_MAX_LOAD",
    "W_NO_SWAPS",
    "W_PREFERENCE",
    "W_REPEAT",
    "W_TIE_BREAK",
    "Alternate",
    "CityNode",
    "Pair",
    "Problem",
    "Proposal",
    "Relaxation",
    "Rules",
    "Violation",
    "check",
    "load_targets",
    "solve",
]

# Solver tunables, read at call time from this module (tests and the benchmark change them here).
PRUNE_MIN_CITIES = 150     # prune candidate pairs above this many cities
PRUNE_K = 10               # candidates kept per reviewed city and per reviewer city
MIP_REL_GAP = 1e-9         # HiGHS' default (1e-4) could stop before the lower-weight terms are optimal
PRICING_TOL = 1e-9         # reduced cost below -PRICING_TOL: a pruned-out pair could improve the LP
CERTIFY_TOL = 1e-6         # pruned MIP optimum within this of the LP bound: certified optimal (HiGHS' own
                           # absolute MIP gap is 1e-6 too; tie-break differences below it do not count)
DISP = False               # HiGHS log (debugging)


def solve(problem: Problem, seed: int = 0, time_limit: float = 20.0) -> Proposal:
    """Propose the cycle's assignment: one MILP (see the module docstring). Raises ValueError when a fixed pair
    breaks a hard rule (self, conflict, forbidden, unknown city) or fixes more than N reviewers on one city."""
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    prep = _prepare(problem, seed)
    fixed = _hard_check_fixed(problem, prep)
    n = len(prep.ids)
    if n == 0:
        return Proposal([], [], "optimal", 0.0, time.perf_counter() - t0, seed,
                        {"certified": True, "variables": 0, "constraints": 0, "rounds": 0, "pricing": 0,
                         "pruned": False, "candidates": 0, "allowed": 0})
    prune = n > PRUNE_MIN_CITIES
    mask = _candidates(prep, fixed, prune, PRUNE_K)
    rounds = pricing = 0
    swaps: list[tuple[int, int]] = []     # as (reviewer, reviewed) index pairs of both directions
    certified = not prune
    while True:
        pa, pb = np.nonzero(mask)
        pos = {(int(a), int(b)): k for k, (a, b) in enumerate(zip(pa, pb))}
        cand_swaps = [(min(pos[s1], pos[s2]), max(pos[s1], pos[s2])) for s1, s2 in swaps]
        if not certified:
            pricing += 1
            bound, rc = _price(problem, prep, pa, pb, fixed, cand_swaps)
            negative = rc < -PRICING_TOL
            if negative.any() and time.perf_counter() < deadline:
                mask |= negative          # column generation: every outside pair that could improve the LP
                continue
        res = _solve_model(problem, prep, pa, pb, fixed, deadline, cand_swaps, mip_rel_gap=MIP_REL_GAP, disp=DISP)
        rounds += res.rounds
        if certified or res.status != "optimal" or time.perf_counter() >= deadline:
            break
        new_swaps = [((int(pa[k1]), int(pb[k1])), (int(pa[k2]), int(pb[k2]))) for k1, k2 in res.swaps]
        if len(new_swaps) > len(swaps):   # the bound was priced without these rows: price again
            swaps = new_swaps
            continue
        gap = res.objective - bound
        if gap <= CERTIFY_TOL:
            certified = True              # pruned MIP optimum == LP bound of the full model
            break
        near = rc < gap                   # outside pairs that could still take part in a better solution
        if not near.any():
            certified = True              # none can: the pruned optimum is the full model's
            break
        mask |= near
    pairs = {(int(a), int(b)) for a, b in zip(res.pa[res.chosen], res.pb[res.chosen])}
    relaxed = [] if math.isnan(res.objective) else _relaxations(problem, prep, pairs, fixed)
    alts = _alternates(problem, prep, pairs)
    out_pairs = [Pair(prep.ids[a], prep.ids[b], _pair_costs(problem, prep, a, b), (a, b) in fixed,
                      alts.get((a, b), [])) for a, b in pairs]
    out_pairs.sort(key=lambda p: (p.reviewed_id, p.reviewer_id))
    stats = {"certified": certified and res.status == "optimal", "variables": res.variables,
             "constraints": res.constraints, "rounds": rounds, "pricing": pricing,
             "pruned": prune and len(res.pa) < int(prep.allowed.sum()), "candidates": len(res.pa),
             "allowed": int(prep.allowed.sum())}
    return Proposal(out_pairs, relaxed, res.status, res.objective, time.perf_counter() - t0, seed, stats)

