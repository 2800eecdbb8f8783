"""What a set of pairs says about the rules (see :mod:`peer_review.assignments.solver`): the costs of a pair, the
rules it relaxes, the runner-up reviewers of each chosen pair, and :func:`check`, which re-validates any set of
pairs (e.g. after hand edits).
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

import numpy as np

from .solver_model import _prepare, _Prepared
from .solver_types import (
    W_PREFERENCE,
    W_REPEAT,
    Alternate,
    Problem,
    Relaxation,
    Violation,
)

# --------------------------------------------------------------------------------------------------------------
# Costs, relaxations and alternates of a solution


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
