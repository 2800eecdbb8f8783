"""Inter-coder agreement for double-coded samples of evidence.

Why: before codes become indicators, the facilitator lead has a random sample coded twice, blind, and checks that
the coders apply the codebook the same way. Per code we report Cohen's kappa (presence/absence of the code on each
sampled item); overall Krippendorff's alpha (nominal) over every item x code unit; the plain percent agreement; and
the list of disagreements to reconcile. Implemented by hand (no numpy/sklearn) so the arithmetic is visible and
testable against textbook examples; the tests also compare with the ``krippendorff`` package.

Undefined values are ``None``, never NaN or a made-up number:

- Cohen's kappa is undefined when the chance agreement is 1, i.e. both coders put every item in the same single
  category (for a code: neither coder, or both coders on every item, applied it). This is the standard
  convention (kappa = 0/0; scikit-learn returns NaN); show the percent agreement instead.
- Krippendorff's alpha is undefined when fewer than two values are pairable or all pairable values are the same
  (no variation: the expected disagreement is 0), as in Krippendorff (2011).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

__all__ = ["cohen_kappa", "krippendorff_alpha_nominal", "percent_agreement", "agreement_report"]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Cohen's kappa of two raters' nominal ratings of the same items, in the same order.

    kappa = (p_o - p_e) / (1 - p_e), p_o the observed agreement, p_e the agreement expected from each rater's
    own category frequencies. Returns None for no items or when p_e == 1 (see the module docstring).
    """
    if len(a) != len(b):
        raise ValueError("both raters must rate the same items")
    n = len(a)
    if n == 0:
        return None
    observed = sum(1 for x, y in zip(a, b) if x == y) / n
    count_a, count_b = Counter(a), Counter(b)
    expected = sum(count_a[c] * count_b[c] for c in count_a) / (n * n)
    if math.isclose(expected, 1.0):
        return None
    return (observed - expected) / (1 - expected)


def krippendorff_alpha_nominal(reliability_data: Sequence[Sequence[Hashable | None]]) -> float | None:
    """Krippendorff's alpha for nominal data; ``reliability_data[coder][unit]``, None (or NaN) = missing.

    Computed through the coincidence matrix (Krippendorff 2011, "Computing Krippendorff's alpha-reliability"):
    each unit with m >= 2 values contributes every ordered pair of values from different coders with weight
    1/(m-1); alpha = 1 - (n-1) * sum_{c!=k} o_ck / sum_{c!=k} n_c n_k.
    """
    if not reliability_data:
        return None
    n_units = len(reliability_data[0])
    if any(len(row) != n_units for row in reliability_data):
        raise ValueError("every coder must have a value (or None) for every unit")
    coincidences: Counter[tuple[Hashable, Hashable]] = Counter()
    for unit in range(n_units):
        values = [row[unit] for row in reliability_data if not _missing(row[unit])]
        m = len(values)
        if m < 2:
            continue
        counts = Counter(values)
        for c, n_c in counts.items():
            for k, n_k in counts.items():
                pairs = n_c * (n_c - 1) if c == k else n_c * n_k
                if pairs:
                    coincidences[(c, k)] += pairs / (m - 1)
    marginals: Counter[Hashable] = Counter()
    for (c, _k), value in coincidences.items():
        marginals[c] += value
    n = sum(marginals.values())
    if n <= 1:
        return None
    observed_disagreement = sum(v for (c, k), v in coincidences.items() if c != k)
    expected_pairs = n * n - sum(v * v for v in marginals.values())  # sum over c != k of n_c * n_k
    if expected_pairs <= 0 or math.isclose(expected_pairs, 0.0, abs_tol=1e-12):
        return None
    return 1.0 - (n - 1) * observed_disagreement / expected_pairs


def percent_agreement(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Share of items on which both raters agree, in percent (0-100); None for no items."""
    if len(a) != len(b):
        raise ValueError("both raters must rate the same items")
    if not a:
        return None
    return 100.0 * sum(1 for x, y in zip(a, b) if x == y) / len(a)


def agreement_report(
    items: Sequence[Hashable],
    codes: Sequence[Hashable],
    coder_a: Iterable[tuple[Hashable, Hashable]],
    coder_b: Iterable[tuple[Hashable, Hashable]],
) -> dict[str, Any]:
    """Agreement of two coders on a double-coded sample.

    ``items`` are the sampled item ids, ``codes`` the code ids considered, ``coder_a``/``coder_b`` the
    (item_id, code_id) pairs each coder applied (pairs outside items x codes are ignored). Every item x code is a
    binary unit: applied or not. Returns::

        {
          "items": int, "codes": int, "units": int,          # sample size and len(items) * len(codes)
          "alpha": float | None,                             # Krippendorff's alpha, nominal, over all units
          "percent_agreement": float | None,                 # 0-100, over all units
          "per_code": {code_id: {"kappa": float | None, "percent_agreement": float | None,
                                 "a": int, "b": int, "both": int}},   # items coded by A, by B, by both
          "disagreements": [(item_id, code_id, "a" | "b")],  # which coder applied it; items then codes order
        }
    """
    item_list = list(dict.fromkeys(items))
    code_list = list(dict.fromkeys(codes))
    item_set, code_set = set(item_list), set(code_list)
    applied_a = {(i, c) for i, c in coder_a if i in item_set and c in code_set}
    applied_b = {(i, c) for i, c in coder_b if i in item_set and c in code_set}

    per_code: dict[Hashable, dict[str, Any]] = {}
    for code in code_list:
        a = [(item, code) in applied_a for item in item_list]
        b = [(item, code) in applied_b for item in item_list]
        per_code[code] = {
            "kappa": cohen_kappa(a, b),
            "percent_agreement": percent_agreement(a, b),
            "a": sum(a),
            "b": sum(b),
            "both": sum(1 for x, y in zip(a, b) if x and y),
        }

    units = [(item, code) for item in item_list for code in code_list]
    row_a = [unit in applied_a for unit in units]
    row_b = [unit in applied_b for unit in units]
    disagreements = [
        (item, code, "a" if in_a else "b") for (item, code), in_a, in_b in zip(units, row_a, row_b) if in_a != in_b
    ]
    return {
        "items": len(item_list),
        "codes": len(code_list),
        "units": len(units),
        "alpha": krippendorff_alpha_nominal([row_a, row_b]) if units else None,
        "percent_agreement": percent_agreement(row_a, row_b),
        "per_code": per_code,
        "disagreements": disagreements,
    }
