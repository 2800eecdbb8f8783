"""The formulas behind every indicator figure, as plain functions (no Flask, no database): intervals for a share,
the bootstrap over items, normalisation (goalposts, min-max, z-score), aggregation and the sensitivity range.
``docs/methodology.md`` explains each in words; ``tests/unit/test_indicator_methods.py`` checks them against hand-
computed values.

Missing values are ``None`` everywhere and stay ``None``: a missing value is never read as zero.
"""
from __future__ import annotations

import functools
import math
import random
from collections.abc import Iterable, Mapping, Sequence

from scipy.stats import beta, norm

NOT_ENOUGH = "not_enough_evidence"
MISSING = "missing"
OK = "ok"


@functools.lru_cache(maxsize=32)
def z_value(confidence: float = 0.95) -> float:
    return float(norm.ppf(1 - (1 - confidence) / 2))


def wilson(hits: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for hits out of n. With n = 0 nothing is known: (0, 1)."""
    if n <= 0:
        return 0.0, 1.0
    if not 0 <= hits <= n:
        raise ValueError("hits must be between 0 and n")
    z = z_value(confidence)
    p = hits / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def jeffreys(hits: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Jeffreys interval: quantiles of Beta(hits + ½, n − hits + ½); the bound at 0 or n is 0 or 1."""
    if n <= 0:
        return 0.0, 1.0
    if not 0 <= hits <= n:
        raise ValueError("hits must be between 0 and n")
    alpha = 1 - confidence
    low = 0.0 if hits == 0 else float(beta.ppf(alpha / 2, hits + 0.5, n - hits + 0.5))
    high = 1.0 if hits == n else float(beta.ppf(1 - alpha / 2, hits + 0.5, n - hits + 0.5))
    return low, high


def share_interval(hits: int, n: int, method: str = "wilson", confidence: float = 0.95) -> tuple[float, float]:
    return (jeffreys if method == "jeffreys" else wilson)(hits, n, confidence)


def share(hits: int, n: int, min_items: int, method: str = "wilson", confidence: float = 0.95) -> dict:
    """A share of items with its interval and the minimum-evidence rule: below ``min_items`` the value is withheld
    ("not enough evidence") but the count and the (wide) interval are still given."""
    low, high = share_interval(hits, n, method, confidence)
    status = OK if n >= min_items else NOT_ENOUGH
    return {"value": hits / n if (n and status == OK) else None, "low": low, "high": high, "n": n, "hits": hits,
            "status": status}


def bootstrap_ratio(clusters: Sequence[tuple[float, float]], samples: int = 1000, seed: int = 0,
                    confidence: float = 0.95) -> tuple[float | None, float | None, float | None]:
    """Ratio estimate sum(a)/sum(b) over clusters (a, b) — e.g. coded passages carrying a code over coded
    passages, clustered in items — with a percentile interval from resampling whole clusters (items), so that
    passages of one item are not treated as independent. Deterministic for a seed."""
    if not clusters:
        return None, None, None
    total_b = sum(b for _a, b in clusters)
    if total_b == 0:
        return None, None, None
    estimate = sum(a for a, _b in clusters) / total_b
    rng = random.Random(seed)
    count = len(clusters)
    ratios = []
    for _ in range(samples):
        draw = [clusters[rng.randrange(count)] for _ in range(count)]
        b = sum(x[1] for x in draw)
        if b:
            ratios.append(sum(x[0] for x in draw) / b)
    if not ratios:
        return estimate, None, None
    ratios.sort()
    alpha = 1 - confidence
    return estimate, _quantile(ratios, alpha / 2), _quantile(ratios, 1 - alpha / 2)


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not sorted_values:
        raise ValueError("no values")
    position = (len(sorted_values) - 1) * q
    lower = math.floor(position)
    upper = math.ceil(position)
    if lower == upper:
        return float(sorted_values[lower])
    return float(sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * (position - lower))


def quartiles(values: Iterable[float | None]) -> dict | None:
    """Five-number summary of the values present (missing ones left out); None when there are none."""
    present = sorted(v for v in values if v is not None)
    if not present:
        return None
    return {"n": len(present), "min": present[0], "q1": _quantile(present, 0.25),
            "median": _quantile(present, 0.5), "q3": _quantile(present, 0.75), "max": present[-1]}


# --- Normalisation ------------------------------------------------------------------------------------------

def goalposts(value: float | None, low: float, high: float, direction: str = "more") -> float | None:
    """0–100 between fixed goalposts, clamped; for a "less of" indicator the scale is turned round (the low
    goalpost scores 100). A city's score depends only on its own value."""
    if value is None:
        return None
    if high <= low:
        raise ValueError("the high goalpost must be above the low one")
    score = (min(max(value, low), high) - low) / (high - low) * 100
    return 100 - score if direction == "less" else score


def min_max(values: Mapping[object, float | None], direction: str = "more") -> dict:
    """0–100 between the lowest and highest value present among the cities compared (moves when cities join).
    When all present values are equal, each scores 50."""
    present = [v for v in values.values() if v is not None]
    out = {}
    lo, hi = (min(present), max(present)) if present else (None, None)
    for key, value in values.items():
        if value is None:
            out[key] = None
        elif hi == lo:
            out[key] = 50.0
        else:
            score = (value - lo) / (hi - lo) * 100
            out[key] = 100 - score if direction == "less" else score
    return out


def z_scores(values: Mapping[object, float | None], direction: str = "more") -> dict:
    """Standard scores among the cities compared (population standard deviation), sign turned round for "less
    of"; 0 for everyone when the values do not vary."""
    present = [v for v in values.values() if v is not None]
    out = {}
    if not present:
        return {k: None for k in values}
    mean = sum(present) / len(present)
    sd = math.sqrt(sum((v - mean) ** 2 for v in present) / len(present))
    for key, value in values.items():
        if value is None:
            out[key] = None
        else:
            z = 0.0 if sd == 0 else (value - mean) / sd
            out[key] = -z if direction == "less" else z
    return out


def z_to_scale(z: float | None) -> float | None:
    """A z-score on the 0–100 scale of the other methods (the normal CDF × 100), so they can be compared."""
    return None if z is None else 0.5 * math.erfc(-z / math.sqrt(2)) * 100


# --- Aggregation --------------------------------------------------------------------------------------------

def aggregate(scores: Mapping[str, float | None], weights: Mapping[str, float] | None = None,
              how: str = "arithmetic", min_share: float = 0.5) -> dict:
    """Weighted mean of the scores present. Missing scores are left out and counted, never read as zero; when
    the present ones carry less than ``min_share`` of the total weight the composite is missing too.
    ``how`` is "arithmetic" or "geometric" (scores of 0 are floored at 1 for the geometric mean)."""
    weights = weights or {}
    total = sum(weights.get(k, 1.0) for k in scores)
    present = {k: v for k, v in scores.items() if v is not None and weights.get(k, 1.0) > 0}
    used = sum(weights.get(k, 1.0) for k in present)
    result = {"value": None, "used": len(present), "total": len(scores),
              "missing": sorted(k for k, v in scores.items() if v is None)}
    if not present or total == 0 or used / total < min_share:
        return result
    if how == "geometric":
        log_sum = sum(weights.get(k, 1.0) * math.log(max(v, 1.0)) for k, v in present.items())
        result["value"] = math.exp(log_sum / used)
    else:
        result["value"] = sum(weights.get(k, 1.0) * v for k, v in present.items()) / used
    return result


NORMALISATIONS = ("goalposts", "min_max", "z_score")
AGGREGATIONS = ("arithmetic", "geometric")
WEIGHTINGS = ("defined", "equal")


def normalise_all(raw: Mapping[object, Mapping[str, float | None]], definitions: Mapping[str, dict],
                  how: str = "goalposts") -> dict:
    """Normalise every city's raw values ({city: {indicator: value}}) by one method; 0–100 for all methods."""
    out = {city: {} for city in raw}
    for key, definition in definitions.items():
        direction = definition.get("direction", "more")
        column = {city: values.get(key) for city, values in raw.items()}
        if how == "goalposts":
            goal = definition["goalposts"]
            scored = {c: goalposts(v, goal["low"], goal["high"], direction) for c, v in column.items()}
        elif how == "min_max":
            scored = min_max(column, direction)
        elif how == "z_score":
            scored = {c: z_to_scale(z) for c, z in z_scores(column, direction).items()}
        else:
            raise ValueError(f"unknown normalisation {how!r}")
        for city, score in scored.items():
            out[city][key] = score
    return out


def composites(raw: Mapping[object, Mapping[str, float | None]], definitions: Mapping[str, dict],
               normalisation: str = "goalposts", aggregation: str = "arithmetic",
               weighting: str = "defined", only=None, normalised=None) -> dict:
    """{city: {dimension: aggregate(...)}} under one choice of method (for the cities in ``only``, default all;
    min-max and z-scores are always taken over every city in ``raw``)."""
    if normalised is None:
        normalised = normalise_all(raw, definitions, normalisation)
    if only is not None:
        normalised = {c: normalised[c] for c in only if c in normalised}
    dimensions: dict[str, list[str]] = {}
    for key, definition in definitions.items():
        dimensions.setdefault(definition.get("dimension") or definition.get("family", "other"), []).append(key)
    out = {}
    for city, scores in normalised.items():
        out[city] = {}
        for dimension, keys in dimensions.items():
            weights = {k: (float(definitions[k].get("weight", 1)) if weighting == "defined" else 1.0) for k in keys}
            out[city][dimension] = aggregate({k: scores.get(k) for k in keys}, weights, aggregation)
    return out


def sensitivity(raw: Mapping[object, Mapping[str, float | None]], definitions: Mapping[str, dict],
                only=None) -> dict:
    """Each city's composite per dimension under every combination of normalisation, aggregation and weighting:
    {city: {dimension: {"low", "high", "default", "values": {"goalposts/arithmetic/defined": v, ...}}}}.
    The spread is the city's interval across method alternatives; nothing is ranked."""
    runs = {}
    for n in NORMALISATIONS:
        normalised = normalise_all(raw, definitions, n)
        for a in AGGREGATIONS:
            for w in WEIGHTINGS:
                runs[f"{n}/{a}/{w}"] = composites(raw, definitions, n, a, w, only, normalised)
    out = {}
    for city in (raw if only is None else [c for c in only if c in raw]):
        out[city] = {}
        dimensions = runs["goalposts/arithmetic/defined"][city].keys()
        for dimension in dimensions:
            values = {name: run[city][dimension]["value"] for name, run in runs.items()}
            present = [v for v in values.values() if v is not None]
            out[city][dimension] = {
                "default": values["goalposts/arithmetic/defined"], "values": values,
                "low": min(present) if present else None, "high": max(present) if present else None}
    return out
