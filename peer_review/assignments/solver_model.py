"""The peer-assignment MILP (see :mod:`peer_review.assignments.solver` for the model): preparation of the problem
data shared by ``solve`` and ``check``, the sparse model over candidate pairs, its solution with lazy no-swap
rows, the LP pricing that certifies a pruned model, and the candidate pruning.

Tunables that callers may change on :mod:`peer_review.assignments.solver` (``PRUNE_K``, ``MIP_REL_GAP``,
``DISP``) are passed in by ``solve`` rather than read here.
"""
from __future__ import annotations

import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from .solver_types import (
    PREFERENCES,
    W_COVERAGE,
    W_EVEN_LOAD,
    W_MAX_LOAD,
    W_NO_SWAPS,
    W_PREFERENCE,
    W_REPEAT,
    W_TIE_BREAK,
    CityNode,
    Problem,
)

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
                 deadline: float, swaps: list[tuple[int, int]] | None = None, *, mip_rel_gap: float,
                 disp: bool) -> _Result:
    """milp over the candidates, adding no-swap rows lazily until no swap lacks its row (see the docstring of
    :mod:`peer_review.assignments.solver`)."""
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
                   options={"time_limit": max(deadline - time.perf_counter(), 0.05), "disp": disp,
                            "mip_rel_gap": mip_rel_gap})
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


def _candidates(prep: _Prepared, fixed: set[tuple[int, int]], prune: bool, prune_k: int) -> np.ndarray:
    """Boolean n x n mask of the candidate pairs: all allowed pairs, or the pruned set keeping ``prune_k`` per
    reviewed city and per reviewer (docstring of :mod:`peer_review.assignments.solver`)."""
    allowed = prep.allowed
    if not prune:
        return allowed.copy()
    score = np.where(allowed, W_PREFERENCE * prep.pref + W_REPEAT * prep.repeat + prep.tie, np.inf)
    n = score.shape[0]
    k = min(prune_k, n - 1)
    keep = np.zeros_like(allowed)
    per_col = np.argpartition(score, k - 1, axis=0)[:k, :]       # k cheapest reviewers per reviewed city
    keep[per_col, np.arange(n)[None, :]] = True
    per_row = np.argpartition(score, k - 1, axis=1)[:, :k]       # k cheapest cities per reviewer
    keep[np.arange(n)[:, None], per_row] = True
    keep &= allowed
    for a, b in fixed:
        keep[a, b] = True
    return keep

