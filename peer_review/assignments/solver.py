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
"""
from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

# Objective weights (per unit of slack, or per pair for costs). Neighbours differ by a factor of 10.
W_COVERAGE = 100_000.0     # per missing reviewer of a city
W_MAX_LOAD = 10_000.0      # per review above a city's max_load override
W_EVEN_LOAD = 1_000.0      # per review above ceil / below floor of the even share
W_NO_SWAPS = 100.0         # per swapped pair (A reviews B and B reviews A)
W_REPEAT = 10.0            # per pair repeated from the previous cycle
W_PREFERENCE = 1.0         # per pair that misses the preference (same region / different peer group)
W_TIE_BREAK = 1e-3         # tie-break per pair uniform in [0, min(W_TIE_BREAK, 1 / (n * N + 1))): all together
                           # they stay below one preference unit

PRUNE_MIN_CITIES = 150     # prune candidate pairs above this many cities
PRUNE_K = 10               # candidates kept per reviewed city and per reviewer city
MIP_REL_GAP = 1e-9         # HiGHS' default (1e-4) could stop before the lower-weight terms are optimal
PRICING_TOL = 1e-9         # reduced cost below -PRICING_TOL: a pruned-out pair could improve the LP
CERTIFY_TOL = 1e-6         # pruned MIP optimum within this of the LP bound: certified optimal (HiGHS' own
                           # absolute MIP gap is 1e-6 too; tie-break differences below it do not count)
DISP = False               # HiGHS log (debugging)

PREFERENCES = ("other_region", "same_peer_group", "none")
RELAXATION_RULES = ("coverage", "max_load", "even_load", "no_swaps", "avoid_repeats")


@dataclass(frozen=True)
class CityNode:
    id: int
    region: str
    peer_group: str | None = None
    max_load: int | None = None   # at most this many cities to review (None: the even share)


@dataclass(frozen=True)
class Rules:
    even_load: bool = True
    no_swaps: bool = True
    preference: str = "other_region"   # "other_region" | "same_peer_group" | "none"
    avoid_repeats: bool = True


@dataclass
class Problem:
    cities: list[CityNode]
    reviewers_per_city: int
    rules: Rules = field(default_factory=Rules)
    conflicts: set[frozenset[int]] = field(default_factory=set)
    previous_pairs: set[tuple[int, int]] = field(default_factory=set)   # (reviewer_id, reviewed_id)
    fixed: set[tuple[int, int]] = field(default_factory=set)            # kept (x = 1)
    forbidden: set[tuple[int, int]] = field(default_factory=set)        # kept out (x = 0)


@dataclass
class Alternate:
    reviewer_id: int
    costs: dict[str, float]
    reason: str   # "would_swap" | "repeat" | "higher_cost" | "at_full_load" | "tie_break"


@dataclass
class Pair:
    reviewer_id: int
    reviewed_id: int
    costs: dict[str, float]
    fixed: bool = False
    alternates: list[Alternate] = field(default_factory=list)


@dataclass
class Relaxation:
    rule: str                    # one of RELAXATION_RULES
    city_ids: tuple[int, ...]
    detail: dict


@dataclass
class Proposal:
    pairs: list[Pair]
    relaxed: list[Relaxation]
    status: str                  # "optimal" | "time_limit" | "no_solution" | "error"
    objective: float
    seconds: float
    seed: int
    stats: dict = field(default_factory=dict)   # variables, constraints, rounds, pruned, candidates


@dataclass
class Violation:
    rule: str
    hard: bool
    city_ids: tuple[int, ...]
    detail: dict


# --------------------------------------------------------------------------------------------------------------
# Preparation shared by solve and check


@dataclass
class _Prepared:
    ids: list[int]
    index: dict[int, int]
    allowed: np.ndarray          # bool n x n, allowed[a, b]: a may review b
    pref: np.ndarray             # 0/1 n x n
    repeat: np.ndarray           # 0/1 n x n (0 everywhere when avoid_repeats is off)
    tie: np.ndarray              # n x n
    lo: dict[int, int]           # even-load targets by city index (only when even_load)
    hi: dict[int, int]
    caps: dict[int, int]         # max_load overrides by city index


def _validate(problem: Problem) -> None:
    ids = [c.id for c in problem.cities]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate_city_id: {sorted(i for i, k in Counter(ids).items() if k > 1)}")
    if problem.reviewers_per_city < 0:
        raise ValueError(f"reviewers_per_city_negative: {problem.reviewers_per_city}")
    if problem.rules.preference not in PREFERENCES:
        raise ValueError(f"unknown_preference: {problem.rules.preference!r}")
    for c in problem.cities:
        if c.max_load is not None and c.max_load < 0:
            raise ValueError(f"max_load_negative: city {c.id}")


def _pref_matrix(cities: list[CityNode], preference: str) -> np.ndarray:
    n = len(cities)
    if preference == "other_region":
        codes = {r: k for k, r in enumerate(sorted({c.region for c in cities}))}
        reg = np.array([codes[c.region] for c in cities])
        return (reg[:, None] == reg[None, :]).astype(float)
    if preference == "same_peer_group":
        codes = {g: k for k, g in enumerate(sorted({c.peer_group for c in cities if c.peer_group is not None}))}
        grp = np.array([codes[c.peer_group] if c.peer_group is not None else -1 - k for k, c in enumerate(cities)])
        same = (grp[:, None] == grp[None, :]) & (grp[:, None] >= 0)
        return (~same).astype(float)
    return np.zeros((n, n))


def load_targets(n_reviewable: dict[int, int], able: list[int], caps: dict[int, int], wanted: int
                 ) -> tuple[dict[int, int], dict[int, int]]:
    """Even-load targets [lo, hi] per reviewer city.

    ``wanted`` reviews (sum over reviewed cities of min(N, number of allowed reviewers)) are shared among the
    cities ``able`` to review, water-filling: a city whose override is below the current share takes exactly its
    override, the rest share the remainder; the others get [floor(share), ceil(share)], never above their override.
    ``n_reviewable`` (cities each reviewer may review) caps the targets too, so an impossible target is not set.
    """
    lo: dict[int, int] = {}
    hi: dict[int, int] = {}
    rest = [a for a in able]
    remaining = wanted
    while rest:
        share = Fraction(remaining, len(rest))
        capped = [a for a in rest if min(caps.get(a, math.inf), n_reviewable[a]) < share]
        if not capped:
            break
        for a in capped:
            t = int(min(caps.get(a, math.inf), n_reviewable[a]))
            lo[a] = hi[a] = t
            remaining -= t
        rest = [a for a in rest if a not in set(capped)]
    if rest:
        share = Fraction(remaining, len(rest))
        for a in rest:
            lo[a], hi[a] = math.floor(share), math.ceil(share)
    return lo, hi


def _prepare(problem: Problem, seed: int) -> _Prepared:
    _validate(problem)
    cities = sorted(problem.cities, key=lambda c: c.id)
    ids = [c.id for c in cities]
    index = {cid: k for k, cid in enumerate(ids)}
    n = len(ids)
    allowed = ~np.eye(n, dtype=bool)
    for pair in problem.conflicts:
        members = [index[c] for c in pair if c in index]
        if len(members) == 2:
            a, b = members
            allowed[a, b] = allowed[b, a] = False
    for a_id, b_id in problem.forbidden:
        if a_id in index and b_id in index:
            allowed[index[a_id], index[b_id]] = False
    pref = _pref_matrix(cities, problem.rules.preference)
    repeat = np.zeros((n, n))
    if problem.rules.avoid_repeats:
        for a_id, b_id in problem.previous_pairs:
            if a_id in index and b_id in index:
                repeat[index[a_id], index[b_id]] = 1.0
    rng = random.Random(seed)
    # Anti-correlated: tie[b, a] = w - tie[a, b], so the cheap direction of a pair is rarely cheap both ways and the
    # lazy no-swap rows are seldom needed. w keeps the sum over all chosen pairs below one preference unit.
    w = min(W_TIE_BREAK, 1.0 / (n * max(problem.reviewers_per_city, 1) + 1))
    tie = np.zeros((n, n))
    iu = np.triu_indices(n, 1)
    u = np.array([rng.random() for _ in range(len(iu[0]))]) * w
    tie[iu] = u
    tie[iu[1], iu[0]] = w - u
    caps = {index[c.id]: c.max_load for c in cities if c.max_load is not None}
    lo: dict[int, int] = {}
    hi: dict[int, int] = {}
    if problem.rules.even_load and n:
        N = problem.reviewers_per_city
        out_deg = allowed.sum(axis=1)
        in_deg = allowed.sum(axis=0)
        wanted = int(np.minimum(in_deg, N).sum())
        able = [a for a in range(n) if out_deg[a] > 0 and caps.get(a, 1) > 0]
        lo, hi = load_targets({a: int(out_deg[a]) for a in range(n)}, able, caps, wanted)
    return _Prepared(ids, index, allowed, pref, repeat, tie, lo, hi, caps)


def _hard_check_fixed(problem: Problem, prep: _Prepared) -> set[tuple[int, int]]:
    """Fixed pairs as index pairs; ValueError naming the first one that breaks a hard rule."""
    out = set()
    conflicts = {frozenset(c) for c in problem.conflicts}
    for a_id, b_id in sorted(problem.fixed):
        if a_id not in prep.index or b_id not in prep.index:
            raise ValueError(f"fixed pair ({a_id}, {b_id}): unknown_city")
        if a_id == b_id:
            raise ValueError(f"fixed pair ({a_id}, {b_id}): self")
        if frozenset((a_id, b_id)) in conflicts:
            raise ValueError(f"fixed pair ({a_id}, {b_id}): conflict")
        if (a_id, b_id) in problem.forbidden:
            raise ValueError(f"fixed pair ({a_id}, {b_id}): forbidden")
        out.add((prep.index[a_id], prep.index[b_id]))
    per_city = Counter(b for _, b in out)
    for b, k in sorted(per_city.items()):
        if k > problem.reviewers_per_city:
            raise ValueError(f"fixed pairs give city {prep.ids[b]} {k} reviewers: more than "
                             f"reviewers_per_city ({problem.reviewers_per_city})")
    return out


# --------------------------------------------------------------------------------------------------------------
# The model


@dataclass
class _Result:
    chosen: np.ndarray           # bool over candidate pairs
    pa: np.ndarray               # candidate pairs (reviewer index, reviewed index)
    pb: np.ndarray
    status: str
    objective: float
    variables: int
    constraints: int
    rounds: int
    swaps: list[tuple[int, int]] = field(default_factory=list)   # swap rows of the last round (candidate indices)


def _build(problem: Problem, prep: _Prepared, pa: np.ndarray, pb: np.ndarray, x_lb: np.ndarray,
           swaps: list[tuple[int, int]]) -> tuple:
    """The MILP over candidate pairs (pa, pb) with swap rows for ``swaps`` (pairs of candidate indices).

    Variable layout: x (P) | short (n) | over (E) | under (E) | excess (C) | swap slack (S). Rows: coverage (n,
    equality), even load (E, ranged), max_load (C), swaps (S)."""
    n = len(prep.ids)
    N = problem.reviewers_per_city
    P, S = len(pa), len(swaps)
    even_set, cap_set = sorted(prep.lo), sorted(prep.caps)
    E, C = len(even_set), len(cap_set)
    o_short, o_over = P, P + n
    o_under, o_exc, o_swap = o_over + E, o_over + 2 * E, o_over + 2 * E + C
    nv = o_swap + S
    cost = W_PREFERENCE * prep.pref[pa, pb] + W_REPEAT * prep.repeat[pa, pb] + prep.tie[pa, pb]
    c = np.concatenate([cost, np.full(n, W_COVERAGE), np.full(2 * E, W_EVEN_LOAD), np.full(C, W_MAX_LOAD),
                        np.full(S, W_NO_SWAPS)])
    lb = np.concatenate([x_lb, np.zeros(n + 2 * E + C + S)])
    ub = np.concatenate([np.ones(P), np.full(n, float(N)), np.full(E, np.inf),
                         np.array([float(prep.lo[a]) for a in even_set]), np.full(C, np.inf), np.ones(S)])
    rows, cols, vals, r_lo, r_hi = [pb, np.arange(n)], [np.arange(P), o_short + np.arange(n)], \
        [np.ones(P), np.ones(n)], [np.full(n, float(N))], [np.full(n, float(N))]
    r = n
    for kind, cities_ in (("even", even_set), ("cap", cap_set)):
        if not cities_:
            continue
        m = len(cities_)
        row_of = np.full(n, -1)
        row_of[cities_] = r + np.arange(m)
        mask = row_of[pa] >= 0
        rows.append(row_of[pa][mask])
        cols.append(np.arange(P)[mask])
        vals.append(np.ones(int(mask.sum())))
        if kind == "even":   # lo <= load - over + under <= hi
            rows.append(np.repeat(r + np.arange(m), 2))
            cols.append(np.column_stack([o_over + np.arange(m), o_under + np.arange(m)]).ravel())
            vals.append(np.tile([-1.0, 1.0], m))
            r_lo.append(np.array([float(prep.lo[a]) for a in cities_]))
            r_hi.append(np.array([float(prep.hi[a]) for a in cities_]))
        else:                # load - excess <= max_load
            rows.append(r + np.arange(m))
            cols.append(o_exc + np.arange(m))
            vals.append(np.full(m, -1.0))
            r_lo.append(np.full(m, -np.inf))
            r_hi.append(np.array([float(prep.caps[a]) for a in cities_]))
        r += m
    if S:                    # x[a,b] + x[b,a] - s <= 1
        sw = np.array(swaps)
        rows.append(np.repeat(r + np.arange(S), 3))
        cols.append(np.column_stack([sw[:, 0], sw[:, 1], o_swap + np.arange(S)]).ravel())
        vals.append(np.tile([1.0, 1.0, -1.0], S))
        r_lo.append(np.full(S, -np.inf))
        r_hi.append(np.ones(S))
        r += S
    A = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(r, nv))
    return c, A, np.concatenate(r_lo), np.concatenate(r_hi), lb, ub, P


def _solve_model(problem: Problem, prep: _Prepared, pa: np.ndarray, pb: np.ndarray, fixed: set[tuple[int, int]],
                 deadline: float, swaps: list[tuple[int, int]] | None = None) -> _Result:
    """milp over the candidates, adding no-swap rows lazily until no swap lacks its row (see module docstring)."""
    P = len(pa)
    pos = {(int(a), int(b)): k for k, (a, b) in enumerate(zip(pa, pb))}
    x_lb = np.zeros(P)
    for pair in fixed:
        x_lb[pos[pair]] = 1.0
    swaps = [(min(k1, k2), max(k1, k2)) for k1, k2 in swaps or []]
    seen = set(swaps)
    rounds = 0
    while True:
        rounds += 1
        model = _build(problem, prep, pa, pb, x_lb, swaps)
        c, A, r_lo, r_hi, lb, ub, _ = model
        integrality = np.concatenate([np.ones(P), np.zeros(len(c) - P)])
        res = milp(c, integrality=integrality, bounds=Bounds(lb, ub), constraints=LinearConstraint(A, r_lo, r_hi),
                   options={"time_limit": max(deadline - time.perf_counter(), 0.05), "disp": DISP,
                            "mip_rel_gap": MIP_REL_GAP})
        if res.x is None:
            status = "time_limit" if res.status == 1 else ("no_solution" if res.status == 2 else "error")
            return _Result(np.zeros(P, bool), pa, pb, status, math.nan, len(c), A.shape[0], rounds)
        chosen = res.x[:P] > 0.5
        status = "optimal" if res.status == 0 else ("time_limit" if res.status == 1 else "error")
        new = []
        if problem.rules.no_swaps:
            for k in np.flatnonzero(chosen):
                back = pos.get((int(pb[k]), int(pa[k])))
                if back is not None and chosen[back]:
                    key = (min(int(k), back), max(int(k), back))
                    if key not in seen:
                        seen.add(key)
                        new.append(key)
        if new and status == "optimal" and time.perf_counter() < deadline:
            swaps.extend(new)
            continue
        if new:   # out of time with a swap that has no row yet: still reported as a relaxation
            status = "time_limit"
        return _Result(chosen, pa, pb, status, float(res.fun), len(c), A.shape[0], rounds, swaps)


def _price(problem: Problem, prep: _Prepared, pa: np.ndarray, pb: np.ndarray, fixed: set[tuple[int, int]],
           swaps: list[tuple[int, int]]) -> tuple[float, np.ndarray]:
    """LP relaxation of the candidate model (linprog, HiGHS): its optimum and the reduced cost of every pair (n x n;
    +inf where not allowed, and for candidates, which are not priced).

    A pruned-out x[a,b] has coefficient 1 in coverage row b and in the even-load and max_load rows of a, and is in
    no swap row (swap rows only pair candidates), so its reduced cost is c_ab - y_cov[b] - y_even[a] - y_cap[a].
    With no negative reduced cost the LP over *all* allowed pairs (same swap rows) has the same optimum: a lower
    bound of the full model; and a solution using an outside pair (a, b) costs at least bound + rc[a, b]."""
    n = len(prep.ids)
    pos = {(int(a), int(b)): k for k, (a, b) in enumerate(zip(pa, pb))}
    x_lb = np.zeros(len(pa))
    for pair in fixed:
        x_lb[pos[pair]] = 1.0
    c, A, r_lo, r_hi, lb, ub, _ = _build(problem, prep, pa, pb, x_lb, swaps)
    eq = r_lo == r_hi
    up = ~eq & np.isfinite(r_hi)
    dn = ~eq & np.isfinite(r_lo)
    A_ub = sparse.vstack([A[up], -A[dn]]).tocsr()
    b_ub = np.concatenate([r_hi[up], -r_lo[dn]])
    lp = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A[eq], b_eq=r_lo[eq], bounds=np.column_stack([lb, ub]),
                 method="highs-ipm")
    rc = np.full((n, n), np.inf)
    if lp.status != 0:
        return -math.inf, rc
    y = np.zeros(A.shape[0])
    y[np.flatnonzero(eq)] = lp.eqlin.marginals
    m_up = int(up.sum())
    y[np.flatnonzero(up)] += lp.ineqlin.marginals[:m_up]
    y[np.flatnonzero(dn)] -= lp.ineqlin.marginals[m_up:]
    y_row = np.zeros(n)                                  # even-load + max_load duals by reviewer index
    r = n
    for cities_ in (sorted(prep.lo), sorted(prep.caps)):
        if cities_:
            y_row[cities_] += y[r:r + len(cities_)]
            r += len(cities_)
    full = W_PREFERENCE * prep.pref + W_REPEAT * prep.repeat + prep.tie
    rc = full - y[:n][None, :] - y_row[:, None]
    rc[~prep.allowed] = np.inf
    rc[pa, pb] = np.inf
    return float(lp.fun), rc


def _candidates(prep: _Prepared, fixed: set[tuple[int, int]], prune: bool) -> np.ndarray:
    """Boolean n x n mask of the candidate pairs: all allowed pairs, or the pruned set (module docstring)."""
    allowed = prep.allowed
    if not prune:
        return allowed.copy()
    score = np.where(allowed, W_PREFERENCE * prep.pref + W_REPEAT * prep.repeat + prep.tie, np.inf)
    n = score.shape[0]
    k = min(PRUNE_K, n - 1)
    keep = np.zeros_like(allowed)
    per_col = np.argpartition(score, k - 1, axis=0)[:k, :]       # k cheapest reviewers per reviewed city
    keep[per_col, np.arange(n)[None, :]] = True
    per_row = np.argpartition(score, k - 1, axis=1)[:, :k]       # k cheapest cities per reviewer
    keep[np.arange(n)[:, None], per_row] = True
    keep &= allowed
    for a, b in fixed:
        keep[a, b] = True
    return keep


# --------------------------------------------------------------------------------------------------------------
# Public API


def _pair_costs(problem: Problem, prep: _Prepared, a: int, b: int) -> dict[str, float]:
    costs: dict[str, float] = {}
    if problem.rules.preference == "other_region":
        costs["region"] = W_PREFERENCE * float(prep.pref[a, b])
    elif problem.rules.preference == "same_peer_group":
        costs["peer_group"] = W_PREFERENCE * float(prep.pref[a, b])
    if problem.rules.avoid_repeats:
        costs["repeat"] = W_REPEAT * float(prep.repeat[a, b])
    costs["tie_break"] = round(float(prep.tie[a, b]), 7)
    return costs


def _relaxations(problem: Problem, prep: _Prepared, pairs: set[tuple[int, int]],
                 fixed: set[tuple[int, int]]) -> list[Relaxation]:
    ids, N = prep.ids, problem.reviewers_per_city
    got = Counter(b for _, b in pairs)
    load = Counter(a for a, _ in pairs)
    out: list[Relaxation] = []
    for b in range(len(ids)):
        if got[b] < N:
            out.append(Relaxation("coverage", (ids[b],), {"wanted": N, "got": got[b]}))
    for a in sorted(prep.caps):
        if load[a] > prep.caps[a]:
            out.append(Relaxation("max_load", (ids[a],), {"load": load[a], "max_load": prep.caps[a]}))
    for a in sorted(prep.lo):
        if load[a] > prep.hi[a] or load[a] < prep.lo[a]:
            out.append(Relaxation("even_load", (ids[a],), {"load": load[a], "target_min": prep.lo[a],
                                                           "target_max": prep.hi[a]}))
    if problem.rules.no_swaps:
        for a, b in sorted(pairs):
            if a < b and (b, a) in pairs:
                out.append(Relaxation("no_swaps", (ids[a], ids[b]),
                                      {"fixed": int((a, b) in fixed) + int((b, a) in fixed)}))
    if problem.rules.avoid_repeats:
        for a, b in sorted(pairs):
            if prep.repeat[a, b]:
                out.append(Relaxation("avoid_repeats", (ids[a], ids[b]), {"fixed": int((a, b) in fixed)}))
    return out


def _alternates(problem: Problem, prep: _Prepared, pairs: set[tuple[int, int]]) -> dict[tuple[int, int], list]:
    """For each chosen pair (a, b): the two cheapest allowed reviewers of b that were not chosen for b, each with a
    reason code, the first that applies: "would_swap" (b reviews it, no_swaps on), "repeat" (a repeat where the
    chosen pair is not), "higher_cost" (a higher preference + repeat cost), "at_full_load" (already at its load
    target or max_load), "tie_break" (as good; the tie-break or the global balance decided)."""
    n = len(prep.ids)
    if not pairs:
        return {}
    chosen = np.zeros((n, n), bool)
    ca, cb = zip(*pairs)
    chosen[list(ca), list(cb)] = True
    load = chosen.sum(axis=1)
    full_at = np.array([min(prep.hi.get(c, math.inf), prep.caps.get(c, math.inf)) for c in range(n)])
    base = W_PREFERENCE * prep.pref + W_REPEAT * prep.repeat
    total = np.where(prep.allowed & ~chosen, base + prep.tie, np.inf)
    best2 = np.argsort(total, axis=0, kind="stable")[:2, :]      # two cheapest unchosen per reviewed city
    out = {}
    for a, b in pairs:
        alts = []
        for c in best2[:, b]:
            c = int(c)
            if not np.isfinite(total[c, b]):
                continue
            if problem.rules.no_swaps and chosen[b, c]:
                reason = "would_swap"
            elif prep.repeat[c, b] and not prep.repeat[a, b]:
                reason = "repeat"
            elif base[c, b] > base[a, b] + 1e-9:
                reason = "higher_cost"
            elif load[c] >= full_at[c]:
                reason = "at_full_load"
            else:
                reason = "tie_break"
            alts.append(Alternate(prep.ids[c], _pair_costs(problem, prep, c, b), reason))
        out[(a, b)] = alts
    return out


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
    mask = _candidates(prep, fixed, prune)
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
        res = _solve_model(problem, prep, pa, pb, fixed, deadline, cand_swaps)
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


def check(problem: Problem, pairs: Iterable[tuple[int, int]]) -> list[Violation]:
    """Every rule a set of (reviewer_id, reviewed_id) pairs breaks. Hard: "unknown_city", "self", "conflict",
    "forbidden", "duplicate", "fixed" (a fixed pair missing). Soft (as in :class:`Relaxation`): "coverage" (fewer
    or more than N reviewers), "max_load", "even_load", "no_swaps", "avoid_repeats" (the last three only when
    the rule is on)."""
    prep = _prepare(problem, 0)
    ids, index, N = prep.ids, prep.index, problem.reviewers_per_city
    conflicts = {frozenset(c) for c in problem.conflicts}
    out: list[Violation] = []
    seen: Counter = Counter()
    good: set[tuple[int, int]] = set()
    for a_id, b_id in pairs:
        seen[(a_id, b_id)] += 1
        if a_id not in index or b_id not in index:
            out.append(Violation("unknown_city", True, (a_id, b_id), {}))
            continue
        if a_id == b_id:
            out.append(Violation("self", True, (a_id,), {}))
            continue
        if frozenset((a_id, b_id)) in conflicts:
            out.append(Violation("conflict", True, (a_id, b_id), {}))
        if (a_id, b_id) in problem.forbidden:
            out.append(Violation("forbidden", True, (a_id, b_id), {}))
        good.add((index[a_id], index[b_id]))
    for pair, k in sorted(seen.items()):
        if k > 1:
            out.append(Violation("duplicate", True, pair, {"count": k}))
    for a_id, b_id in sorted(problem.fixed):
        if (a_id, b_id) not in seen:
            out.append(Violation("fixed", True, (a_id, b_id), {}))
    got = Counter(b for _, b in good)
    for b in range(len(ids)):
        if got[b] != N:
            out.append(Violation("coverage", False, (ids[b],), {"wanted": N, "got": got[b]}))
    fixed = {(index[a], index[b]) for a, b in problem.fixed if a in index and b in index}
    for r in _relaxations(problem, prep, good, fixed):
        if r.rule != "coverage":
            out.append(Violation(r.rule, False, r.city_ids, r.detail))
    return out
