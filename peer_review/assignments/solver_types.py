"""Public types and objective weights of the peer-assignment optimiser (:mod:`peer_review.assignments.solver`).

Import them from :mod:`peer_review.assignments.solver`, which re-exports everything here; this module exists so
that the model (:mod:`.solver_model`) and the report (:mod:`.solver_report`) can share them without importing
``solver`` itself.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Objective weights (per unit of slack, or per pair for costs). Neighbours differ by a factor of 10.
W_COVERAGE = 100_000.0     # per missing reviewer of a city
W_MAX_LOAD = 10_000.0      # per review above a city's max_load override
W_EVEN_LOAD = 1_000.0      # per review above ceil / below floor of the even share
W_NO_SWAPS = 100.0         # per swapped pair (A reviews B and B reviews A)
W_REPEAT = 10.0            # per pair repeated from the previous cycle
W_PREFERENCE = 1.0         # per pair that misses the preference (same region / different peer group)
W_TIE_BREAK = 1e-3         # tie-break per pair uniform in [0, min(W_TIE_BREAK, 1 / (n * N + 1))): all together
                           # they stay below one preference unit

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
